"""Random writes never break the books: applied amounts, remaining amounts and deposits agree."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import httpx

from netsuite_helpers import RECORDS, open_app, send

APPLIERS = ("customerPayment", "creditMemo", "customerRefund")


class Scenario:
    """Seeded random upserts, patches and deletes against one sandbox."""

    def __init__(self, client: httpx.AsyncClient, seed: int) -> None:
        self.client = client
        self.rnd = random.Random(seed)

    def amount(self) -> Decimal:
        return Decimal(self.rnd.randint(1, 3000)) / 100

    async def ids(self, rtype: str) -> list[str]:
        page = (await self.client.get(f"{RECORDS}/{rtype}")).json()
        return [item["id"] for item in page["items"]]

    async def pick(self, rtype: str) -> str | None:
        ids = await self.ids(rtype)
        return self.rnd.choice(ids) if ids else None

    async def write(self, method: str, path: str, body: Any = None) -> None:
        response = await send(self.client, method, RECORDS + path, body)
        assert response.status_code in (204, 400), response.text

    async def step(self) -> None:
        customer = {"externalId": f"c{self.rnd.randint(0, 1)}"}
        kind = self.rnd.choice(["invoice", *APPLIERS, "deposit", "delete", "patch"])
        if kind == "invoice":
            lines = {"items": [{"item": {"id": "20"}, "amount": self.amount()}]}
            body: dict[str, Any] = {"entity": customer, "item": lines}
            await self.write("PUT", f"/invoice/eid:i{self.rnd.randint(0, 12)}", body)
        elif kind in APPLIERS:
            await self.applier(kind, customer)
        elif kind == "deposit":
            payments = await self.ids("customerPayment")
            chosen = self.rnd.sample(payments, min(len(payments), self.rnd.randint(1, 3)))
            body = {
                "account": {"id": "1"},
                "payment": {"items": [{"id": pid} for pid in chosen]},
                "cashback": {"items": [{"account": {"id": "9"}, "amount": Decimal("0.01")}]},
            }
            await self.write("PUT", f"/deposit/eid:d{self.rnd.randint(0, 3)}", body)
        elif kind == "delete":
            rtype = self.rnd.choice(["invoice", *APPLIERS, "deposit"])
            rid = await self.pick(rtype)
            if rid:
                await self.write("DELETE", f"/{rtype}/{rid}")
        else:
            rid = await self.pick("customerPayment")
            if rid:
                await self.write("PATCH", f"/customerPayment/{rid}", {"payment": self.amount()})

    async def applier(self, rtype: str, customer: dict[str, str]) -> None:
        if rtype == "customerRefund":
            doc = await self.pick(self.rnd.choice(["creditMemo", "customerPayment"]))
        else:
            doc = await self.pick("invoice")
        body: dict[str, Any] = {("entity" if rtype == "creditMemo" else "customer"): customer}
        if rtype == "customerPayment":
            body["payment"] = self.amount()
        if rtype == "creditMemo":
            body["item"] = {"items": [{"item": {"id": "20"}, "amount": self.amount()}]}
        if doc:
            line: dict[str, Any] = {"doc": {"id": doc}}
            if self.rnd.random() < 0.7:
                line["amount"] = self.amount()
            body["apply"] = {"items": [line]}
        elif rtype == "customerRefund":
            body["total"] = self.amount()
        await self.write("PUT", f"/{rtype}/eid:{rtype}{self.rnd.randint(0, 8)}", body)


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def check_books(export: dict[str, list[dict[str, Any]]]) -> None:
    applied: dict[str, Decimal] = {}
    for rtype in APPLIERS:
        for record in export.get(rtype, []):
            used = Decimal(0)
            for line in record.get("apply", {}).get("items", []):
                if line.get("apply"):
                    used += _dec(line["amount"])
                    doc = line["doc"]["id"]
                    applied[doc] = applied.get(doc, Decimal(0)) + _dec(line["amount"])
            assert used <= _dec(record.get("payment", record.get("total")))
    for invoice in export.get("invoice", []):
        remaining = _dec(invoice["amountRemaining"])
        assert remaining == _dec(invoice["total"]) - applied.get(invoice["id"], Decimal(0))
        assert remaining >= 0
        assert invoice["status"]["id"] == ("B" if remaining == 0 else "A")
    for rtype in ("creditMemo", "customerPayment"):
        for record in export.get(rtype, []):
            assert _dec(record["unapplied"]) >= 0
    deposited: set[str] = set()
    for deposit in export.get("deposit", []):
        for line in deposit.get("payment", {}).get("items", []):
            assert str(line["id"]) not in deposited
            deposited.add(str(line["id"]))
    for payment in export.get("customerPayment", []):
        assert (payment["status"]["id"] == "C") == (payment["id"] in deposited)


async def test_random_writes_keep_the_books_consistent() -> None:
    _, client = open_app()
    async with client:
        for name in ("c0", "c1"):
            await send(
                client,
                "PUT",
                f"{RECORDS}/customer/eid:{name}",
                {"companyName": name, "subsidiary": {"id": "2"}},
            )
        scenario = Scenario(client, seed=11)
        for _ in range(150):
            await scenario.step()
        export = (await client.get("/__sandbox/records")).json()
        stats = (await client.get("/__sandbox/stats")).json()
    check_books(export)
    # The walk really exercised the rules: both accepted and refused writes happened.
    assert stats["by_status"].get("204", 0) > 30
    assert stats["by_status"].get("400", 0) > 10
    assert export.get("deposit") and export.get("customerPayment")
