"""``stripe-netsuite secrets``: values in on stdin, never out; rotate and delete."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stripe_netsuite import cli
from stripe_netsuite.settings import Settings
from stripe_netsuite.store import db
from stripe_netsuite.vault import LocalKeyFile, Vault

SECRET = "sk_live_CANARY_cli_80aa2f"

CONFIG = """
[accounts.main]
stripe_account_id = "acct_1"
stripe_api_key = "vault:stripe_api_key"

[accounts.main.netsuite]
account_id = "1234567_SB1"
"""


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a deployment: database, config and master key file in tmp_path."""
    (tmp_path / "sns.toml").write_text(CONFIG, encoding="utf-8")
    values = {
        "SNS_DATABASE_URL": f"sqlite:///{tmp_path}/sns.db",
        "SNS_CONFIG": str(tmp_path / "sns.toml"),
        "SNS_MASTER_KEY_FILE": str(tmp_path / "master.key"),
        "SNS_LOG_LEVEL": "WARNING",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("SNS_KMS_KEY_ID", "SNS_KMS_REGION"):
        monkeypatch.delenv(name, raising=False)
    return values


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, list(args), input=stdin)
    return result.exit_code, result.output


def stored(env: dict[str, str], account: str, name: str) -> str | None:
    database = db.make_database(env["SNS_DATABASE_URL"])
    try:
        keys = LocalKeyFile(Path(env["SNS_MASTER_KEY_FILE"]))
        return Vault(database=database, keys=keys).read(account, name)
    finally:
        database.dispose()


def test_set_reads_stdin_and_never_echoes_the_value(env: dict[str, str]) -> None:
    code, output = run("secrets", "set", "main", "stripe_api_key", stdin=SECRET + "\n")
    assert code == 0, output
    assert SECRET not in output
    assert '"vault:stripe_api_key"' in output
    assert stored(env, "main", "stripe_api_key") == SECRET, "echo's newline is dropped"
    key_file = Path(env["SNS_MASTER_KEY_FILE"])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert SECRET.encode() not in key_file.read_bytes()


def test_the_config_resolves_vault_references_at_the_edge(env: dict[str, str]) -> None:
    assert run("secrets", "set", "main", "stripe_api_key", stdin=SECRET)[0] == 0
    config = cli._config(Settings.from_environ())
    assert config.account("main").stripe_api_key.get_secret_value() == SECRET
    assert SECRET not in repr(config)


def test_a_missing_vault_entry_stops_a_command_naming_the_key(env: dict[str, str]) -> None:
    code, output = run("preview", "cus_1")
    assert code == 2
    assert "accounts.main.stripe_api_key" in output
    assert "stripe-netsuite secrets set main stripe_api_key" in output


def test_an_empty_stdin_is_refused(env: dict[str, str]) -> None:
    code, output = run("secrets", "set", "main", "stripe_api_key", stdin="")
    assert code == 2
    assert "no value on standard input" in output
    assert not Path(env["SNS_MASTER_KEY_FILE"]).exists()


def test_show_is_always_redacted(env: dict[str, str]) -> None:
    assert run("secrets", "show")[1].strip() == "(no secrets)"
    run("secrets", "set", "main", "stripe_api_key", stdin=SECRET)
    run("secrets", "set", "eu", "token_secret", stdin=SECRET + "-eu")
    for args in (["secrets", "show"], ["secrets", "show", "--redacted"]):
        code, output = run(*args)
        assert code == 0, output
        assert SECRET not in output
        assert "stripe_api_key" in output and "token_secret" in output
        assert output.count("**********") == 2
        assert "data key v1" in output and "master local v1" in output
    code, output = run("secrets", "show", "eu")
    assert "token_secret" in output and "stripe_api_key" not in output
    assert "--no-redacted" not in run("secrets", "show", "--help")[1]
    assert "only mode" in run("secrets", "show", "--help")[1]


def test_rotate_rewraps_and_everything_stays_readable(env: dict[str, str]) -> None:
    run("secrets", "set", "main", "stripe_api_key", stdin=SECRET)
    code, output = run("secrets", "rotate")
    assert code == 0, output
    assert "master key version added" in output
    assert "data key re-wrapped: main" in output
    assert "rotated 1 account" in output
    assert "master local v2" in run("secrets", "show")[1]
    assert LocalKeyFile(Path(env["SNS_MASTER_KEY_FILE"])).versions() == [2]
    code, output = run("secrets", "rotate", "--data-keys")
    assert code == 0, output
    assert "data key replaced: main" in output
    assert "data key v2" in run("secrets", "show")[1]
    assert stored(env, "main", "stripe_api_key") == SECRET
    assert SECRET not in output


def test_delete(env: dict[str, str]) -> None:
    run("secrets", "set", "main", "stripe_api_key", stdin=SECRET)
    assert run("secrets", "delete", "main", "stripe_api_key") == (
        0,
        "deleted main/stripe_api_key\n",
    )
    code, output = run("secrets", "delete", "main", "stripe_api_key")
    assert code == 1
    assert "no secret main/stripe_api_key" in output
    assert stored(env, "main", "stripe_api_key") is None


def test_a_vault_problem_is_an_error_line_not_a_traceback(env: dict[str, str]) -> None:
    run("secrets", "set", "main", "stripe_api_key", stdin=SECRET)
    Path(env["SNS_MASTER_KEY_FILE"]).unlink()
    code, output = run("secrets", "rotate", "--data-keys")
    assert code == 2
    assert output.startswith("error: ") and "does not exist" in output
    assert "Traceback" not in output
    code, output = run("secrets", "set", "eu", "stripe_api_key", stdin=SECRET)
    assert code == 2
    assert "the data keys of main are wrapped by a key file" in output
    assert not Path(env["SNS_MASTER_KEY_FILE"]).exists()
    code, output = run("preview", "cus_1")
    assert code == 2
    assert "accounts.main.stripe_api_key" in output and "master key file" in output
