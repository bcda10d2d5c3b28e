"""What a person does in the NetSuite UI, for tests and the demo: ``POST /__sandbox/user/...``.

The engine only ever uses the REST record API; these endpoints stand for a user at a desk:
entering an invoice or a credit memo, ticking a box, receiving a wire against an invoice,
voiding an invoice. Each goes through the same validation and rules as a REST write, and
moves ``lastModifiedDate`` like any other write.

- ``create/{rtype}`` (JSON body) → ``{"id": ...}``
- ``edit/{rtype}/{id}`` (JSON body, merged as a PATCH) → ``{"id": ...}``
- ``transform/{rtype}/{id}/{target}`` (JSON body of overrides): a record made from
  another, as the UI's buttons do (a credit memo from an invoice) → ``{"id": ...}``
- ``pay/{invoice id}`` (``{"account": bank id, "amount"?: "12.00", "memo"?: ...}``): a
  customer payment straight to that bank account, applied to the invoice → ``{"id": ...}``
- ``void/{rtype}/{id}``: NetSuite's void without a reversing journal (the default): every
  amount goes to zero, the status becomes Voided; refused once a payment is applied.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from stripe_netsuite_sandbox.netsuite import errors
from stripe_netsuite_sandbox.netsuite.account import Account
from stripe_netsuite_sandbox.netsuite.ledger import lines

#: Line fields a void sets to zero.
_ZEROED_LINE_FIELDS = ("amount", "rate", "tax1Amt", "grossAmt", "taxAmount")


def act(account: Account, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Run the user action named by *path* (the part after ``/__sandbox/user/``)."""
    parts = [part for part in path.split("/") if part]
    if len(parts) == 2 and parts[0] == "create":
        rtype = account.record_type(parts[1])
        return {"id": account.create(rtype, account.converter("error").record(rtype, body))}
    if len(parts) == 3 and parts[0] == "edit":
        rtype = account.record_type(parts[1])
        converted = account.converter("error").record(rtype, body)
        return {"id": account.patch(rtype, parts[2], converted)}
    if len(parts) == 4 and parts[0] == "transform":
        rtype, target = account.record_type(parts[1]), account.record_type(parts[3])
        converted = account.converter("error").record(target, body)
        return {"id": account.transform(rtype, account.get(rtype, parts[2]), target, converted)}
    if len(parts) == 2 and parts[0] == "pay":
        return {"id": pay(account, parts[1], body)}
    if len(parts) == 3 and parts[0] == "void":
        void(account, account.record_type(parts[1]), parts[2])
        return {"id": parts[2]}
    raise errors.NetSuiteError(404, "INVALID_REQUEST", f"Unknown user action: {path}")


def pay(account: Account, invoice_id: str, body: dict[str, Any]) -> str:
    """A payment received outside Stripe (a wire), deposited straight to a bank account."""
    invoice = account.get("invoice", invoice_id)
    if invoice.get("voided"):
        raise errors.user_error("You cannot accept a payment for a voided invoice.")
    bank = body.get("account")
    if not bank:
        raise errors.invalid_request("A payment needs the bank account it was received in.")
    remaining = invoice.get("amountRemaining") or Decimal(0)
    amount = Decimal(str(body["amount"])) if body.get("amount") is not None else remaining
    overrides: dict[str, Any] = {
        "undepFunds": False,
        "account": {"id": str(bank)},
        "payment": amount,
        "apply": {"items": [{"doc": {"id": invoice_id}, "apply": True, "amount": amount}]},
    }
    if body.get("memo"):
        overrides["memo"] = str(body["memo"])
    return account.transform("invoice", invoice, "customerPayment", overrides)


def void(account: Account, rtype: str, rid: str) -> None:
    """Void a transaction the NetSuite way (no reversing journal): amounts zeroed, kept on file."""
    if rtype != "invoice":
        raise errors.invalid_request(f"The sandbox voids invoices only, not {rtype}.")
    body = account.get(rtype, rid)
    if body.get("voided"):
        raise errors.user_error("This transaction has already been voided.")
    if account.ledger.appliers_of(str(body["id"])):
        raise errors.user_error(
            "You cannot void this transaction because it has payments or credits applied."
        )
    voided = copy.deepcopy(body)
    for line in lines(voided, "item"):
        for name in _ZEROED_LINE_FIELDS:
            if line.get(name) is not None:
                line[name] = Decimal(0)
    # Written by the account itself, past the converter: ``voided`` is no client's to set.
    patch = {"item": voided.get("item"), "memo": "VOID", "voided": True}
    account.patch(rtype, rid, patch, frozenset({"item"}))
