"""The command line: a config mistake stops it with file, key and problem, and stores nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stripe_netsuite", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[accounts.main]\nstripe_account_id = 'acct_1'\n",
            "accounts.main.stripe_api_key: required",
        ),
        ("[accounts.main\n", "not valid TOML"),
        (
            "[accounts.main]\nstripe_account_id='a'\nstripe_api_key='k'\nstripe_api_kye='k'\n"
            "[accounts.main.netsuite]\naccount_id='1'\n",
            "accounts.main.stripe_api_kye: unknown key",
        ),
    ],
)
def test_config_error_stops_serve_and_stores_nothing(
    tmp_path: Path, toml: str, expected: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml, encoding="utf-8")
    db_file = tmp_path / "sns.db"
    env = {"SNS_DATABASE_URL": f"sqlite:///{db_file}", "PATH": "/usr/bin:/bin"}
    result = run("serve", "--config", str(config), cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert str(config) in result.stderr
    assert expected in result.stderr
    assert not db_file.exists()


def test_status_and_retry_on_an_empty_database(tmp_path: Path) -> None:
    env = {"SNS_DATABASE_URL": f"sqlite:///{tmp_path / 'sns.db'}", "PATH": "/usr/bin:/bin"}
    status = run("status", cwd=tmp_path, env=env)
    assert status.returncode == 0, status.stderr
    assert "(no jobs)" in status.stdout
    retry = run("retry", "42", cwd=tmp_path, env=env)
    assert retry.returncode == 1
    assert "re-queued 0 jobs" in retry.stdout
    neither = run("retry", cwd=tmp_path, env=env)
    assert neither.returncode == 2
    assert "give a job id or --all" in neither.stderr
