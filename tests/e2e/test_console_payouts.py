"""The console's payouts page and CSV over a real stack: a payout beside its NetSuite deposit,
its lines by category, and the difference, checked against Stripe's payout and NetSuite's
deposit read on their own."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from decimal import Decimal

import httpx

from stripe_netsuite import kinds
from stripe_netsuite.store import links, users
from stripe_netsuite_sandbox import demo

StackFactory = Callable[..., demo.Stack]
PASSWORD = "payouts page password"


def logged_in(base: str, login: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    answer = client.post("/login", data={"username": login, "password": PASSWORD,
                                         "csrf_token": token.group(1)})  # fmt: skip
    assert answer.status_code == 303
    return client


def test_a_payout_is_shown_beside_its_deposit_and_exported(make_stack: StackFactory) -> None:
    stack = make_stack()
    client = stack.stripe_client()
    cus = client.v1.customers.create(params={"name": "Payout Co"}).id
    client.v1.payment_intents.create(
        params={"amount": 10_000, "currency": "usd", "customer": cus,
                "payment_method": "pm_card_visa", "confirm": True,
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    demo.pay_out_everything(stack)
    demo.wait_until_synced(stack)
    (payout,) = [p for p in client.v1.payouts.list().data if p.currency == "usd"]
    role = kinds.get("payout").role
    link = links.get(stack.database, account=demo.ACCOUNT, stripe_id=payout.id, role=role)
    assert link is not None
    deposit = stack.netsuite.app.app.state.sandbox.account.store.get("deposit", link.internal_id)
    assert deposit is not None
    users.add_user(stack.database, "vera", "viewer", PASSWORD)

    http = logged_in(f"http://127.0.0.1:{stack.engine_port}", "vera")
    try:
        page = http.get("/payouts").text
        exported = http.get("/payouts.csv")
    finally:
        http.close()
    amount = Decimal(payout.amount) / 100
    assert payout.id in page and f"{amount:.2f} USD" in page
    assert re.search(r"<td>charge</td><td class=\"num\">1</td>", page), page
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    (row,) = [r for r in rows if r["payout"] == payout.id]
    assert row["stripe_amount"] == f"{amount:.2f}" and row["currency"] == "USD"
    assert Decimal(row["netsuite_total"]) == Decimal(str(deposit["total"]))
    assert (row["difference"], row["ties_out"], row["deposit"]) == ("0.00", "yes", link.internal_id)
