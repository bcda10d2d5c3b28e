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

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from stripe_netsuite.credentials import SecretResolver, redact_url
from stripe_netsuite.exceptions import ConfigError
from stripe_netsuite.retry import RetryPolicy

DEFAULT_DATABASE_URL = "sqlite:///stripe-netsuite.db"
#: Largest webhook body read by default (1 MiB): room for a Stripe event, not for a flood.
DEFAULT_WEBHOOK_MAX_BYTES = 1024 * 1024


class Settings(BaseSettings):
    """Process-wide settings from ``SNS_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SNS_", extra="ignore")

    def __repr_args__(self) -> Any:
        # A PostgreSQL URL may hold a password: never show it in a repr, a log or a traceback.
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if name == "database_url" else value

    #: SQLAlchemy URL; a SQLite file by default, PostgreSQL for several processes.
    database_url: str = DEFAULT_DATABASE_URL
    #: Path of the TOML config file.
    config: Path = Path("stripe-netsuite.toml")
    host: str = "127.0.0.1"
    port: int = 8000
    #: Largest webhook body accepted, in bytes; a larger one is answered 413 unread.
    webhook_max_bytes: int = Field(default=DEFAULT_WEBHOOK_MAX_BYTES, gt=0)
    #: Jobs run at once by one worker process.
    worker_concurrency: int = 8
    #: Seconds a claimed job stays leased before another worker may take it.
    lease_seconds: float = 60.0
    #: Seconds between polls of Stripe's events list (0 disables the poller).
    events_poll_seconds: float = 30.0
    #: Seconds between SuiteQL polls for NetSuite changes (0 disables the poller).
    netsuite_poll_seconds: float = 60.0
    #: Seconds between automatic retries of parked jobs (0 disables).
    auto_retry_seconds: float = 3600.0
    #: Stripe reads a second a backfill may cause (0: no limit): its list pages, and the
    #: worker's fetches of what it queues. Stripe allows 25 in test mode, 100 live.
    backfill_reads_per_second: float = Field(default=20.0, ge=0)
    #: Stripe GETs a second the engine sends per Stripe account, worker, events poll and
    #: a backfill in one process together (0: no limit; Stripe's 429 goes to the retry).
    stripe_reads_per_second: float = Field(default=0.0, ge=0)
    #: Attempts a job failing with a retriable error gets before it is parked.
    retry_max_attempts: int = Field(default=8, gt=0)
    #: Seconds a job waits after its first failure; doubled after each further one ...
    retry_base_seconds: float = Field(default=2.0, gt=0)
    #: ... up to this many.
    retry_cap_seconds: float = Field(default=600.0, gt=0)
    #: Attempts a job failing with an unclassified error gets before it is parked.
    retry_unexpected_attempts: int = Field(default=3, gt=0)
    #: Seconds the worker's claim loop or the scheduler may go without completing a pass
    #: before ``/readyz`` fails (never less than five of the loop's own intervals).
    ready_stall_seconds: float = Field(default=120.0, gt=0)
    log_level: str = "INFO"
    #: ``text`` lines, or ``json``: one object a line with the request or job id.
    log_format: Literal["text", "json"] = "text"
    #: Secure console cookies even over plain HTTP (behind a proxy that ends TLS);
    #: they are Secure anyway on a request that came in over HTTPS.
    console_secure_cookies: bool = False
    #: Bearer token ``/metrics`` asks for; open when unset.
    metrics_token: SecretStr | None = None
    #: Seconds between the alert checks (parked jobs, loops down); 0 turns alerts off.
    alert_check_seconds: float = Field(default=60.0, ge=0)
    #: Seconds between payout reconciliations for alerts and metrics (0: never).
    payout_check_seconds: float = Field(default=3600.0, ge=0)
    #: Seconds between ledger tie-outs for the overview, alerts and metrics (0: never).
    tieout_check_seconds: float = Field(default=21600.0, ge=0)

    @field_validator("retry_cap_seconds")
    @classmethod
    def _cap_not_below_base(cls, value: float, info: ValidationInfo) -> float:
        # Fields validate in order: the base is known here unless it was invalid itself.
        base = info.data.get("retry_base_seconds")
        if base is not None and value < base:
            raise ValueError(f"must be at least SNS_RETRY_BASE_SECONDS ({base})")
        return value

    @property
    def retry_policy(self) -> RetryPolicy:
        """The worker's retry policy, from the ``SNS_RETRY_*`` variables."""
        return RetryPolicy(
            max_attempts=self.retry_max_attempts,
            base_seconds=self.retry_base_seconds,
            cap_seconds=self.retry_cap_seconds,
            unexpected_attempts=self.retry_unexpected_attempts,
        )

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
    #: The certificate's PEM private key (a secret: ``file:``, ``env:`` or ``vault:``) ...
    private_key: SecretStr | None = None
    #: ... or the path of the PEM file (read when the client is built).
    private_key_file: Path | None = None
    #: Passphrase of an encrypted PEM private key.
    private_key_passphrase: SecretStr | None = None
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    token_id: SecretStr | None = None
    token_secret: SecretStr | None = None
    #: Requests in flight at once against this NetSuite account, across all workers.
    concurrency: int = Field(default=5, ge=1, le=100)
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _one_private_key(self) -> NetSuiteConfig:
        if self.private_key is not None and self.private_key_file is not None:
            raise ValueError("give private_key or private_key_file, not both")
        return self

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
    #: Sales allowance debited when customer balance credit is granted by hand in Stripe
    #: (``items.income_account`` when unset).
    customer_credit_adjustments: str | None = None
    #: Expense debited when a Stripe invoice is marked uncollectible (its remaining
    #: receivable written off).
    bad_debt: str | None = None
    #: Account a credit note's ``out_of_band_amount`` is refunded from, money that left
    #: outside Stripe (``suspense`` when unset), for the accountant to reclassify.
    out_of_band_refunds: str | None = None
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
    #: ``options.tax = codes``: NetSuite tax code (or tax group) id per Stripe tax rate id
    #: (``"txr_a+txr_b"`` for a line with several rates; ``"*"`` for any rate not listed,
    #: such as the rates automatic tax makes).
    tax_codes: dict[str, str] = Field(default_factory=dict)
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
    #: A charge with no Stripe invoice posts end to end: an invoice of its own, paid by its
    #: payment (false: the payment is left unapplied on the customer).
    create_invoices_for_payments: bool = True
    #: NetSuite internal id of the customer that charges without a Stripe customer (a
    #: payment link or Checkout without customer creation) post against; unset: one
    #: NetSuite customer is made per billing email from the charge's billing details.
    guest_customer: str | None = None
    allow_duplicate_payments: bool = True
    dispute_refund_record: Literal["customerRefund", "cashRefund"] = "customerRefund"
    dispute_reversal_record: Literal["customerPayment", "cashSale"] = "customerPayment"
    unmappable_deposit_lines: Literal["suspense", "block"] = "suspense"
    multi_currency: bool = True
    #: With ``multi_currency = false``: a Stripe object in another currency than the one
    #: Stripe settled it in is converted at Stripe's rate, or refused.
    foreign_currency: Literal["convert", "refuse"] = "convert"
    #: ``post``: charges become customer payments here; ``find``: another integration
    #: posts them, and they are found in NetSuite (deposit reconciliation on its own).
    payment_mode: Literal["post", "find"] = "post"
    #: In ``find`` mode, the customer payment field that identifies the charge
    #: (``externalId``, or a custom field such as ``custbody_stripe_charge``) ...
    payment_match_field: str = "externalId"
    #: ... and the value it holds: ``{charge}`` and ``{payment_intent}`` are replaced.
    payment_match_value: str = "{charge}"
    #: Whether a ``netsuite_*_id`` in an object's metadata links it to that existing NetSuite
    #: record instead of creating one (off: the key is ignored and the record is created).
    link_from_metadata: bool = True
    #: Objects created before this date are left alone (ISO date).
    sync_start: str | None = None
    #: A posting dated in a closed or locked NetSuite period: ``hold`` parks it until the
    #: period reopens; ``first_open`` posts it in the first later open period.
    closed_periods: Literal["hold", "first_open"] = "hold"
    #: A date body field (e.g. ``custbody_stripe_date``) that keeps the Stripe date of a
    #: posting ``first_open`` moved; the memo keeps it in any case.
    original_date_field: str | None = None
    #: Seconds the accounting periods read from NetSuite are reused before they are read again.
    period_cache_seconds: float = Field(default=300.0, ge=0)
    #: ``deposit``: each payout becomes bank deposits that select its payments (split
    #: when longer than ``deposit_max_lines``); ``summary``: one journal entry per payout
    #: through Stripe clearing, its detail written as a CSV to ``payout_detail_dir``.
    payout_posting: Literal["deposit", "summary"] = "deposit"
    #: Most lines one bank deposit may carry; NetSuite refuses more than 10,000.
    deposit_max_lines: int = Field(default=10_000, ge=5, le=10_000)
    #: Directory of the summary journals' detail CSVs (one file per payout).
    payout_detail_dir: str | None = None


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
    #: NetSuite → Stripe (off unless switched on; see ``[accounts.x.from_netsuite]``).
    netsuite_customers: bool = False
    netsuite_invoices: bool = False
    netsuite_refunds: bool = False


