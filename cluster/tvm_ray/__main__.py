"""Driver: `python -m tvm_ray --address HOST:PORT --repo DIR --out-dir DIR --memory-bytes B JOB…`.

Submits one Ray task per job file (`segment-NNNNN.json`, as `tvm-trace prove run/ --ray`
writes them), each declaring one CPU and the memory a segment's proof needs, so that a node
takes no more segments than its memory holds; a task lost with its worker or node is
retried. Each proof is written to OUT-DIR/segment-NNNNN.proof (temporary file, then rename)
as it arrives, and one JSON line per segment is printed. Errors are one line on stderr.
Exit codes: 0 every segment proved; 1 a segment failed its check or proof (not retried),
or its task was lost more often than --retries; 2 bad input, or the cluster cannot be
reached; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys
import time

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def fail(message: str, code: int) -> int:
    print(f"tvm-ray: {message}", file=sys.stderr, flush=True)
    return code


def reachable(address: str) -> str | None:
    """None when something listens at HOST:PORT, else why not (Ray itself retries for minutes)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return f"'{address}' is not HOST:PORT"
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            return None
    except OSError as error:
        return f"cannot reach the Ray cluster at {address} ({error.strerror or error})"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tvm_ray")
    parser.add_argument("--address", required=True, help="the cluster's head, HOST:PORT")
    parser.add_argument("--node-ip-address", default=None, help="this driver's address in the cluster")
    parser.add_argument("--repo", required=True, help="the checkout of tvm-trace on every node")
    parser.add_argument("--node", default="node", help="the Node.js binary on the nodes")
    parser.add_argument("--out-dir", required=True, help="where the segment proofs go")
    parser.add_argument("--memory-bytes", type=int, required=True, help="memory one segment's proof needs")
    parser.add_argument("--retries", type=int, default=3, help="retries of a task lost with its worker")
    parser.add_argument("jobs", nargs="+", help="segment job files (segment-NNNNN.json)")
    args = parser.parse_args(argv)

    jobs: list[tuple[int, bytes]] = []
    for path in args.jobs:
        match = re.search(r"segment-(\d+)\.json$", path)
        if match is None:
            return fail(f"{path}: not a segment job file (segment-NNNNN.json)", EXIT_BAD_INPUT)
        try:
            with open(path, "rb") as file:
                jobs.append((int(match.group(1)), file.read()))
        except OSError as error:
            return fail(f"{path}: cannot read ({error.strerror})", EXIT_BAD_INPUT)

    why = reachable(args.address)
    if why is not None:
        return fail(why, EXIT_BAD_INPUT)

    import ray  # noqa: PLC0415 (only once the address answers)
    from ray.exceptions import RayError  # noqa: PLC0415

    from .task import prove_segment  # noqa: PLC0415

    try:
        ray.init(
            address=args.address,
            _node_ip_address=args.node_ip_address,
            logging_level="ERROR",
            log_to_driver=False,
        )
    except Exception as error:  # Ray raises ConnectionError, RuntimeError, ValueError…
        return fail(f"cannot join the Ray cluster at {args.address}: {error}".splitlines()[0], EXIT_BAD_INPUT)

    remote = ray.remote(prove_segment).options(
        num_cpus=1,
        memory=args.memory_bytes,
        max_retries=args.retries,
        retry_exceptions=False,
    )
    pending = {remote.remote(index, job, args.repo, args.node): index for index, job in jobs}
    last_finished: dict[str, float] = {}
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                index = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except RayError as error:
                    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                    return fail(f"segment {index}: the task failed after {args.retries} retries: {first}", EXIT_FAILED)
                received = time.time()
                if result.proof is None:
                    code = result.code if result.code in (EXIT_FAILED, EXIT_BAD_INPUT) else EXIT_FAILED
                    return fail(f"segment {index} on {result.node}: {result.error}", code)
                target = os.path.join(args.out_dir, f"segment-{index:05d}.proof")
                temp = f"{target}.{os.getpid()}.tmp"
                with open(temp, "wb") as file:
                    file.write(result.proof)
                os.replace(temp, target)
                # Scheduling: the gap between this node's last task and this one; data: the
                # proof's way back to the driver.
                gap = result.started - last_finished.get(result.node, result.started)
                last_finished[result.node] = max(last_finished.get(result.node, 0.0), result.finished)
                print(
                    json.dumps(
                        {
                            "segment": index,
                            "node": result.node,
                            "seconds": round(result.worker_seconds, 3),
                            "prove_seconds": result.prove_seconds,
                            "task_seconds": round(result.finished - result.started, 3),
                            "schedule_gap_seconds": round(max(0.0, gap), 3),
                            "return_seconds": round(received - result.finished, 3),
                            "bytes": len(result.proof),
                        }
                    ),
                    flush=True,
                )
    except KeyboardInterrupt:
        return fail("interrupted; the segments proved so far are kept", EXIT_INTERRUPTED)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
