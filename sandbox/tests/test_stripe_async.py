"""The official SDK's async methods over httpx work against the sandbox unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from stripe_helpers import KEY, Served, serve


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve()


# The SDK's HTTPXClient posts with `data=` bytes, which httpx deprecates.
@pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")
async def test_async_client_creates_pays_and_pages(served: Served) -> None:
    client = stripe.StripeClient(
        KEY,
        base_addresses={"api": served.url},
        max_network_retries=0,
        http_client=stripe.HTTPXClient(),
    )
    cus = await client.v1.customers.create_async(params={"email": "async@x.io"})
    pi = await client.v1.payment_intents.create_async(
        params={
            "amount": 4321,
            "currency": "usd",
            "customer": cus.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    assert pi.status == "succeeded"
    ch = await client.v1.charges.retrieve_async(
        str(pi.latest_charge), params={"expand": ["balance_transaction"]}
    )
    assert ch.balance_transaction.net == 4321 - 155  # type: ignore[union-attr]
    for i in range(5):
        await client.v1.products.create_async(params={"name": f"async-{i}"})
    page = await client.v1.products.list_async(params={"limit": 2})
    names = [p.name async for p in page.auto_paging_iter()]
    assert len(names) >= 5 and len(set(names)) == len(names)
    with pytest.raises(stripe.CardError):
        await client.v1.payment_intents.create_async(
            params={
                "amount": 500,
                "currency": "usd",
                "payment_method": "pm_card_chargeDeclined",
                "confirm": True,
            }
        )
