"""Secrets in the config: env:, file:, vault: or the value, held so that they never print."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from stripe_netsuite.credentials import SecretResolver, redact_url
from stripe_netsuite.exceptions import ConfigError
from stripe_netsuite.netsuite.governor import libpq_url
from stripe_netsuite.settings import (
    NETSUITE_SECRETS,
    account_kms_key_ids,
    load_config,
    parse_config,
)
from stripe_netsuite.store import db

#: A value that must never appear in any rendering.
SECRET = "sk_live_CANARY_5e1f0a77b3"
PEM = "-----BEGIN PRIVATE KEY-----\nCANARYPEMBODY0123\n-----END PRIVATE KEY-----\n"


def raw(api_key: str = SECRET, **netsuite: str) -> dict[str, Any]:
    return {
        "accounts": {
            "main": {
                "stripe_account_id": "acct_1",
                "stripe_api_key": api_key,
                "netsuite": {"account_id": "1234567_SB1", **netsuite},
            }
        }
    }


class FakeVault:
    """Entries by (account, name); remembers what was asked."""

    def __init__(self, entries: dict[tuple[str, str], str]) -> None:
        self.entries = entries
        self.asked: list[tuple[str, str]] = []

    def read(self, account: str, name: str) -> str | None:
        self.asked.append((account, name))
        return self.entries.get((account, name))


def test_a_literal_value_is_kept() -> None:
    config = parse_config(raw())
    assert config.account("main").stripe_api_key.get_secret_value() == SECRET


def test_env_reference_reads_the_variable() -> None:
    config = parse_config(raw("env:MY_KEY"), secrets=SecretResolver(environ={"MY_KEY": SECRET}))
    assert config.account("main").stripe_api_key.get_secret_value() == SECRET


def test_file_reference_drops_the_trailing_newline_of_a_one_line_secret(tmp_path: Path) -> None:
    path = tmp_path / "key.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    config = parse_config(raw(f"file:{path}"))
    assert config.account("main").stripe_api_key.get_secret_value() == SECRET


def test_file_reference_keeps_a_pem_key_whole(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_text(PEM, encoding="utf-8")
    config = parse_config(raw(private_key=f"file:{path}"))
    key = config.account("main").netsuite.private_key
    assert key is not None
    assert key.get_secret_value() == PEM


def test_vault_reference_reads_this_accounts_entry() -> None:
    vault = FakeVault({("main", "stripe_key"): SECRET})
    config = parse_config(raw("vault:stripe_key"), secrets=SecretResolver(open_vault=lambda: vault))
    assert config.account("main").stripe_api_key.get_secret_value() == SECRET
    assert vault.asked == [("main", "stripe_key")]


def test_the_vault_is_opened_only_for_a_vault_reference() -> None:
    opened: list[int] = []

    def open_vault() -> FakeVault:
        opened.append(1)
        return FakeVault({})

    parse_config(raw("env:K"), secrets=SecretResolver(environ={"K": "x"}, open_vault=open_vault))
    assert opened == []


def test_every_netsuite_secret_key_resolves() -> None:
    environ = {f"NS_{key.upper()}": f"{key}-value" for key in NETSUITE_SECRETS}
    netsuite = {key: f"env:NS_{key.upper()}" for key in NETSUITE_SECRETS}
    config = parse_config(raw(**netsuite), secrets=SecretResolver(environ=environ))
    resolved = config.account("main").netsuite
    for key in NETSUITE_SECRETS:
        assert getattr(resolved, key).get_secret_value() == f"{key}-value"


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("env:NOT_SET_ANYWHERE", "environment variable NOT_SET_ANYWHERE is not set"),
        ("file:/nonexistent/dir/token.txt", "cannot read file:/nonexistent/dir/token.txt"),
        ("vault:missing", "the vault has no entry 'missing' for account 'main'"),
    ],
)
def test_a_missing_source_names_file_and_key_and_never_a_value(
    reference: str, problem: str
) -> None:
    # The literal secret sits in another key of the same account: it must not leak.
    secrets = SecretResolver(environ={}, open_vault=lambda: FakeVault({}))
    with pytest.raises(ConfigError) as info:
        parse_config(raw(consumer_secret=reference), source="sns.toml", secrets=secrets)
    assert info.value.file == "sns.toml"
    assert info.value.key == "accounts.main.netsuite.consumer_secret"
    assert problem in str(info.value)
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)


def test_a_vault_reference_without_a_vault_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="needs the encrypted store") as info:
        parse_config(raw("vault:stripe_key"))
    assert info.value.key == "accounts.main.stripe_api_key"


def test_a_failing_vault_is_reported_at_the_key() -> None:
    class Broken:
        def read(self, account: str, name: str) -> str | None:
            raise ConfigError("the ciphertext does not authenticate")

    with pytest.raises(ConfigError, match="does not authenticate") as info:
        parse_config(raw("vault:k"), secrets=SecretResolver(open_vault=Broken))
    assert info.value.key == "accounts.main.stripe_api_key"


def test_a_structural_error_is_reported_before_any_reference_is_read() -> None:
    opened: list[int] = []

    def open_vault() -> FakeVault:
        opened.append(1)
        return FakeVault({})

    config = raw("vault:k")
    config["accounts"]["main"]["stripe_api_kye"] = SECRET
    with pytest.raises(ConfigError, match="unknown key") as info:
        parse_config(config, secrets=SecretResolver(open_vault=open_vault))
    assert opened == []
    assert SECRET not in str(info.value)


def test_private_key_and_private_key_file_together_are_refused() -> None:
    with pytest.raises(ConfigError, match="not both") as info:
        parse_config(raw(private_key="x", private_key_file="/k.pem"))
    assert info.value.key == "accounts.main.netsuite"


def test_no_rendering_of_the_config_shows_a_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "pem").write_text(PEM, encoding="utf-8")
    text = f"""
