"""``[accounts.<name>.alerts]`` and the console's ``SNS_*`` settings: secrets resolved, typos
named, every new setting documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from stripe_netsuite.credentials import SecretResolver
from stripe_netsuite.exceptions import ConfigError
from stripe_netsuite.settings import Settings, parse_config

ACCOUNT = {
    "stripe_account_id": "acct_1",
    "stripe_api_key": "sk_test_1",
    "netsuite": {"account_id": "1234567_SB1"},
}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_alert_secrets_are_resolved_from_references(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK", "https://hooks.example/T0/B0/x")
    monkeypatch.setenv("SMTP_PASSWORD", "mail secret")
    alerts = {"webhook_url": "env:HOOK", "smtp_password": "env:SMTP_PASSWORD",
              "smtp_host": "smtp.example", "email_to": ["ops@example.com"]}  # fmt: skip
    config = parse_config({"accounts": {"main": {**ACCOUNT, "alerts": alerts}}},
                          secrets=SecretResolver())  # fmt: skip
    found = config.accounts["main"].alerts
    assert found.webhook_url is not None and found.smtp_password is not None
    assert found.webhook_url.get_secret_value() == "https://hooks.example/T0/B0/x"
    assert found.smtp_password.get_secret_value() == "mail secret"
    assert "mail secret" not in repr(found) and "hooks.example" not in repr(found)


def test_a_typo_in_the_alerts_table_is_named() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"accounts": {"main": {**ACCOUNT, "alerts": {"smtp_hots": "x"}}}})
    assert "accounts.main.alerts.smtp_hots" in str(caught.value)
    assert "unknown key" in str(caught.value)


def test_the_console_settings_come_from_the_environment() -> None:
    found = Settings.from_environ({"SNS_LOG_FORMAT": "json", "SNS_METRICS_TOKEN": "t0ken",
                                   "SNS_CONSOLE_SECURE_COOKIES": "true",
                                   "SNS_ALERT_CHECK_SECONDS": "0"})  # fmt: skip
    assert found.log_format == "json" and found.console_secure_cookies is True
    assert found.metrics_token is not None and found.metrics_token.get_secret_value() == "t0ken"
    assert found.alert_check_seconds == 0
    with pytest.raises(ConfigError, match="SNS_LOG_FORMAT"):
        Settings.from_environ({"SNS_LOG_FORMAT": "xml"})


@pytest.mark.parametrize(
    "name",
    ["SNS_LOG_FORMAT", "SNS_CONSOLE_SECURE_COOKIES", "SNS_METRICS_TOKEN",
     "SNS_ALERT_CHECK_SECONDS", "SNS_PAYOUT_CHECK_SECONDS", "SNS_TIEOUT_CHECK_SECONDS"],
)  # fmt: skip
def test_each_console_setting_is_documented(name: str) -> None:
    assert f"| `{name}` |" in DOCS.read_text(encoding="utf-8")
