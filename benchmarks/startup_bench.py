"""``kam run`` from start to ``/healthz`` 200, and how long importing the handlers takes.

Start to ready is what a deploy or a restart costs: the process is started exactly as
an operator starts it (``kam run --port 0``, the scheduler on, with only
``KAM_DATABASE_URL`` set and no kam.toml), its "kam ready on URL" line is read from
stderr, and ``/healthz`` is polled until it answers 200.  The server's peak resident
memory is read from /proc at that moment and again when it exits (after SIGTERM): the
second includes the scheduler's catch-up run of the jobs due at start.

The handlers' import time (``import handlers.dispatcher``, which registers every
command) is measured in a fresh interpreter each time, with the slowest modules from
``python -X importtime``.

    .venv/bin/python -m benchmarks.startup_bench --database-url sqlite:///bench.db
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from statistics import median
from typing import Any

from benchmarks import clean_env, cli, kam_command

READY = re.compile(r"kam ready on (http://\S+)")


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return round(int(m[1]) / 1024, 1) if m else None


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(proc: subprocess.Popen, timeout: float) -> tuple[int, float | None]:
    """SIGTERM our server, wait for it (SIGKILL after ``timeout``); its exit code and peak RSS."""
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, round(usage.ru_maxrss / 1024, 1)
        if time.monotonic() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, round(usage.ru_maxrss / 1024, 1)
        time.sleep(0.05)


def start_to_ready(database_url: str, *, timeout: float = 60.0) -> dict[str, Any]:
    """One ``kam run``: seconds to the ready line and to the first /healthz 200."""
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kam-bench-run-") as cwd:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*kam_command(), "run", "--host", "127.0.0.1", "--port", "0"],
            cwd=cwd,
            env=clean_env(database_url),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

        def drain() -> None:  # read stderr to the end, so the server never blocks on it
            assert proc.stderr is not None
            for line in proc.stderr:
                lines.append(line.rstrip())
                if not found.is_set() and (m := READY.search(line)):
                    url.append(m[1])
                    found.set()

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            if not found.wait(timeout) or not url:
                raise RuntimeError("kam run never said it was ready:\n" + "\n".join(lines[-20:]))
            ready_line = time.perf_counter() - started
            while not _healthy(url[0]):
                if proc.poll() is not None or time.perf_counter() - started > timeout:
                    raise RuntimeError("/healthz never answered 200:\n" + "\n".join(lines[-20:]))
                time.sleep(0.005)
            healthy = time.perf_counter() - started
            rss_ready = _vm_hwm_mb(proc.pid)
        finally:
            code, rss_exit = _stop(proc, timeout)
            reader.join(timeout=5)
    return {
        "ready_line_s": round(ready_line, 3),
        "healthz_s": round(healthy, 3),
        "rss_at_ready_mb": rss_ready,
        "peak_rss_mb": rss_exit,
        "exit_code": code,
    }


_IMPORT = (
    "import time; t = time.perf_counter(); import handlers.dispatcher; "
    "print(time.perf_counter() - t)"
)


def import_time(runs: int = 3) -> dict[str, Any]:
    """Seconds to import the handlers in a fresh interpreter; the slowest modules."""
    took = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _IMPORT], capture_output=True, text=True, check=True
        )
        took.append(float(out.stdout.strip()))
    report = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import handlers.dispatcher"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    return {"median_ms": round(median(took) * 1000, 1), "slowest": slowest_imports(report)}


def slowest_imports(report: str, top: int = 6) -> list[tuple[str, float]]:
    """The packages whose own modules cost most to import (``-X importtime`` self ms)."""
    cost: dict[str, float] = {}
    for line in report.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            root = m[2].split(".")[0]
            cost[root] = cost.get(root, 0.0) + int(m[1]) / 1000
    ranked = sorted(cost.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return [(name, round(ms, 1)) for name, ms in ranked]


def run(database_url: str, *, runs: int = 3, timeout: float = 60.0) -> dict[str, Any]:
    starts = [start_to_ready(database_url, timeout=timeout) for _ in range(runs)]
    healthz = sorted(s["healthz_s"] for s in starts)
    return {
        "runs": runs,
        "healthz_s": {"median": median(healthz), "max": healthz[-1]},
        "ready_line_s": median(s["ready_line_s"] for s in starts),
        "rss_at_ready_mb": max(s["rss_at_ready_mb"] or 0 for s in starts),
        "server_peak_rss_mb": max(s["peak_rss_mb"] or 0 for s in starts),
        "exit_codes": sorted({s["exit_code"] for s in starts}),
        "import_handlers": import_time(runs),
        "errors": sum(1 for s in starts if s["exit_code"] != 0),
    }


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60.0)


def _main(args: argparse.Namespace) -> dict[str, Any]:
    return run(args.database_url, runs=args.runs, timeout=args.timeout)


def main(argv: list[str] | None = None) -> int:
    return cli(__doc__.splitlines()[0], _arguments, _main, argv)


if __name__ == "__main__":
    raise SystemExit(main())
