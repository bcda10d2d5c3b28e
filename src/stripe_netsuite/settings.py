"""One `Settings` object, built at the edge, and the per-account TOML config it points at.

Environment variables (prefix ``SNS_``) say where things are: the database, the
config file, the address to serve on. The TOML file says what to sync: one table per
Stripe account, with its NetSuite credentials, subsidiary, GL accounts, items,
options, flow switches and metadata → field mappings. Every key is listed with its
default in docs/configuration.md.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from stripe_netsuite.exceptions import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///stripe-netsuite.db"


class Settings(BaseSettings):
    """Process-wide settings from ``SNS_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SNS_", extra="ignore")

    #: SQLAlchemy URL; a SQLite file by default, PostgreSQL for several processes.
    database_url: str = DEFAULT_DATABASE_URL
    #: Path of the TOML config file.
    config: Path = Path("stripe-netsuite.toml")
    host: str = "127.0.0.1"
    port: int = 8000
    #: Jobs run at once by one worker process.
    worker_concurrency: int = 8
    #: Seconds a claimed job stays leased before another worker may take it.
    lease_seconds: float = 60.0
    #: Seconds between polls of Stripe's events list (0 disables the poller).
    events_poll_seconds: float = 30.0
    #: Seconds between automatic retries of parked jobs (0 disables).
    auto_retry_seconds: float = 3600.0
    log_level: str = "INFO"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build from a mapping of environment variables (``os.environ`` by default)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            key = f"SNS_{name.upper()}"
            if key in env:
                values[name] = env[key]
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise _config_error(exc, file="environment", prefix="SNS_") from exc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NetSuiteAuth(StrEnum):
    """How the engine authenticates to NetSuite."""

    #: OAuth 2.0 client credentials, JWT signed with the certificate's private key.
    OAUTH2 = "oauth2"
    #: Token-based authentication (OAuth 1.0a, HMAC-SHA256).
    TBA = "tba"


class NetSuiteConfig(_Strict):
    """Where and how to reach one NetSuite account."""

    account_id: str
    #: Overrides the host derived from the account id (the sandbox, a proxy).
    base_url: str | None = None
    auth: NetSuiteAuth = NetSuiteAuth.OAUTH2
    client_id: str | None = None
    certificate_id: str | None = None
    private_key_file: Path | None = None
    consumer_key: str | None = None
    consumer_secret: str | None = None
    token_id: str | None = None
    token_secret: str | None = None
    #: Requests in flight at once against this NetSuite account, across all workers.
    concurrency: int = Field(default=5, ge=1, le=100)
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)

    @property
    def rest_base_url(self) -> str:
        """``https://<account>.suitetalk.api.netsuite.com`` unless overridden."""
        if self.base_url:
            return self.base_url.rstrip("/")
        host = self.account_id.lower().replace("_", "-")
        return f"https://{host}.suitetalk.api.netsuite.com"


class GLAccounts(_Strict):
    """NetSuite internal ids of the GL accounts the flows post to."""

    undeposited_funds: str | None = None
    #: The Stripe balance as a bank-type account: refunds and dispute withdrawals are paid
    #: from it, and each payout's deposit clears it.
    stripe_clearing: str | None = None
    receivables: str | None = None
    #: Bank account per currency (lower-case ISO code → internal id).
    bank: dict[str, str] = Field(default_factory=dict)
    stripe_fees: str | None = None
    dispute_fees: str | None = None
    suspense: str | None = None
    #: Exchange differences between a payment's NetSuite amount and Stripe's settlement.
    fx_differences: str | None = None
    #: Extra accounts per balance-transaction reporting category.
    reporting_categories: dict[str, str] = Field(default_factory=dict)


class Items(_Strict):
    """NetSuite internal ids of items used when a Stripe object names none."""

    service_sale_item: str | None = None
    discount_item: str | None = None
    tax_item: str | None = None
    shipping_item: str | None = None
    #: Item on the credit memo for customer balance applied to an invoice (and credit lines).
    customer_balance_item: str | None = None
    #: Record type new items from prices are created as.
    price_item_type: Literal[
        "serviceSaleItem", "serviceResaleItem", "nonInventorySaleItem", "nonInventoryResaleItem"
    ] = "serviceSaleItem"
    income_account: str | None = None


class CustomerType(StrEnum):
    """Whether new NetSuite customers are companies or individuals."""

    #: Always a company, named after the Stripe customer.
    COMPANY = "company"
    #: Always an individual, with first and last name.
    INDIVIDUAL = "individual"
    #: An individual when ``netsuite_first_name`` / ``netsuite_last_name`` metadata is set.
    AUTO = "auto"