class FromNetSuite(_Strict):
    """The NetSuite → Stripe direction of one account: rules, custom fields, the push key."""

    #: The invoice checkbox (a custom body field) that sends a NetSuite invoice to Stripe ...
    invoice_rule_field: str = "custbody_sns_send_to_stripe"
    #: ... and an extra SuiteQL condition on the ``transaction`` table, ANDed to it.
    invoice_rule_where: str | None = None
    collection_method: Literal["send_invoice", "charge_automatically"] = "send_invoice"
    #: Days to pay an invoice that has no due date in NetSuite (``send_invoice``).
    days_until_due: int = Field(default=30, ge=0)
    #: Custom fields the engine writes back (None: not written).
    invoice_stripe_id_field: str | None = "custbody_sns_stripe_invoice_id"
    hosted_url_field: str | None = "custbody_sns_stripe_hosted_url"
    #: Also make a Stripe payment link for each invoice sent and write its URL here (None:
    #: no link). A payment through it is applied to the NetSuite invoice.
    payment_link_field: str | None = None
    customer_stripe_id_field: str | None = "custentity_sns_stripe_customer_id"
    portal_url_field: str | None = "custentity_sns_stripe_portal_url"
    #: The customer portal's login link (stable); without it a portal session URL is
    #: written, which expires and is renewed at each customer sync.
    portal_login_url: str | None = None
    #: Where the portal sends the customer back to.
    portal_return_url: str | None = None
    #: The credit memo checkbox asking for a Stripe refund, and the field naming the refund.
    refund_rule_field: str = "custbody_sns_refund_in_stripe"
    refund_id_field: str | None = "custbody_sns_stripe_refund_id"
    #: ``with_invoices``: a NetSuite customer goes to Stripe when one of its invoices does;
    #: ``all``: every NetSuite customer changed is created or updated in Stripe.
    customers: Literal["with_invoices", "all"] = "with_invoices"
    #: Seconds each poll reaches back before its stored cursor (clock skew, writes landing
    #: in the second the last poll read).
    overlap_seconds: int = Field(default=300, ge=0)
    #: Key of the signed push from the SuiteScript (``/webhooks/netsuite/<account>``); the
    #: route answers 404 without it.
    push_secret: SecretStr | None = None
    #: Whose edits win for a customer linked both ways: ``origin`` (the system it was made
    #: in) or ``netsuite`` (NetSuite edits of a Stripe-made customer go to Stripe too).
    customer_system_of_record: Literal["origin", "netsuite"] = "origin"
    #: Auto-match: a Stripe payment naming a NetSuite invoice number (``tranId``) in this
    #: metadata key or, with ``description``, in its description, pays that open invoice.
    auto_match: Literal["off", "metadata", "description"] = "off"
    auto_match_key: str = "netsuite_invoice_number"


