"""The Ray task: one segment proved on whichever node Ray picks, from its job alone.

The node runs `tvm-trace prove-segment` from its own checkout of the repository (the same
path on every node), which regenerates the segment from the job's initial state, checks its
SHA-256 and proves it. The proof's bytes travel back to the driver through Ray.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass
class SegmentResult:
    """What a task returns: the proof, or the worker's exit code and its one-line error."""

    index: int
    proof: bytes | None
    code: int
    error: str
    node: str
    started: float
    finished: float
    worker_seconds: float
    prove_seconds: float | None


def prove_segment(index: int, job: bytes, repo: str, node: str) -> SegmentResult:
    """Run `node REPO/dist/cli/main.js prove-segment - -o PROOF` with the job on stdin."""
    import ray  # noqa: PLC0415 (imported on the worker, where Ray is running)

    started = time.time()
    ip = ray.util.get_node_ip_address()
    with tempfile.TemporaryDirectory(prefix="tvm-ray-") as scratch:
        out = os.path.join(scratch, "segment.proof")
        command = [node, os.path.join(repo, "dist", "cli", "main.js"), "prove-segment", "-", "-o", out]
        t0 = time.monotonic()
        try:
            run = subprocess.run(command, input=job, capture_output=True, check=False)
        except OSError as error:
            return SegmentResult(index, None, 2, f"cannot run {node} on {ip}: {error}", ip, started, time.time(), 0.0, None)
        seconds = time.monotonic() - t0
        if run.returncode != 0:
            lines = [line for line in run.stderr.decode("utf8", "replace").splitlines() if line.strip()]
            error = lines[-1] if lines else f"prove-segment exited {run.returncode}"
            return SegmentResult(index, None, run.returncode, error, ip, started, time.time(), seconds, None)
        with open(out, "rb") as file:
            proof = file.read()
    prove_seconds = None
    for line in run.stdout.decode("utf8", "replace").splitlines():
        try:
            prove_seconds = float(json.loads(line)["prove_seconds"])
        except (ValueError, KeyError, TypeError):
            continue
    return SegmentResult(index, proof, 0, "", ip, started, time.time(), seconds, prove_seconds)
