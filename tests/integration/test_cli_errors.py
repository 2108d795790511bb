"""A bad database URL or configuration file: one clear line and a non-zero exit, never a
traceback (issue 15 item 10), through the real ``kam`` console script."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

KAM = os.path.join(os.path.dirname(sys.executable), "kam")
ROOT = str(Path(__file__).resolve().parents[2])  # this checkout's code, not an installed one


def kam(tmp_path, *args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KAM_", "SLACK_", "WECOM_"))}
    out = subprocess.run(
        [KAM, *args],
        env={**base, "PYTHONPATH": ROOT, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out.returncode, out.stdout, out.stderr


def assert_one_line(code, stdout, stderr, *expected):
    assert code != 0
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("kam: ")
    for words in expected:
        assert words in lines[0]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("garbage", "KAM_DATABASE_URL is not a database URL"),
        ("foo://x/y", "names the database 'foo'; kam runs on SQLite or PostgreSQL"),
        ("mysql://kam:hunter22@h/d", "names the database 'mysql'"),
        ("sqlite:////nonexistent/dir/x.db", "the folder /nonexistent/dir of the SQLite"),
        ("postgresql://kam:hunter22@nohost.invalid/kam", "failed to resolve host"),
        ("postgresql://kam:hunter22@127.0.0.1:1/kam", "cannot use the database postgresql"),
    ],
)
def test_a_bad_database_url_is_one_line(tmp_path, url, expected):
    code, stdout, stderr = kam(tmp_path, "demo", KAM_DATABASE_URL=url)
    assert_one_line(code, stdout, stderr, expected)
    assert "hunter22" not in stderr


def test_a_sqlite_file_that_cannot_be_opened_is_one_line(tmp_path):
    folder = tmp_path / "kam.db"
    folder.mkdir()  # a folder where the database file should be
    code, stdout, stderr = kam(tmp_path, "demo", KAM_DATABASE_URL=f"sqlite:///{folder}")
    assert_one_line(code, stdout, stderr, "cannot use the database", "unable to open")


def test_a_kam_toml_that_is_not_utf8_is_one_line(tmp_path):
    (tmp_path / "kam.toml").write_bytes('timezone = "北京"\n'.encode("gb18030"))
    code, stdout, stderr = kam(tmp_path, "demo", KAM_DATABASE_URL=f"sqlite:///{tmp_path}/k.db")
    assert_one_line(code, stdout, stderr, "kam.toml: not UTF-8 text (line 1", "save it as UTF-8")


def test_kam_config_naming_a_folder_is_one_line(tmp_path):
    (tmp_path / "conf").mkdir()
    code, stdout, stderr = kam(
        tmp_path, "demo", KAM_CONFIG=str(tmp_path / "conf"), KAM_DATABASE_URL="sqlite:///k.db"
    )
    assert_one_line(code, stdout, stderr, "is a folder, not a file (KAM_CONFIG)")
