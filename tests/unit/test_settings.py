"""The config file: defaults, env indirection, and errors that name file, key and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from stripe_netsuite.exceptions import ConfigError
from stripe_netsuite.retry import RetryPolicy
from stripe_netsuite.settings import CustomerType, Settings, load_config

MINIMAL = """
[accounts.main]
stripe_account_id = "acct_1"
stripe_api_key = "sk_test_1"

[accounts.main.netsuite]
account_id = "1234567_SB1"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sns.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_gets_documented_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    account = config.account("main")
    assert account.netsuite.concurrency == 5
    assert account.options.customer_type is CustomerType.COMPANY
    assert account.flows.customers is True
    assert account.netsuite.rest_base_url == "https://1234567-sb1.suitetalk.api.netsuite.com"


@pytest.mark.parametrize(
    ("extra", "key", "problem"),
    [
        ("options]\ncustomer_typ = 'company'", "options.customer_typ", "unknown key"),
        ("options]\ncustomer_type = 'robot'", "options.customer_type", "Input should be"),
        ("flows]\ncustomers = 'maybe'", "flows.customers", "valid boolean"),
    ],
)
def test_config_error_names_file_key_and_problem(
    tmp_path: Path, extra: str, key: str, problem: str
) -> None:
    path = write(tmp_path, MINIMAL + "[accounts.main." + extra + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.file == str(path)
    assert info.value.key == "accounts.main." + key
    assert problem in str(info.value)
    assert str(path) in str(info.value)


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('stripe_api_key = "sk_test_1"\n', ""))
    with pytest.raises(ConfigError, match="required key is missing") as info:
        load_config(path)
    assert info.value.key == "accounts.main.stripe_api_key"


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[accounts.main\n")
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_config(path)
    assert info.value.file == str(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_secret_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNS_TEST_STRIPE_KEY", "sk_test_from_env")
    config = load_config(
        write(tmp_path, MINIMAL.replace('"sk_test_1"', '"env:SNS_TEST_STRIPE_KEY"'))
    )
    assert config.account("main").stripe_api_key.get_secret_value() == "sk_test_from_env"


def test_secret_from_missing_environment_variable_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('"sk_test_1"', '"env:SNS_TEST_NOT_SET_ANYWHERE"'))
    with pytest.raises(ConfigError, match="SNS_TEST_NOT_SET_ANYWHERE is not set"):
        load_config(path)


def test_settings_from_injected_environ() -> None:
    settings = Settings.from_environ({"SNS_DATABASE_URL": "sqlite:///x.db", "SNS_PORT": "9000"})
    assert settings.database_url == "sqlite:///x.db"
    assert settings.port == 9000


def test_settings_error_names_the_variable() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_environ({"SNS_PORT": "eighty"})
    assert info.value.key == "SNS_PORT"
    assert info.value.file == "environment"


def test_the_retry_policy_comes_from_the_environment() -> None:
    assert Settings.from_environ({}).retry_policy == RetryPolicy(
        max_attempts=8, base_seconds=2.0, cap_seconds=600.0, unexpected_attempts=3
    )
    settings = Settings.from_environ(
        {
            "SNS_RETRY_MAX_ATTEMPTS": "5",
            "SNS_RETRY_BASE_SECONDS": "0.5",
            "SNS_RETRY_CAP_SECONDS": "60",
            "SNS_RETRY_UNEXPECTED_ATTEMPTS": "1",
        }
    )
    assert settings.retry_policy == RetryPolicy(
        max_attempts=5, base_seconds=0.5, cap_seconds=60.0, unexpected_attempts=1
    )


@pytest.mark.parametrize(
    ("environ", "key", "problem"),
    [
        ({"SNS_RETRY_MAX_ATTEMPTS": "0"}, "SNS_RETRY_MAX_ATTEMPTS", "greater than 0"),
        ({"SNS_RETRY_BASE_SECONDS": "-1"}, "SNS_RETRY_BASE_SECONDS", "greater than 0"),
        ({"SNS_RETRY_UNEXPECTED_ATTEMPTS": "x"}, "SNS_RETRY_UNEXPECTED_ATTEMPTS", "valid integer"),
        (
            {"SNS_RETRY_BASE_SECONDS": "30", "SNS_RETRY_CAP_SECONDS": "10"},
            "SNS_RETRY_CAP_SECONDS",
            "must be at least SNS_RETRY_BASE_SECONDS (30.0)",
        ),
    ],
)
def test_a_bad_retry_setting_names_the_variable_and_the_problem(
    environ: dict[str, str], key: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_environ(environ)
    assert info.value.key == key
    assert problem in str(info.value)
    assert str(info.value).startswith(f"environment:{key}: ")


def test_settings_never_show_the_database_password() -> None:
    settings = Settings(database_url="postgresql+psycopg://sns:hunter2-secret@db.internal/sns")
    for shown in (repr(settings), str(settings), f"{settings!r}"):
        assert "hunter2-secret" not in shown
        assert "postgresql+psycopg://sns:***@db.internal/sns" in shown
    # The value itself stays usable by the code that connects.
    assert settings.database_url.endswith("sns:hunter2-secret@db.internal/sns")
