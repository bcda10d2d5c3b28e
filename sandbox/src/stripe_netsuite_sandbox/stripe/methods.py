"""Payment methods, tokens and card sources, including Stripe's test ids (`pm_card_visa`…)."""

from __future__ import annotations

import re
from typing import Any

from stripe_netsuite_sandbox.stripe import errors, params, shapes
from stripe_netsuite_sandbox.stripe.state import Sandbox
from stripe_netsuite_sandbox.stripe.store import Obj

#: brand key → (brand, last4, funding, country)
BRANDS: dict[str, tuple[str, str, str, str]] = {
    "visa": ("visa", "4242", "credit", "US"),
    "visa_debit": ("visa", "5556", "debit", "US"),
    "mastercard": ("mastercard", "4444", "credit", "US"),
    "mastercard_debit": ("mastercard", "8210", "debit", "US"),
    "mastercard_prepaid": ("mastercard", "5100", "prepaid", "US"),
    "amex": ("amex", "8431", "credit", "US"),
    "discover": ("discover", "1117", "credit", "US"),
    "diners": ("diners", "0004", "credit", "US"),
    "jcb": ("jcb", "0505", "credit", "JP"),
    "unionpay": ("unionpay", "0005", "credit", "CN"),
}

#: name fragment → behaviour when the card is charged
BEHAVIOURS: list[tuple[str, str]] = [
    ("chargecustomerfail", "customer_fail"),
    ("chargedeclinedinsufficientfunds", "decline:insufficient_funds"),
    ("chargedeclinedfraudulent", "decline:fraudulent"),
    ("chargedeclinedexpiredcard", "decline:expired_card"),
    ("chargedeclinedincorrectcvc", "decline:incorrect_cvc"),
    ("chargedeclinedprocessingerror", "decline:processing_error"),
    ("chargedeclinedlostcard", "decline:lost_card"),
    ("chargedeclinedstolencard", "decline:stolen_card"),
    ("chargedeclined", "decline:generic_decline"),
    ("createdisputeinquiry", "inquiry"),
    ("createdisputeproductnotreceived", "dispute:product_not_received"),
    ("createdispute", "dispute:fraudulent"),
    ("bypasspending", "bypass"),
    ("authenticationrequiredonsetup", "ok"),
    ("authenticationrequired", "auth"),
    ("threedsecure2required", "auth"),
    ("threedsecurerequired", "auth"),
    ("refundfail", "refund_fail"),
    ("riskleveelevated", "ok"),
]

_COUNTRY = re.compile(r"^[a-z]{2}$")


def test_card(name: str) -> tuple[dict[str, Any], str] | None:
    """Card details and behaviour for a test id such as `pm_card_visa` or `tok_mastercard`."""
    base = name.removeprefix("pm_card_").removeprefix("tok_")
    if base == name:
        return None
    low = base.lower()
    behaviour, matched = "ok", False
    for fragment, what in BEHAVIOURS:
        if fragment in low.replace("_", ""):
            behaviour, matched = what, True
            break
    brand_key = "visa"
    for key in sorted(BRANDS, key=len, reverse=True):
        if low.startswith(key):
            brand_key = key
            break
    brand, last4, funding, country = BRANDS[brand_key]
    if _COUNTRY.match(low):
        country = low.upper()
    elif not matched and not any(low.startswith(k) for k in BRANDS):
        return None
    last4 = {
        "decline:generic_decline": "0002",
        "decline:insufficient_funds": "9995",
        "customer_fail": "0341",
        "dispute:fraudulent": "0259",
        "inquiry": "1976",
        "bypass": "0077",
        "auth": "3184",
        "refund_fail": "5126",
    }.get(behaviour, last4)
    card = {
        "brand": brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass",
        },
        "country": country,
        "display_brand": brand,
        "exp_month": 12,
        "exp_year": 2034,
        "fingerprint": f"fp{brand_key}{last4}",
        "funding": funding,
        "generated_from": None,
        "last4": last4,
        "networks": {"available": [brand], "preferred": None},
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
        "regulated_status": "unregulated",
    }
    return card, behaviour


def _billing(q: params.Params) -> dict[str, Any]:
    details = shapes.nested("payment_method", "billing_details")
    details["address"] = {k: None for k in details["address"]}
    given = params.mapping(q, "billing_details")
    for key in ("email", "name", "phone"):
        if key in given:
            details[key] = given[key] or None
    if isinstance(given.get("address"), dict):
        details["address"].update(given["address"])
    return details  # type: ignore[no-any-return]


