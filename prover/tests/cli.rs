//! The binary's contract on the `--program` route: exit codes (0 ok, 1 rejected or failing,
//! 2 unreadable input, 64 usage), one line on stderr for every error, one JSON line on stdout
//! with `--json`, and no proof file when proving fails.

use std::process::Command;

fn data(file: &str) -> String {
    format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn fixture(path: &str) -> String {
    format!("{}/../fixtures/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// Run the binary: (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tvm-prove"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(stdout: &str) -> serde_json::Value {
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    serde_json::from_str(stdout).expect("one JSON line")
}

#[test]
fn program_route_end_to_end() {
    let dir = std::env::temp_dir().join(format!("tvm-prover-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let proof = dir.join("fib.proof").to_string_lossy().into_owned();
    let trace = fixture("golden/fibonacci.arrow");
    let program = data("fibonacci.tvmc");
    let claim = data("fibonacci.claim.msgpack");

    let (code, out, _) = run(&[
        "prove",
        &trace,
        "--program",
        &program,
        "-o",
        &proof,
        "--json",
    ]);
    assert_eq!(code, 0);
    let proved = json(&out);
    assert_eq!(proved["ok"], true);
    assert_eq!(proved["security_bits"], 116);
    assert_eq!(proved["log_height"], 8);

    let (code, out, _) = run(&[
        "verify",
        &proof,
        "--program",
        &program,
        "--claim",
        &claim,
        "--json",
    ]);
    assert_eq!(code, 0);
    let verified = json(&out);
    assert_eq!(verified["steps"], 103);
    assert_eq!(verified["acc"], 21);
    assert_eq!(verified["halted"], 1);
    assert_eq!(verified["memory"], serde_json::json!([13, 21, 21, 7, 7]));

    let (code, out, _) = run(&["check", &trace, "--program", &program, "--json"]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["failures"], serde_json::json!([]));

    // Rejected: another program's claim, another program. Failing: a bad trace, a faulted run.
    let cases: [(&[&str], i32); 6] = [
        (
            &[
                "verify",
                &proof,
                "--program",
                &program,
                "--claim",
                &data("wrap_carry.claim.msgpack"),
            ],
            1,
        ),
        (
            &["verify", &proof, "--program", &data("wrap_carry.tvmc")],
            1,
        ),
        (
            &["verify", &proof, "--program", &data("fibonacci.ff7.tvmc")],
            1,
        ),
        (
            &[
                "check",
                &fixture("bad/controls.wrap--wrong-wrap.arrow"),
                "--program",
                &data("bad/controls.wrap--wrong-wrap.tvmc"),
            ],
            1,
        ),
        (
            &[
                "verify",
                &proof,
                "--program",
                &fixture("golden/fibonacci.arrow"),
            ],
            2,
        ),
        (
            &["verify", &data("no-such.proof"), "--program", &program],
            2,
        ),
    ];
    for (args, expected) in cases {
        let (code, _, err) = run(args);
        assert_eq!(code, expected, "{args:?}: {err}");
        if code != 0 {
            assert!(
                err.lines().count() <= 1 || args[0] == "check",
                "{args:?}: {err}"
            );
        }
    }
    let bad = dir.join("bad.proof").to_string_lossy().into_owned();
    for (trace, program) in [
        (
            "bad/controls.wrap--wrong-wrap.arrow",
            "bad/controls.wrap--wrong-wrap.tvmc",
        ),
        (
            "golden/fault_stack_underflow.arrow",
            "fault_stack_underflow.tvmc",
        ),
    ] {
        let (code, out, err) = run(&[
            "prove",
            &fixture(trace),
            "--program",
            &data(program),
            "-o",
            &bad,
            "--json",
        ]);
        assert_eq!(code, 1, "{trace}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(json(&out)["ok"], false);
        assert!(
            !std::path::Path::new(&bad).exists(),
            "{trace}: a proof was written"
        );
    }
    // Usage: 64.
    assert_eq!(run(&["verify", &proof]).0, 64);
    assert_eq!(run(&["verify", &proof, "--claim", &claim]).0, 64);
    assert_eq!(run(&["prove", &trace, "-o", &proof]).0, 64);
    assert_eq!(
        run(&["verify", &proof, "--program", &program, "--circuit", "x"]).0,
        64
    );
    let _ = std::fs::remove_dir_all(&dir);
}
