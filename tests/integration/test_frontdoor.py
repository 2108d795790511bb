"""The front door: what a newcomer types on a fresh clone (`make run`), as they type it."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _make(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("KAM_AS", "MAKEFLAGS", "MFLAGS")}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=kw.pop("timeout", 60),
        **kw,
    )


def test_make_run_speaks_as_alice_unless_kam_as_says_otherwise(tmp_path):
    venv = tmp_path / "venv"  # an installed venv, so -n shows only the run recipe
    venv.mkdir()
    (venv / ".installed").touch()
    base = _make("-n", "run", f"VENV={venv}")
    assert base.returncode == 0, base.stderr
    assert base.stdout.splitlines() == [
        f"{venv}/bin/kam demo",
        f"{venv}/bin/kam console --as 'alice'",
    ]
    by_arg = _make("-n", "run", f"VENV={venv}", "KAM_AS=王磊")
    assert by_arg.stdout.splitlines()[-1] == f"{venv}/bin/kam console --as '王磊'"
    by_env = _make("-n", "run", f"VENV={venv}", env={"KAM_AS": "wang"})
    assert by_env.stdout.splitlines()[-1] == f"{venv}/bin/kam console --as 'wang'"
    old = _make("-n", "run", f"VENV={venv}", env={"AS": "as"})  # make's assembler
    assert old.stdout.splitlines()[-1] == f"{venv}/bin/kam console --as 'alice'"


def _fake_python(tmp_path: Path, pip_rc: int) -> Path:
    """A `python` whose `-m venv DIR` makes DIR/bin/python, a pip that talks and exits pip_rc."""
    pip = (
        "#!/bin/sh\n"
        'echo "Obtaining file:///kam"\n'
        'echo "  DEPRECATION: Legacy editable install of kam" >&2\n'
        'echo "Successfully installed kam-0.1"\n'
        f"exit {pip_rc}\n"
    )
    python = (
        "#!/bin/sh\n"
        '[ "$1 $2" = "-m venv" ] || exit 9\n'
        'mkdir -p "$3/bin"\n'
        f"cat > \"$3/bin/python\" <<'EOF'\n{pip}EOF\n"
        'chmod +x "$3/bin/python"\n'
    )
    path = tmp_path / "python"
    path.write_text(python)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_install_keeps_pip_quiet_in_a_log(tmp_path):
    venv = tmp_path / "venv"
    out = _make("install", f"VENV={venv}", f"PYTHON={_fake_python(tmp_path, 0)}")
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    assert out.stderr == f"installing kam into {venv} (log: {venv}/install.log) ...\n"
    log = (venv / "install.log").read_text()
    assert "Successfully installed kam-0.1" in log and "DEPRECATION" in log
    assert (venv / ".installed").exists()


def test_a_failed_install_shows_pips_log_and_fails(tmp_path):
    venv = tmp_path / "venv"
    out = _make("install", f"VENV={venv}", f"PYTHON={_fake_python(tmp_path, 1)}")
    assert out.returncode != 0
    assert "DEPRECATION: Legacy editable install of kam" in out.stderr
    assert f"make: installing kam failed; the log above is in {venv}/install.log" in out.stderr
    assert not (venv / ".installed").exists()


def test_piped_make_run_prints_acmes_summary_and_exits_zero(tmp_path):
    """`printf '/account Acme\\n' | make run` — the README's first command, end to end."""
    if not (ROOT / ".venv" / ".installed").exists():
        pytest.skip("needs the project's .venv (make install)")
    out = _make(
        "run",
        input="/account Acme\n",
        env={"KAM_DATABASE_URL": f"sqlite:///{tmp_path / 'kam.db'}"},
        timeout=180,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert "accounts           40        0          0" in lines  # the demo book, made now
    assert "  Owner         Alice Chen · East" in lines  # Acme's summary (the demo book's Acme)
    assert "Open deals" in lines
    assert "kam console — you are Alice Chen (@alice, rep)." in out.stderr
    for pip_says in ("Successfully installed", "Obtaining", "DEPRECATION", "WARNING", "notice"):
        assert pip_says not in out.stdout + out.stderr
