"""Take the screenshots of the console's four pages shown in docs/operations.md.

Starts a demo stack (both sandboxes and the engine), creates a small month of business,
parks two invoices by taking a NetSuite item away, pays everything out, ties the ledger
out, and photographs the overview, errors, object and payouts pages in Chromium:

    .venv/bin/python scripts/console_screenshots.py [--out docs/images] [--customers 12]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from stripe_netsuite import exceptions
from stripe_netsuite.store import queue, users
from stripe_netsuite_sandbox import business, demo
from stripe_netsuite_sandbox.netsuite import chart

PASSWORD = "screenshot password"


def tie_out(stack: demo.Stack) -> Any:
    """The demo's tie-out, tried again when the Stripe sandbox rate-limits its many lists."""
    for attempt in range(6):
        try:
            return demo.tie_out(stack)
        except exceptions.StripeUnavailable:
            time.sleep(2 * (attempt + 1))
    return demo.tie_out(stack)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--customers", type=int, default=12)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="sns-screens-"))
    stack = demo.start(
        workdir=workdir,
        events_poll_seconds=0,
        # No read limit: the pictures are the point here, not Stripe's rate limiting.
        stripe_options={
            "start_time": demo.MONTH_START,
            "settlement_currencies": demo.CURRENCIES,
            "read_rate_limit": 0,
        },
    )
    try:
        client = stack.stripe_client()
        business.build(client, seed=7, advance=lambda s: demo.advance(stack, s),
                       customers=args.customers)  # fmt: skip
        demo.pay_out_everything(stack)
        demo.wait_until_synced(stack)
        # A NetSuite item goes missing: the next invoices are refused and parked.
        store = stack.netsuite.app.app.state.sandbox.account.store
        store.delete("serviceSaleItem", chart.SERVICE_ITEM)
        cus = client.v1.customers.create(params={"name": "Northwind Traders"}).id
        for amount in (12_000, 4_500):
            client.v1.invoice_items.create(
                params={"customer": cus, "amount": amount, "currency": "usd"}
            )
            draft = client.v1.invoices.create(
                params={"customer": cus, "pending_invoice_items_behavior": "include"}
            )
            client.v1.invoices.finalize_invoice(draft.id)
        demo.wait_until_synced(stack)
        demo.show_tie_out(stack, tie_out(stack))
        parked = queue.list_jobs(stack.database, state="parked", limit=1)
        users.add_user(stack.database, "controller", "operator", PASSWORD)
        base = f"http://127.0.0.1:{stack.engine_port}"
        pages = {"overview": "/", "errors": "/errors", "payouts": "/payouts?days=120"}
        if parked:
            pages["object"] = f"/objects/{parked[0].object_id}?preview=1"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=args.chromium, args=["--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.goto(base + "/login")
            page.fill("input[name=username]", "controller")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            for name, path in pages.items():
                page.goto(base + path)
                page.screenshot(path=str(args.out / f"console-{name}.png"), full_page=False)
            browser.close()
        print(json.dumps({"screenshots": sorted(f"console-{n}.png" for n in pages)}))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