[accounts.main]
stripe_account_id = "acct_1"
stripe_api_key = "{SECRET}"
stripe_webhook_secret = "whsec_{SECRET}"
[accounts.main.netsuite]
account_id = "1"
auth = "tba"
consumer_key = "ck_{SECRET}"
consumer_secret = "cs_{SECRET}"
token_id = "tid_{SECRET}"
token_secret = "ts_{SECRET}"
private_key = "file:{tmp_path / "pem"}"
private_key_passphrase = "pp_{SECRET}"
"""
    path = tmp_path / "sns.toml"
    path.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.DEBUG):
        config = load_config(path)
    account = config.account("main")
    renderings = [
        repr(config),
        str(config),
        repr(account),
        str(account.netsuite),
        str(config.model_dump()),
        json.dumps(config.model_dump(mode="json")),
        config.model_dump_json(),
        caplog.text,
    ]
    for rendering in renderings:
        assert SECRET not in rendering
        assert "CANARYPEMBODY" not in rendering
    assert "**********" in repr(account)
    assert account.netsuite.token_secret is not None
    assert account.netsuite.token_secret.get_secret_value() == f"ts_{SECRET}"


def test_account_kms_key_ids_are_read_without_resolving_secrets(tmp_path: Path) -> None:
    path = tmp_path / "sns.toml"
    path.write_text(
        '[accounts.a]\nkms_key_id = "alias/a"\nstripe_api_key = "vault:x"\n[accounts.b]\n',
        encoding="utf-8",
    )
    assert account_kms_key_ids(path) == {"a": "alias/a"}
    assert account_kms_key_ids(tmp_path / "absent.toml") == {}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://sns:hunter2pw@db/sns", "postgresql://sns:***@db/sns"),
        ("postgresql+psycopg://u:p%40ss@db:5432/x?sslmode=require", "postgresql+psycopg://u:***@db:5432/x?sslmode=require"),
        ("postgresql://u:p@ss@db/x", "postgresql://u:***@db/x"),
        ("postgresql://sns@db/sns", "postgresql://sns@db/sns"),
        ("sqlite:///var/sns.db", "sqlite:///var/sns.db"),
    ],
)  # fmt: skip
def test_database_urls_print_without_their_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_database_errors_mask_the_password() -> None:
    with pytest.raises(ValueError) as info:
        db.make_database("mysql://sns:hunter2pw@db/sns")
    assert "hunter2pw" not in str(info.value)
    assert "sns:***@db" in str(info.value)
    with pytest.raises(ValueError) as info:
        libpq_url("mysql://sns:hunter2pw@db/sns")
    assert "hunter2pw" not in str(info.value)