class FieldMapping(_Strict):
    """Copies a Stripe metadata value into a NetSuite field."""

    metadata: str
    field: str
    #: ``ref`` sends ``{"id": value}``; ``string`` sends the text as it is.
    kind: Literal["string", "ref"] = "string"
    #: ``body`` for the record, ``line`` for each item line.
    level: Literal["body", "line"] = "body"


class Alerts(_Strict):
    """Where one account's alerts go: email over SMTP and a Slack-compatible webhook."""

    email_to: list[str] = Field(default_factory=list)
    email_from: str = "stripe-netsuite@localhost"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    #: ``starttls`` (port 587), ``tls`` (port 465) or ``none`` (a relay on loopback).
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    #: A Slack incoming-webhook URL (or any endpoint taking ``{"text": ...}``); a secret.
    webhook_url: SecretStr | None = None
    #: Newly parked jobs are grouped into one alert at most this often (seconds).
    parked_every_seconds: float = Field(default=900.0, ge=0)


class AccountConfig(_Strict):
    """One Stripe account and the NetSuite account it feeds."""

    #: Stripe account id (``acct_…``); the prefix of every externalId.
    stripe_account_id: str
    stripe_api_key: SecretStr
    stripe_webhook_secret: SecretStr | None = None
    #: AWS KMS key (id, ARN or alias) wrapping this account's vault data key;
    #: ``SNS_KMS_KEY_ID`` when absent.
    kms_key_id: str | None = None
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
    from_netsuite: FromNetSuite = Field(default_factory=FromNetSuite)
    #: Metadata → field mappings per NetSuite record type.
    fields: dict[str, list[FieldMapping]] = Field(default_factory=dict)
    alerts: Alerts = Field(default_factory=Alerts)


class Config(_Strict):
    """The whole config file: accounts by name (the name is in the webhook URL)."""

    accounts: dict[str, AccountConfig]

    def account(self, name: str) -> AccountConfig:
        """The account called *name*; `KeyError` when there is none."""
        return self.accounts[name]


