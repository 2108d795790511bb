"""``kam run`` from start to ``/healthz`` 200, a cold ``kam say``, and importing the handlers.

Start to ready is what a deploy or a restart costs: the process is started exactly as
an operator starts it (``kam run --port 0``, the scheduler on, with only
``KAM_DATABASE_URL`` set and no kam.toml), its "kam ready on URL" line is read from
stderr, and ``/healthz`` is polled until it answers 200.  The server's peak resident
memory is read from /proc at that moment and again when it exits (after SIGTERM): the
second includes the scheduler's catch-up run of the jobs due at start.

A cold ``kam say`` is what a person at a terminal (or a script) waits for: a new
process answers one message and exits.  Two messages are timed, ``/help`` (no account
read) and ``/account NAME`` (one account of the book, asked by its owner, by its exact
name), each ``--say-runs`` times after one untimed run.  For each: the median and the
largest wall time, the child's CPU time (user + system, from ``wait4``: it does not
grow when the machine is busy, wall time does) and its peak resident memory.  The
children may write Python's bytecode cache (``PYTHONDONTWRITEBYTECODE`` is dropped for
them), as an installed kam has it; the untimed run writes it.  The slowest imports of
``kam say /help`` (``python -X importtime``) show where the rest of the time goes.

The handlers' import time (``import handlers.dispatcher``, which registers every
command) is measured in a fresh interpreter each time, with the slowest modules from
``python -X importtime``.

    .venv/bin/python -m benchmarks.startup_bench --database-url sqlite:///bench.db
    .venv/bin/python -m benchmarks.startup_bench --database-url sqlite:///bench.db --runs 0 --say-runs 7
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

from benchmarks import clean_env, cli, kam_command, sample_accounts

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


def _say_env(database_url: str) -> dict[str, str]:
    env = clean_env(database_url)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed kam has its bytecode cached
    return env


def say_once(
    database_url: str, speaker: str, text: str, *, timeout: float = 60.0
) -> dict[str, Any]:
    """One ``kam say --as SPEAKER TEXT`` in a new process: its wall and CPU seconds, its
    peak resident memory (both from ``wait4``) and what it printed."""
    with tempfile.TemporaryDirectory(prefix="kam-bench-say-") as cwd:
        out, err = Path(cwd, "out"), Path(cwd, "err")
        with out.open("w") as stdout, err.open("w") as stderr:
            started = time.perf_counter()
            proc = subprocess.Popen(
                [*kam_command(), "say", "--as", speaker, text],
                cwd=cwd,
                env=_say_env(database_url),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
            deadline = started + timeout
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    proc.kill()
                    os.wait4(proc.pid, 0)
                    raise RuntimeError(f"kam say {text!r} took more than {timeout} s")
                time.sleep(0.002)
            wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        return {
            "wall_s": wall,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "code": proc.returncode,
            "out": out.read_text(),
            "err": err.read_text(),
        }


def cold_say(
    database_url: str, speaker: str, text: str, *, runs: int = 5, timeout: float = 60.0
) -> dict[str, Any]:
    """``runs`` cold ``kam say`` after an untimed one: wall and CPU median and max (s)."""
    first = say_once(database_url, speaker, text, timeout=timeout)
    if first["code"] != 0:
        raise RuntimeError(f"kam say {text!r} failed ({first['code']}): {first['err'][-2000:]}")
    timed = [say_once(database_url, speaker, text, timeout=timeout) for _ in range(runs)]
    wall = sorted(t["wall_s"] for t in timed)
    cpu = sorted(t["cpu_s"] for t in timed)
    return {
        "text": text,
        "runs": runs,
        "wall_s": {"median": round(median(wall), 3), "max": round(wall[-1], 3)},
        "cpu_s": {"median": round(median(cpu), 3), "max": round(cpu[-1], 3)},
        "peak_rss_mb": max(t["peak_rss_mb"] for t in timed),
        "errors": sum(1 for t in timed if t["code"] != 0),
        "answer": first["out"].splitlines()[0] if first["out"] else "",
    }


def say_imports(database_url: str, speaker: str) -> list[tuple[str, float]]:
    """The packages that cost most to import in ``kam say --as SPEAKER /help``."""
    with tempfile.TemporaryDirectory(prefix="kam-bench-say-") as cwd:
        report = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "bot.cli", "say", "--as", speaker, "/help"],
            cwd=cwd,
            env=_say_env(database_url),
            capture_output=True,
            text=True,
            check=True,
        ).stderr
    return slowest_imports(report, top=10)


def say_sample(database_url: str) -> tuple[str, str]:
    """An account of the book and its owner: who asks ``/account NAME``, and the name."""
    from storage.engine import make_engine

    engine = make_engine(database_url)
    try:
        (account,) = sample_accounts(engine, 1, seed=16)
    finally:
        engine.dispose()
    return account.owner, account.name


def run(
    database_url: str, *, runs: int = 3, say_runs: int = 5, timeout: float = 60.0
) -> dict[str, Any]:
    result: dict[str, Any] = {"runs": runs, "errors": 0}
    if runs:
        starts = [start_to_ready(database_url, timeout=timeout) for _ in range(runs)]
        healthz = sorted(s["healthz_s"] for s in starts)
        result |= {
            "healthz_s": {"median": median(healthz), "max": healthz[-1]},
            "ready_line_s": median(s["ready_line_s"] for s in starts),
            "rss_at_ready_mb": max(s["rss_at_ready_mb"] or 0 for s in starts),
            "server_peak_rss_mb": max(s["peak_rss_mb"] or 0 for s in starts),
            "exit_codes": sorted({s["exit_code"] for s in starts}),
            "import_handlers": import_time(runs),
            "errors": sum(1 for s in starts if s["exit_code"] != 0),
        }
    if say_runs:
        speaker, name = say_sample(database_url)
        result["say_help"] = cold_say(
            database_url, speaker, "/help", runs=say_runs, timeout=timeout
        )
        result["say_account"] = cold_say(
            database_url, speaker, f"/account {name}", runs=say_runs, timeout=timeout
        )
        result["say_imports"] = say_imports(database_url, speaker)
        result["errors"] += result["say_help"]["errors"] + result["say_account"]["errors"]
    return result


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=3, help="kam run starts (0: none)")
    parser.add_argument("--say-runs", type=int, default=5, help="cold kam say runs per message")
    parser.add_argument("--timeout", type=float, default=60.0)


def _main(args: argparse.Namespace) -> dict[str, Any]:
    return run(args.database_url, runs=args.runs, say_runs=args.say_runs, timeout=args.timeout)


def main(argv: list[str] | None = None) -> int:
    return cli(__doc__.splitlines()[0], _arguments, _main, argv)


if __name__ == "__main__":
    raise SystemExit(main())
