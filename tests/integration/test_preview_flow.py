"""Preview runs an object's real flow and shows its records, posting nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import stripe

from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.preview import preview
from stripe_netsuite.mapping.preview import render
from stripe_netsuite.netsuite.auth import TokenAuth
from stripe_netsuite.netsuite.client import NetSuiteClient
from stripe_netsuite.netsuite.governor import LocalGovernor
from stripe_netsuite.settings import parse_config
from stripe_netsuite.store import db
from stripe_netsuite_sandbox.netsuite import chart
from stripe_netsuite_sandbox.netsuite.app import SandboxConfig, create_app

SESSION = {
    "id": "cs_test_1",
    "object": "checkout.session",
    "status": "complete",
    "customer": "cus_1",
    "currency": "usd",
    "amount_total": 5000,
    "created": 1_790_845_200,
    "metadata": {},
    "line_items": {
        "object": "list",
        "has_more": False,
        "data": [
            {"id": "li_1", "object": "item", "amount_subtotal": 5000, "amount_total": 5000,
             "quantity": 2, "description": "T-shirt",
             "price": {"id": "price_1", "object": "price", "product": "prod_1"}}
        ],
    },
}  # fmt: skip


@pytest.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[FlowContext]:
    ns = SandboxConfig()
    app = create_app(ns)
    auth = TokenAuth(
        ns.account_id, ns.consumer_key, ns.consumer_secret, ns.token_id, ns.token_secret
    )
    client = NetSuiteClient(
        base_url="http://netsuite.test",
        auth=auth,
        governor=LocalGovernor(5),
        transport=httpx.ASGITransport(app=app),
    )
    config = parse_config(
        {"accounts": {"main": {
            "stripe_account_id": "acct_1", "stripe_api_key": "sk_test_unused",
            "subsidiary": chart.SUBSIDIARY_US, "netsuite": {"account_id": ns.account_id},
            "items": {"service_sale_item": chart.SERVICE_ITEM},
        }}}
    )  # fmt: skip
    database = db.make_database(f"sqlite:///{tmp_path / 'sns.db'}")
    db.migrate(database)
    async with client:
        yield FlowContext(
            name="main",
            account=config.account("main"),
            stripe=stripe.StripeClient("sk_test_unused"),
            netsuite=client,
            database=database,
        )
        # Nothing was written to NetSuite.
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://netsuite.test"
        ) as books:
            records = (await books.get("/__sandbox/records")).json()
        assert records.get("salesOrder", []) == []


async def test_checkout_session_previews_as_a_sales_order(ctx: FlowContext) -> None:
    result = await preview(ctx, obj=SESSION)
    assert result.kind == "checkout_session" and result.skipped is None
    (record,) = result.records
    assert record.record_type == "salesOrder"
    assert record.external_id == "acct_1:cs_test_1"
    assert record.body["entity"] == {"id": "new:customer:cus_1"}
    assert record.body["orderStatus"] == {"id": "B"}
    lines = record.body["item"]["items"]
    assert sum((line["amount"] for line in lines), Decimal(0)) == Decimal("50.00")
    assert lines[0]["item"] == {"id": "new:price:price_1"}
    text = render(result.records)
    assert "salesOrder acct_1:cs_test_1" in text and "50.00" in text


async def test_an_incomplete_session_would_be_skipped(ctx: FlowContext) -> None:
    result = await preview(ctx, obj={**SESSION, "status": "open"})
    assert result.skipped == "checkout_not_complete"
    assert result.records == ()


async def test_a_blocked_customer_previews_its_skip_rule(ctx: FlowContext) -> None:
    customer = {"id": "cus_9", "object": "customer", "name": "Blocked",
                "metadata": {"netsuite_block_integration": "true"}}  # fmt: skip
    result = await preview(ctx, obj=customer)
    assert result.skipped == "netsuite_block_integration"