def load_config(path: Path, *, secrets: SecretResolver | None = None) -> Config:
    """Read and validate the TOML config; a problem raises `ConfigError` naming file and key.

    *secrets* resolves ``env:`` / ``file:`` / ``vault:`` references; the default one reads
    the environment and files and has no vault.
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("file not found", file=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from exc
    return parse_config(raw, source=str(path), secrets=secrets)


def parse_config(
    raw: Mapping[str, Any], *, source: str = "<config>", secrets: SecretResolver | None = None
) -> Config:
    """Validate an already-parsed config mapping, then resolve its secret references."""
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(exc, file=source) from exc
    if not config.accounts:
        raise ConfigError("no account is configured", file=source, key="accounts")
    # References are resolved after validation, so a typo is reported before any
    # environment variable, file or vault entry is read.
    resolver = secrets or SecretResolver()
    accounts = {
        name: _resolved(account, name=name, resolver=resolver, source=source)
        for name, account in config.accounts.items()
    }
    return config.model_copy(update={"accounts": accounts})


#: Config keys that hold secrets, per table; a PEM key is read whole, the rest as one line.
ACCOUNT_SECRETS = ("stripe_api_key", "stripe_webhook_secret")
NETSUITE_SECRETS = (
    "private_key",
    "private_key_passphrase",
    "consumer_key",
    "consumer_secret",
    "token_id",
    "token_secret",
)
ALERT_SECRETS = ("smtp_password", "webhook_url")
_WHOLE = frozenset({"private_key"})


def _resolved(
    account: AccountConfig, *, name: str, resolver: SecretResolver, source: str
) -> AccountConfig:
    def values(model: BaseModel, keys: tuple[str, ...], prefix: str) -> dict[str, SecretStr]:
        found = {}
        for key in keys:
            secret = getattr(model, key)
            if isinstance(secret, SecretStr):
                found[key] = SecretStr(
                    resolver.resolve(
                        secret.get_secret_value(),
                        account=name,
                        key=f"{prefix}{key}",
                        source=source,
                        whole=key in _WHOLE,
                    )
                )
        return found

    prefix = f"accounts.{name}."
    netsuite = account.netsuite.model_copy(
        update=values(account.netsuite, NETSUITE_SECRETS, prefix + "netsuite.")
    )
    alerts = account.alerts.model_copy(
        update=values(account.alerts, ALERT_SECRETS, prefix + "alerts.")
    )
    from_netsuite = account.from_netsuite.model_copy(
        update=values(account.from_netsuite, ("push_secret",), prefix + "from_netsuite.")
    )
    update: dict[str, Any] = {"netsuite": netsuite, "alerts": alerts}
    update["from_netsuite"] = from_netsuite
    update.update(values(account, ACCOUNT_SECRETS, prefix))
    return account.model_copy(update=update)


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


DEFAULT_MASTER_KEY_FILE = "stripe-netsuite.key"


class VaultSettings(BaseSettings):
    """Where the vault's master key lives, from ``SNS_MASTER_KEY_FILE`` / ``SNS_KMS_*``.

    Read apart from `Settings` because only the commands that open the vault need it.
    """

    model_config = SettingsConfigDict(env_prefix="SNS_", extra="ignore")

    #: Local master key file, created (mode 0600) by the first ``secrets set``.
    master_key_file: Path = Path(DEFAULT_MASTER_KEY_FILE)
    #: AWS KMS key (id, ARN or alias) for accounts without their own ``kms_key_id``;
    #: when set, or when an account names a KMS key, KMS wraps the data keys.
    kms_key_id: str | None = None
    #: AWS region of the KMS keys (boto3's own configuration when absent).
    kms_region: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> VaultSettings:
        """Build from a mapping of environment variables (``os.environ`` by default)."""
        env = os.environ if environ is None else environ
        values = {
            name: env[f"SNS_{name.upper()}"]
            for name in cls.model_fields
            if f"SNS_{name.upper()}" in env
        }
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise _config_error(exc, file="environment", prefix="SNS_") from exc


def account_kms_key_ids(path: Path) -> dict[str, str]:
    """Each account's ``kms_key_id`` read straight from the TOML file, secrets unresolved.

    The vault needs them before the config can be loaded (loading may read the vault);
    a missing file has none.
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from exc
    accounts = raw.get("accounts")
    found: dict[str, str] = {}
    for name, table in (accounts if isinstance(accounts, dict) else {}).items():
        key_id = table.get("kms_key_id") if isinstance(table, dict) else None
        if key_id is None:
            continue
        if not isinstance(key_id, str) or not key_id:
            raise ConfigError(
                "must be a KMS key id", file=str(path), key=f"accounts.{name}.kms_key_id"
            )
        found[name] = key_id
    return found