def make_card_pm(sb: Sandbox, name: str, q: params.Params | None = None) -> Obj:
    """A new `pm_` object cloned from a test card id."""
    found = test_card(name)
    if found is None:
        raise errors.no_such("PaymentMethod", name, "payment_method")
    card, behaviour = found
    return sb.create(
        "payment_method",
        "pm",
        allow_redisplay="unspecified",
        billing_details=_billing(q or {}),
        card=card,
        type="card",
        _behaviour=behaviour,
    )


def create(sb: Sandbox, q: params.Params) -> Obj:
    """`POST /v1/payment_methods`."""
    kind = params.string(q, "type", required=True)
    if kind == "card":
        card = params.mapping(q, "card")
        token = card.get("token")
        if not token:
            number = str(card.get("number", ""))
            token = "tok_chargeDeclined" if number.endswith("0002") else "tok_visa"
        pm = make_card_pm(sb, str(token), q)
    elif kind == "sepa_debit":
        iban = str(params.mapping(q, "sepa_debit").get("iban", "")).replace(" ", "")
        if len(iban) < 15:
            raise errors.invalid("Invalid IBAN.", param="sepa_debit[iban]")
        pm = sb.create(
            "payment_method",
            "pm",
            allow_redisplay="unspecified",
            billing_details=_billing(q),
            type="sepa_debit",
            sepa_debit={
                "bank_code": iban[4:9],
                "branch_code": "",
                "country": iban[:2],
                "fingerprint": f"fp{iban[-6:]}",
                "generated_from": None,
                "last4": iban[-4:],
            },
            _behaviour="sepa_fail" if iban.endswith("3202") else "sepa",
        )
    elif kind == "customer_balance":
        pm = customer_balance_pm(sb)
    else:
        pm = sb.create(
            "payment_method",
            "pm",
            allow_redisplay="unspecified",
            billing_details=_billing(q),
            type=kind,
            _behaviour="ok",
        )
        pm[str(kind)] = params.mapping(q, str(kind))
    params.apply_metadata(pm, q)
    return pm


def customer_balance_pm(sb: Sandbox) -> Obj:
    """A `customer_balance` payment method (bank transfers into the cash balance)."""
    pm = sb.create(
        "payment_method",
        "pm",
        allow_redisplay="unspecified",
        billing_details=_billing({}),
        type="customer_balance",
        _behaviour="customer_balance",
    )
    pm["customer_balance"] = {}
    pm["card"] = None
    return pm


def resolve(sb: Sandbox, ref: str, param: str = "payment_method") -> Obj:
    """A payment method by id, test id or card source id (sources act as card methods)."""
    if ref.startswith(("pm_card_", "tok_")):
        return make_card_pm(sb, ref)
    obj = sb.get(ref, ("payment_method", "card"))
    if obj is None:
        raise errors.no_such("PaymentMethod", ref, param)
    return obj


def attach(sb: Sandbox, ref: str, q: params.Params) -> Obj:
    """`POST /v1/payment_methods/{id}/attach`."""
    customer = sb.need(params.string(q, "customer", required=True), "customer", param="customer")
    pm = resolve(sb, ref)
    if pm.get("customer") and pm["customer"] != customer["id"]:
        raise errors.invalid(
            "This PaymentMethod was previously used without being attached to a Customer "
            "or was detached from a Customer, and may not be used again."
        )
    pm["customer"] = customer["id"]
    sb.touch(pm)
    sb.emit("payment_method.attached", pm)
    return pm


def detach(sb: Sandbox, ref: str) -> Obj:
    """`POST /v1/payment_methods/{id}/detach`."""
    pm = sb.need(ref, "payment_method", kind="PaymentMethod")
    if not pm.get("customer"):
        raise errors.invalid(
            "The payment method you provided is not attached to a customer so detachment "
            "is impossible.",
        )
    previous = pm["customer"]
    pm["customer"] = None
    sb.touch(pm)
    sb.emit("payment_method.detached", pm, {"customer": previous})
    return pm


def card_source(sb: Sandbox, token: str, customer: Obj) -> Obj:
    """A legacy `card_` source on a customer from a `tok_` id."""
    found = test_card(token)
    if found is None:
        raise errors.no_such("token", token, "source")
    card, behaviour = found
    src = sb.create(
        "card",
        "card",
        brand={"amex": "American Express", "mastercard": "MasterCard"}.get(
            card["brand"], card["brand"].title()
        ),
        country=card["country"],
        customer=customer["id"],
        cvc_check="pass",
        exp_month=card["exp_month"],
        exp_year=card["exp_year"],
        fingerprint=card["fingerprint"],
        funding=card["funding"],
        last4=card["last4"],
        _behaviour=behaviour,
        _card=card,
    )
    return src


def card_details(pm: Obj) -> dict[str, Any]:
    """The `card` hash of a payment method or card source."""
    if pm.get("object") == "card":
        return dict(pm["_card"])
    return dict(pm.get("card") or {})
