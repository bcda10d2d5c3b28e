"""A real sync with every logger at DEBUG: no log line holds a name, an email, an amount or
a credential from either side."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import stripe
from stripe import _util as stripe_util

from stripe_netsuite import logs
from stripe_netsuite.store import links
from stripe_netsuite_sandbox import demo

StackFactory = Callable[..., demo.Stack]

NAME = "Philippa Quenby-Tarrant"
EMAIL = "p.quenby-tarrant@example.org"
DESCRIPTION = "Quenby onboarding workshop"
AMOUNT = 86_419
API_KEY = "sk_test_51LogPrivacyKq9ZxW3vB7"


@pytest.fixture
def debug_logging() -> Iterator[None]:
    """The engine's logging as ``SNS_LOG_LEVEL=DEBUG`` sets it up, undone afterwards."""
    names = (*logs.QUIET, "")
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(logging.getLogger().handlers)
    console = (stripe.log, stripe_util.STRIPE_LOG)
    logs.configure("DEBUG")
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    root = logging.getLogger()
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    stripe.log, stripe_util.STRIPE_LOG = console


def _secrets_of(stack: demo.Stack) -> list[str]:
    """The NetSuite side's credentials: the bearer tokens issued and the client key."""
    app = stack.netsuite.app
    app = getattr(app, "app", app)  # the sandbox's governor wraps its app
    tokens = list(app.state.sandbox.auth._tokens)
    assert tokens, "the engine never authenticated to NetSuite"
    pem = (stack.workdir / "netsuite-client-key.pem").read_text().splitlines()
    return [*tokens, *pem[1:-1], stack.webhook_secret]


@pytest.mark.usefixtures("debug_logging")
def test_debug_logs_of_a_sync_hold_no_values_or_credentials(
    make_stack: StackFactory, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    stack = make_stack(stripe_options={"api_key": API_KEY})
    client = stack.stripe_client()
    customer = client.v1.customers.create(
        params={
            "name": NAME,
            "email": EMAIL,
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    client.v1.invoice_items.create(
        params={
            "customer": customer.id,
            "amount": AMOUNT,
            "currency": "usd",
            "description": DESCRIPTION,
        }
    )
    invoice = client.v1.invoices.create(
        params={"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    invoice = client.v1.invoices.finalize_invoice(invoice.id)
    client.v1.invoices.pay(invoice.id)
    demo.wait_until_synced(stack)

    synced = {link.stripe_id for link in links.all_links(stack.database)}
    assert {customer.id, invoice.id} <= synced
    assert any(stripe_id.startswith("ch_") or stripe_id.startswith("py_") for stripe_id in synced)
    records = caplog.records
    assert any(r.name.startswith("stripe_netsuite") and r.levelno == logging.DEBUG for r in records)
    text = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in records
    )
    values = [NAME, EMAIL, DESCRIPTION, str(AMOUNT), "864.19", API_KEY, *_secrets_of(stack)]
    leaked = [value for value in values if value in text]
    assert leaked == []
