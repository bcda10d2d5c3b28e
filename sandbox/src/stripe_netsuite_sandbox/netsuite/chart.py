"""The starting chart of the sandbox account, with its internal ids as constants.

A OneWorld account: a parent company with a US and an EU subsidiary, bank accounts in five
currencies (plus four more for odd precisions), the GL accounts a Stripe integration posts to,
a Stripe payment method, a tax item, and a default service and discount item. Configs and tests
refer to these ids; every one is readable through the record API.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

#: Currencies: internal id by ISO code, and NetSuite's precision (digits after the point).
USD, GBP, CAD, EUR, JPY, KWD, ISK, HUF, TWD, UGX = "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"
CURRENCIES: dict[str, str] = {
    "usd": USD,
    "gbp": GBP,
    "cad": CAD,
    "eur": EUR,
    "jpy": JPY,
    "kwd": KWD,
    "isk": ISK,
    "huf": HUF,
    "twd": TWD,
    "ugx": UGX,
}
PRECISION: dict[str, int] = {
    USD: 2,
    GBP: 2,
    CAD: 2,
    EUR: 2,
    JPY: 0,
    KWD: 3,
    ISK: 0,
    HUF: 2,
    TWD: 2,
    UGX: 0,
}

SUBSIDIARY_PARENT = "1"
SUBSIDIARY_US = "2"
SUBSIDIARY_EU = "3"

#: Bank accounts by currency code.
BANK_ACCOUNTS: dict[str, str] = {
    "usd": "1",
    "eur": "2",
    "gbp": "3",
    "jpy": "4",
    "kwd": "5",
    "isk": "14",
    "huf": "15",
    "twd": "16",
    "ugx": "17",
}
UNDEPOSITED_FUNDS = "6"
ACCOUNTS_RECEIVABLE = "7"
INCOME = "8"
STRIPE_FEES = "9"
DISPUTE_FEES = "10"
SUSPENSE = "11"
DISCOUNTS = "12"
TAX_PAYABLE = "13"
#: The Stripe balance as a bank-type account: refunds are paid from it, deposits clear it.
STRIPE_CLEARING = "18"
FX_DIFFERENCES = "19"
CUSTOMER_CREDIT = "23"
#: System accounts NetSuite posts to on its own: exchange gain or loss realized when a payment
#: meets an invoice booked at another rate, base-currency rounding of journal entries, and
#: the liability a customer deposit creates.
REALIZED_FX = "25"
ROUNDING = "26"
CUSTOMER_DEPOSITS = "27"
#: Expense an uncollectible invoice is written off to.
BAD_DEBT = "29"
#: Refunds paid outside Stripe (a credit note's out-of-band amount), for reclassifying.
OUT_OF_BAND_REFUNDS = "30"

PAYMENT_METHOD_STRIPE = "1"
PAYMENT_METHOD_CASH = "2"

#: Items share one id space across item types, as in NetSuite.
SERVICE_ITEM = "20"
DISCOUNT_ITEM = "21"
TAX_ITEM = "22"
#: Customer balance and billing credits, posting to the customer credit liability.
CUSTOMER_BALANCE_ITEM = "24"
NOT_TAXABLE = "-7"

CUSTOMER_STATUS_CLOSED_WON = "13"
TERM_NET_30 = "2"
PRICE_LEVEL_BASE = "1"
PRICE_LEVEL_CUSTOM = "-1"

#: The first internal id handed to records created through the API.
FIRST_ID = 1000
#: Custom date body fields the account has on its transactions (``custbody_*``).
CUSTOM_BODY_FIELDS = frozenset({"custbody_stripe_date"})

_CURRENCY_NAMES = {
    USD: ("USD", "US Dollar", "$"),
    GBP: ("GBP", "British pound", "£"),
    CAD: ("CAD", "Canadian Dollar", "$"),
    EUR: ("EUR", "Euro", "€"),
    JPY: ("JPY", "Yen", "¥"),
    KWD: ("KWD", "Kuwaiti dinar", "KD"),
    ISK: ("ISK", "Icelandic króna", "kr"),
    HUF: ("HUF", "Forint", "Ft"),
    TWD: ("TWD", "New Taiwan dollar", "NT$"),
    UGX: ("UGX", "Ugandan shilling", "USh"),
}


def _ref(record_id: str) -> dict[str, str]:
    return {"id": record_id}


def _currencies() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for cid, (code, _name, symbol) in _CURRENCY_NAMES.items():
        out.append(
            (
                "currency",
                {
                    "id": cid,
                    "name": code,
                    "symbol": code,
                    "displaySymbol": symbol,
                    "currencyPrecision": PRECISION[cid],
                    "exchangeRate": Decimal(1),
                    "isBaseCurrency": cid == USD,
                    "isInactive": False,
                },
            )
        )
    return out


def _subsidiaries() -> list[tuple[str, dict[str, Any]]]:
    def sub(sid: str, name: str, currency: str, country: str, parent: str | None) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "id": sid,
            "name": name,
            "legalName": f"{name} Ltd.",
            "currency": _ref(currency),
            "country": {"id": country},
            "isElimination": False,
            "isInactive": False,
        }
        if parent:
            rec["parent"] = _ref(parent)
        return rec

    return [
        ("subsidiary", sub(SUBSIDIARY_PARENT, "Parent Company", USD, "US", None)),
        ("subsidiary", sub(SUBSIDIARY_US, "Sandbox US", USD, "US", SUBSIDIARY_PARENT)),
        ("subsidiary", sub(SUBSIDIARY_EU, "Sandbox EU", EUR, "IE", SUBSIDIARY_PARENT)),
    ]


def _accounts() -> list[tuple[str, dict[str, Any]]]:
    def acct(
        aid: str, number: str, name: str, kind: str, currency: str = USD, special: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        rec: dict[str, Any] = {
            "id": aid,
            "acctNumber": number,
            "acctName": name,
            "acctType": {"id": kind},
            "currency": _ref(currency),
            "subsidiary": {"items": [_ref(SUBSIDIARY_PARENT)]},
            "includeChildren": True,
            "isInactive": False,
            "isSummary": False,
        }
        if special:
            rec["sSpecAcct"] = {"id": special}
        return ("account", rec)

    banks = [
        acct(BANK_ACCOUNTS[code], f"10{i:02d}", f"Stripe {code.upper()} Bank", "Bank", cid)
        for i, (code, cid) in enumerate(
            [(c, CURRENCIES[c]) for c in ("usd", "eur", "gbp", "jpy", "kwd")], start=1
        )
    ]
    odd_banks = [
        acct(
            BANK_ACCOUNTS[code],
            f"10{i:02d}",
            f"Stripe {code.upper()} Bank",
            "Bank",
            CURRENCIES[code],
        )
        for i, code in enumerate(("isk", "huf", "twd", "ugx"), start=6)
    ]
    return [
        *banks,
        *odd_banks,
        acct(UNDEPOSITED_FUNDS, "1200", "Undeposited Funds", "OthCurrAsset", special="UndepFunds"),
        acct(ACCOUNTS_RECEIVABLE, "1100", "Accounts Receivable", "AcctRec", special="AcctRec"),
        acct(INCOME, "4000", "Sales", "Income"),
        acct(STRIPE_FEES, "6100", "Stripe Fees", "Expense"),
        acct(DISPUTE_FEES, "6110", "Stripe Dispute Fees", "Expense"),
        acct(SUSPENSE, "1900", "Stripe Suspense", "OthCurrAsset"),
        acct(DISCOUNTS, "4900", "Sales Discounts", "Income"),
        acct(TAX_PAYABLE, "2200", "Sales Tax Payable", "OthCurrLiab", special="SalesTaxPay"),
        acct(STRIPE_CLEARING, "1010", "Stripe Clearing", "Bank"),
        acct(FX_DIFFERENCES, "7100", "Exchange Differences", "OthExpense"),
        acct(CUSTOMER_CREDIT, "2300", "Customer Credit", "OthCurrLiab"),
        acct(REALIZED_FX, "7200", "Realized Gain/Loss", "OthExpense", special="RealizedERV"),
        acct(ROUNDING, "7300", "Rounding Gain/Loss", "OthExpense", special="RndERV"),
        acct(CUSTOMER_DEPOSITS, "2400", "Customer Deposits", "OthCurrLiab", special="CustDep"),
        acct(BAD_DEBT, "6300", "Bad Debt", "Expense"),
        acct(OUT_OF_BAND_REFUNDS, "1950", "Refunds Paid Outside Stripe", "OthCurrAsset"),
    ]


def _items() -> list[tuple[str, dict[str, Any]]]:
    everywhere = {"items": [_ref(SUBSIDIARY_PARENT)]}
    return [
        (
            "serviceSaleItem",
            {
                "id": SERVICE_ITEM,
                "itemId": "Stripe Service",
                "displayName": "Stripe Service",
                "itemType": {"id": "Service"},
                "incomeAccount": _ref(INCOME),
                "subsidiary": everywhere,
                "includeChildren": True,
                "isInactive": False,
            },
        ),
        (
            "serviceSaleItem",
            {
                "id": CUSTOMER_BALANCE_ITEM,
                "itemId": "Stripe Customer Balance",
                "displayName": "Stripe Customer Balance",
                "itemType": {"id": "Service"},
                "incomeAccount": _ref(CUSTOMER_CREDIT),
                "subsidiary": everywhere,
                "includeChildren": True,
                "isInactive": False,
            },
        ),
        (
            "discountItem",
            {
                "id": DISCOUNT_ITEM,
                "itemId": "Stripe Discount",
                "displayName": "Stripe Discount",
                "itemType": {"id": "Discount"},
                "account": _ref(DISCOUNTS),
                "isPreTax": True,
                "subsidiary": everywhere,
                "includeChildren": True,
                "isInactive": False,
            },
        ),
        (
            "salesTaxItem",
            {
                "id": TAX_ITEM,
                "itemId": "Stripe Tax",
                "name": "Stripe Tax",
                "itemType": "TaxItem",
                "rate": Decimal(0),
                "taxAccount": _ref(TAX_PAYABLE),
                "subsidiary": everywhere,
                "includeChildren": True,
                "isInactive": False,
            },
        ),
        (
            "salesTaxItem",
            {
                "id": NOT_TAXABLE,
                "itemId": "-Not Taxable-",
                "name": "-Not Taxable-",
                "itemType": "TaxItem",
                "rate": Decimal(0),
                "subsidiary": everywhere,
                "includeChildren": True,
                "isInactive": False,
            },
        ),
    ]


def _lists() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("paymentMethod", {"id": PAYMENT_METHOD_STRIPE, "name": "Stripe", "isInactive": False}),
        ("paymentMethod", {"id": PAYMENT_METHOD_CASH, "name": "Cash", "isInactive": False}),
        ("customerStatus", {"id": CUSTOMER_STATUS_CLOSED_WON, "name": "CUSTOMER-Closed Won"}),
        ("term", {"id": TERM_NET_30, "name": "Net 30"}),
        ("priceLevel", {"id": PRICE_LEVEL_BASE, "name": "Base Price"}),
        ("priceLevel", {"id": PRICE_LEVEL_CUSTOM, "name": "Custom"}),
    ]


def records() -> list[tuple[str, dict[str, Any]]]:
    """Every starting record as (record type, stored body)."""
    return [*_currencies(), *_subsidiaries(), *_accounts(), *_items(), *_lists()]