class MetadataMode(StrEnum):
    """How the block / allow metadata flags are read."""

    #: Everything syncs unless ``netsuite_block_integration`` is true.
    DENY = "deny"
    #: Nothing syncs unless ``netsuite_allow_integration`` is true.
    ALLOW = "allow"


class Options(_Strict):
    """Behaviour switches of one account."""

    customer_sync: bool = True
    customer_updates: bool = True
    customer_type: CustomerType = CustomerType.COMPANY
    metadata_mode: MetadataMode = MetadataMode.DENY
    write_back_ids: bool = True
    zero_amount_invoices: Literal["sync", "skip"] = "sync"
    tax: Literal["lines", "codes", "none"] = "lines"
    create_invoices_for_payments: bool = False
    allow_duplicate_payments: bool = True
    dispute_refund_record: Literal["customerRefund", "cashRefund"] = "customerRefund"
    dispute_reversal_record: Literal["customerPayment", "cashSale"] = "customerPayment"
    unmappable_deposit_lines: Literal["suspense", "block"] = "suspense"
    multi_currency: bool = True
    #: ``post``: charges become customer payments here; ``find``: another integration
    #: posts them, and they are found in NetSuite (deposit reconciliation on its own).
    payment_mode: Literal["post", "find"] = "post"
    #: In ``find`` mode, the customer payment field that identifies the charge
    #: (``externalId``, or a custom field such as ``custbody_stripe_charge``) ...
    payment_match_field: str = "externalId"
    #: ... and the value it holds: ``{charge}`` and ``{payment_intent}`` are replaced.
    payment_match_value: str = "{charge}"
    #: Objects created before this date are left alone (ISO date).
    sync_start: str | None = None


class Flows(_Strict):
    """Each flow can be switched off on its own."""

    customers: bool = True
    items: bool = True
    invoices: bool = True
    payments: bool = True
    refunds: bool = True
    credit_notes: bool = True
    disputes: bool = True
    payouts: bool = True
    orders: bool = True


class FieldMapping(_Strict):
    """Copies a Stripe metadata value into a NetSuite field."""

    metadata: str
    field: str
    #: ``ref`` sends ``{"id": value}``; ``string`` sends the text as it is.
    kind: Literal["string", "ref"] = "string"
    #: ``body`` for the record, ``line`` for each item line.
    level: Literal["body", "line"] = "body"


class AccountConfig(_Strict):
    """One Stripe account and the NetSuite account it feeds."""

    #: Stripe account id (``acct_…``); the prefix of every externalId.
    stripe_account_id: str
    stripe_api_key: str
    stripe_webhook_secret: str | None = None
    #: Overrides Stripe's API base (the sandbox).
    stripe_api_base: str | None = None
    netsuite: NetSuiteConfig
    subsidiary: str | None = None
    #: NetSuite currency internal ids by lower-case ISO code; read from NetSuite when absent.
    currencies: dict[str, str] = Field(default_factory=dict)
    gl: GLAccounts = Field(default_factory=GLAccounts)
    items: Items = Field(default_factory=Items)
    options: Options = Field(default_factory=Options)
    flows: Flows = Field(default_factory=Flows)
    #: Metadata → field mappings per NetSuite record type.
    fields: dict[str, list[FieldMapping]] = Field(default_factory=dict)

    @field_validator("stripe_api_key", "stripe_webhook_secret", mode="before")
    @classmethod
    def _from_env(cls, value: Any) -> Any:
        # "env:NAME" keeps secrets out of the file.
        if isinstance(value, str) and value.startswith("env:"):
            name = value[4:]
            if name not in os.environ:
                raise ValueError(f"environment variable {name} is not set")
            return os.environ[name]
        return value


class Config(_Strict):
    """The whole config file: accounts by name (the name is in the webhook URL)."""

    accounts: dict[str, AccountConfig]

    def account(self, name: str) -> AccountConfig:
        """The account called *name*; `KeyError` when there is none."""
        return self.accounts[name]


def load_config(path: Path) -> Config:
    """Read and validate the TOML config; a problem raises `ConfigError` naming file and key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("file not found", file=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from exc
    return parse_config(raw, source=str(path))


def parse_config(raw: Mapping[str, Any], *, source: str = "<config>") -> Config:
    """Validate an already-parsed config mapping."""
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(exc, file=source) from exc
    if not config.accounts:
        raise ConfigError("no account is configured", file=source, key="accounts")
    return config


def _config_error(exc: ValidationError, *, file: str, prefix: str = "") -> ConfigError:
    first = exc.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    if prefix:
        key = f"{prefix}{key.upper()}"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "required key is missing"
    more = len(exc.errors()) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return ConfigError(message, file=file, key=key)
