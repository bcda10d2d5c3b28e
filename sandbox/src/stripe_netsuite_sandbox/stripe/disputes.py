"""Disputes from the test cards: funds withdrawn with the dispute fee, reinstated on a win."""

from __future__ import annotations

from typing import Any

from stripe_netsuite_sandbox.stripe import currency, errors, filters, ledger, params, shapes
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

WEEK = 7 * 86400


def open_dispute(sb: Sandbox, ch: Obj, *, inquiry: bool, reason: str = "fraudulent") -> Obj:
    """A dispute on a captured charge; a chargeback withdraws the funds and the fee."""
    evidence: dict[str, Any] = {k: None for k in shapes.fixtures()["dispute"]["evidence"]}
    evidence["enhanced_evidence"] = {}
    brand = (ch["payment_method_details"].get("card") or {}).get("brand", "visa")
    dp = sb.create(
        "dispute",
        "dp",
        amount=ch["amount_captured"],
        charge=ch["id"],
        currency=ch["currency"],
        evidence=evidence,
        evidence_details={
            "due_by": sb.now() + WEEK,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
            "enhanced_eligibility": {},
        },
        is_charge_refundable=inquiry,
        payment_intent=ch["payment_intent"],
        payment_method_details={
            "card": {
                "brand": brand,
                "case_type": "inquiry" if inquiry else "chargeback",
                "network_reason_code": "10.4",
                "network": brand,
            },
            "type": "card",
        },
        reason="general" if inquiry else reason,
        status="warning_needs_response" if inquiry else "needs_response",
        enhanced_eligibility_types=[],
        _bts=[],
        _inquiry=inquiry,
    )
    ch["disputed"] = True
    sb.touch(ch)
    sb.emit("charge.dispute.created", dp)
    if not inquiry:
        settle = sb.settlement_currency(dp["currency"])
        fee = currency.dispute_fee(settle)
        bt = ledger.record(
            sb,
            amount=-int(dp["amount"]),
            currency_code=dp["currency"],
            type="adjustment",
            category="dispute",
            source=dp["id"],
            description=f"Chargeback withdrawal for {ch['id']}",
            fee_details=[ledger.fee_entry(sb, fee, "Dispute fee", settle)],
        )
        dp["_bts"].append(bt["id"])
        ch["_dispute_withdrawn"] = True
        sb.emit("charge.dispute.funds_withdrawn", dp)
    return dp


def _reinstate(sb: Sandbox, dp: Obj) -> None:
    withdrawn = sb.store.get(dp["_bts"][0]) if dp["_bts"] else None
    if withdrawn is None:
        return
    fee = int(withdrawn["fee"])
    bt = ledger.record(
        sb,
        amount=int(dp["amount"]),
        currency_code=dp["currency"],
        type="adjustment",
        category="dispute_reversal",
        source=dp["id"],
        description=f"Chargeback reversal for {dp['charge']}",
        fee_details=(
            [ledger.fee_entry(sb, -fee, "Dispute fee refund", withdrawn["currency"])] if fee else []
        ),
    )
    dp["_bts"].append(bt["id"])
    ch = sb.store.get(dp["charge"])
    if ch is not None:
        ch["_dispute_withdrawn"] = False
        sb.touch(ch)
    sb.emit("charge.dispute.funds_reinstated", dp)


def _close(sb: Sandbox, dp: Obj, status: str) -> None:
    before = {"status": dp["status"]}
    dp["status"] = status
    sb.touch(dp)
    sb.emit("charge.dispute.closed", dp, before)
    if status == "won":
        _reinstate(sb, dp)


def update(sb: Sandbox, dp: Obj, q: params.Params) -> Obj:
    """`POST /v1/disputes/{id}`: evidence (test values decide the outcome) and metadata."""
    if dp["status"] in {"won", "lost", "warning_closed"}:
        if "evidence" in q:
            raise errors.invalid(
                f"This dispute is already closed ({dp['status']}); evidence cannot be updated."
            )
    before = sb.snapshot(dp, ["metadata", "evidence", "status", "evidence_details"])
    params.apply_metadata(dp, q)
    evidence = params.mapping(q, "evidence")
    for key, value in evidence.items():
        if key not in dp["evidence"]:
            raise errors.invalid(f"Received unknown parameter: evidence[{key}]", param="evidence")
        dp["evidence"][key] = value or None
    outcome = None
    if evidence:
        dp["evidence_details"]["has_evidence"] = True
        if params.boolean(q, "submit", default=True):
            dp["evidence_details"]["submission_count"] += 1
            text = str(evidence.get("uncategorized_text") or "")
            if dp["_inquiry"]:
                dp["status"] = "warning_under_review"
                outcome = "warning_closed" if "winning_evidence" in text else None
            else:
                dp["status"] = "under_review"
                if "winning_evidence" in text:
                    outcome = "won"
                elif "losing_evidence" in text:
                    outcome = "lost"
    sb.touch(dp)
    sb.update_event("charge.dispute.updated", dp, before)
    if outcome:
        _close(sb, dp, outcome)
    return dp


def close(sb: Sandbox, dp: Obj) -> Obj:
    """`POST /v1/disputes/{id}/close`: accept the dispute."""
    if dp["status"] in {"won", "lost", "warning_closed"}:
        raise errors.invalid(f"This dispute is already closed ({dp['status']}).")
    _close(sb, dp, "warning_closed" if dp["_inquiry"] else "lost")
    return dp


def listing(sb: Sandbox, q: params.Params) -> list[Obj]:
    """Disputes filtered by charge / payment_intent / created."""
    return filters.apply(
        sb.store.all_of("dispute"),
        filters.equal(q, "charge", "payment_intent"),
        filters.range_filter(q, "created"),
    )


def balance_transactions(sb: Sandbox, dp: Obj) -> list[Obj]:
    """The dispute's BT objects (embedded in `dispute.balance_transactions`)."""
    return [sb.render(sb.store.get(i)) for i in dp["_bts"] if sb.store.get(i)]
