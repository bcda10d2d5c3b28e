"""The tie-out: balances recomputed from Stripe alone beside NetSuite's general ledger.

Pure arithmetic. The engine (`stripe_netsuite.engine.tieout`) lists the Stripe objects and
reads the GL; this module turns them into one figure per currency and line on each side:

* **accounts receivable**: open invoices' ``amount_remaining`` plus customers' positive
  ``balance`` ↔ the receivables account(s);
* **sales tax payable**: tax on invoices less tax on credit notes ↔ the tax account(s);
* **net sales excluding tax**: invoices − credit notes − refunds and lost disputes no credit
  note covers + standalone charges + hand adjustments of customer balances ↔ every account
  of type Income not named by another line;
* **customer credit**: customers' credit balances (negative ``balance``) ↔ the customer
  credit account;
* **Stripe money in transit**: the gross of balance transactions no settled payout has
  taken yet (dispute ones net of the fee the dispute journal books) ↔ undeposited funds,
  Stripe clearing and suspense.

Stripe figures are integer minor units, NetSuite's `Decimal` in the transaction currency;
both are shown in major units. Liabilities and income are shown as credit balances
(positive), assets as debit balances.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from stripe_netsuite import money
from stripe_netsuite.mapping import reversal
from stripe_netsuite.mapping import transaction as tx

Obj = Mapping[str, Any]


class Line(StrEnum):
    """The lines of the tie-out, in the order they are shown."""

    #: Open invoices and amounts customers owe.
    RECEIVABLES = "accounts receivable"
    #: Tax collected less tax given back.
    TAX = "sales tax payable"
    #: Sales net of credits, refunds and lost disputes, tax excluded.
    NET_SALES = "net sales excl. tax"
    #: Credit balances customers hold.
    CUSTOMER_CREDIT = "customer credit"
    #: Stripe's balance not yet deposited in the bank.
    IN_TRANSIT = "Stripe money in transit"


#: Lines whose GL balance is a credit (shown with the sign turned).
CREDIT_LINES = frozenset({Line.TAX, Line.NET_SALES, Line.CUSTOMER_CREDIT})

#: NetSuite's account type of income accounts.
INCOME_TYPE = "Income"

#: Invoice statuses that have posted to the books.
POSTED_INVOICES = frozenset({"open", "paid", "uncollectible"})


@dataclass(frozen=True)
class GLRow:
    """One GL balance: an account in one transaction currency, debit positive."""

    account: str
    account_type: str | None
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class Accounts:
    """The NetSuite account ids behind each line; income is found by account type."""

    receivables: frozenset[str]
    tax: frozenset[str]
    customer_credit: frozenset[str]
    in_transit: frozenset[str]

    def of(self, line: Line) -> frozenset[str]:
        """The accounts of a line other than net sales."""
        return {
            Line.RECEIVABLES: self.receivables,
            Line.TAX: self.tax,
            Line.CUSTOMER_CREDIT: self.customer_credit,
            Line.IN_TRANSIT: self.in_transit,
        }.get(line, frozenset())


@dataclass(frozen=True)
class Figure:
    """A Stripe figure in minor units and the ids of the objects that make it."""

    amount: int = 0
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class TieLine:
    """One line of one currency: Stripe's figure, NetSuite's, and what feeds Stripe's."""

    currency: str
    line: Line
    stripe: Decimal
    netsuite: Decimal
    sources: tuple[str, ...] = field(default=())

    @property
    def difference(self) -> Decimal:
        """Stripe less NetSuite."""
        return self.stripe - self.netsuite

    @property
    def ties(self) -> bool:
        """Whether both sides agree to the minor unit."""
        return self.difference == 0


@dataclass(frozen=True)
class TieOut:
    """Every line of every currency."""

    lines: tuple[TieLine, ...]

    @property
    def differing(self) -> tuple[TieLine, ...]:
        """The lines that do not tie."""
        return tuple(line for line in self.lines if not line.ties)

    def line(self, currency: str, line: Line) -> TieLine:
        """One line, by currency (lower-case ISO code) and line."""
        return next(t for t in self.lines if t.currency == currency and t.line == line)


class _Tally:
    def __init__(self) -> None:
        self.amounts: dict[tuple[str, Line], int] = defaultdict(int)
        self.sources: dict[tuple[str, Line], list[str]] = defaultdict(list)

    def add(self, currency: Any, line: Line, amount: int, source: Any) -> None:
        if not amount:
            return
        key = (str(currency).lower(), line)
        self.amounts[key] += amount
        self.sources[key].append(str(source))

    def figures(self) -> dict[tuple[str, Line], Figure]:
        return {k: Figure(v, tuple(self.sources[k])) for k, v in self.amounts.items()}


def _tax(document: Obj) -> int:
    return sum(t.amount for t in tx.taxes(document, "total_taxes", "total_tax_amounts"))


def _id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None


def stripe_figures(
    *,
    invoices: Iterable[Obj] = (),
    credit_notes: Iterable[Obj] = (),
    customers: Iterable[Obj] = (),
    customer_balance_transactions: Iterable[Obj] = (),
    charges: Iterable[Obj] = (),
    checkout_sessions: Iterable[Obj] = (),
    invoice_payments: Iterable[Obj] = (),
    refunds: Iterable[Obj] = (),
    disputes: Iterable[Obj] = (),
    balance_transactions: Iterable[Obj] = (),
    paid_out: Collection[str] = (),
) -> dict[tuple[str, Line], Figure]:
    """Each line's figure per currency, from Stripe's objects as the API returns them.

    ``paid_out`` holds the ids of the balance transactions that settled payouts took.
    """
    # Each is read more than once below.
    invoices, charges, invoice_payments = list(invoices), list(charges), list(invoice_payments)
    tally = _Tally()
    for inv in invoices:
        if inv.get("status") not in POSTED_INVOICES:
            continue
        cur, tax = inv["currency"], _tax(inv)
        if inv.get("status") == "open":
            tally.add(cur, Line.RECEIVABLES, int(inv.get("amount_remaining") or 0), inv["id"])
        tally.add(cur, Line.TAX, tax, inv["id"])
        tally.add(cur, Line.NET_SALES, int(inv.get("total") or 0) - tax, inv["id"])
    covered: set[str] = set()
    for note in credit_notes:
        for entry in note.get("refunds") or []:
            found = _id(entry.get("refund") if isinstance(entry, Mapping) else entry)
            covered.update([found] if found else [])
        if note.get("refund"):
            covered.add(str(_id(note["refund"])))
        if note.get("status") != "issued":
            continue
        cur, tax = note["currency"], _tax(note)
        tally.add(cur, Line.TAX, -tax, note["id"])
        tally.add(cur, Line.NET_SALES, -(int(note.get("total") or 0) - tax), note["id"])
    for cus in customers:
        balance = int(cus.get("balance") or 0)
        line = Line.RECEIVABLES if balance > 0 else Line.CUSTOMER_CREDIT
        tally.add(cus.get("currency") or "", line, abs(balance), cus["id"])
    for entry in customer_balance_transactions:
        if entry.get("type") == "adjustment":
            # Granted by hand: a credit (negative) is a price concession, a debit a charge.
            tally.add(entry["currency"], Line.NET_SALES, int(entry["amount"]), entry["id"])
    invoiced = {_id(p.get("payment", {}).get("payment_intent")) for p in invoice_payments}
    raised = {(inv.get("metadata") or {}).get("netsuite_invoice_id") for inv in invoices} - {None}
    sold = {
        _id(cs.get("payment_intent")): (
            int(cs.get("amount_total") or 0),
            int((cs.get("total_details") or {}).get("amount_tax") or 0),
        )
        for cs in checkout_sessions
        if cs.get("status") == "complete"
    }
    for ch in charges:
        if ch.get("status") != "succeeded" or _id(ch.get("invoice")):
            continue
        if _id(ch.get("payment_intent")) in invoiced:
            continue
        if (ch.get("metadata") or {}).get("netsuite_invoice_id") in raised:
            continue  # paid a NetSuite-raised invoice (its link): that invoice is the sale
        captured = ch.get("amount_captured", ch.get("amount"))
        # A Checkout sale's tax is the session's (its invoice splits it out).
        taxed = sold.get(_id(ch.get("payment_intent")), (0, 0))[1]
        tally.add(ch["currency"], Line.TAX, taxed, ch["id"])
        tally.add(ch["currency"], Line.NET_SALES, int(captured or 0) - taxed, ch["id"])
    # A refund or lost dispute of an invoiced charge gives back the invoice's tax pro rata.
    sales = _sales_of_charges(invoices, charges, invoice_payments)
    for ch in charges:
        if _id(ch.get("payment_intent")) in sold and ch["id"] not in sales:
            sales[ch["id"]] = sold[_id(ch.get("payment_intent"))]
    balance_transactions = list(balance_transactions)  # read twice
    # The uncaptured part of an authorization released as a "refund" was never a sale.
    released = {
        bt["id"]
        for bt in balance_transactions
        if bt.get("reporting_category") == "partial_capture_reversal"
    }
    given_back = [
        r
        for r in refunds
        if r.get("status") in ("succeeded", "pending")
        and _id(r.get("balance_transaction")) not in released
    ]
    given_back += [dp for dp in disputes if _withdrawn(dp)]
    for obj in given_back:
        if obj["id"] in covered:
            continue
        value = int(obj["amount"])
        total, tax = sales.get(_id(obj.get("charge")) or "", (0, 0))
        taxed = reversal.tax_share(value, tax, total)
        tally.add(obj["currency"], Line.TAX, -taxed, obj["id"])
        tally.add(obj["currency"], Line.NET_SALES, -(value - taxed), obj["id"])
    done = set(paid_out)
    for bt in balance_transactions:
        category = bt.get("reporting_category")
        if bt["id"] in done or category == "payout" or bt.get("type") == "payout":
            continue
        # The dispute flow expenses dispute fees at once, against Stripe clearing.
        booked_fee = int(bt.get("fee") or 0) if category in ("dispute", "dispute_reversal") else 0
        tally.add(bt["currency"], Line.IN_TRANSIT, int(bt["amount"]) - booked_fee, bt["id"])
    return tally.figures()


def _withdrawn(dispute: Obj) -> bool:
    """Funds withdrawn and not given back: lost, or still open after the withdrawal."""
    status = str(dispute.get("status", ""))
    if status == "lost":
        return True
    return status in ("needs_response", "under_review") and bool(
        dispute.get("balance_transactions")
    )


def _sales_of_charges(
    invoices: Iterable[Obj], charges: Iterable[Obj], invoice_payments: Iterable[Obj]
) -> dict[str, tuple[int, int]]:
    """The (total, tax) of the invoice each charge paid, by charge id."""
    documents = {inv["id"]: (int(inv.get("total") or 0), _tax(inv)) for inv in invoices}
    by_intent = {
        _id(p.get("payment", {}).get("payment_intent")): _id(p.get("invoice"))
        for p in invoice_payments
    }
    found: dict[str, tuple[int, int]] = {}
    for ch in charges:
        invoice = _id(ch.get("invoice")) or by_intent.get(_id(ch.get("payment_intent")))
        if invoice in documents:
            found[ch["id"]] = documents[invoice]
    return found


def netsuite_figures(rows: Iterable[GLRow], accounts: Accounts) -> dict[tuple[str, Line], Decimal]:
    """Each line's GL balance per currency, shown as its natural (debit or credit) balance."""
    named = accounts.receivables | accounts.tax | accounts.customer_credit | accounts.in_transit
    out: dict[tuple[str, Line], Decimal] = defaultdict(Decimal)
    for row in rows:
        lines: list[Line] = [ln for ln in Line if row.account in accounts.of(ln)]
        if row.account_type == INCOME_TYPE and row.account not in named:
            lines.append(Line.NET_SALES)
        for ln in lines:
            sign = -1 if ln in CREDIT_LINES else 1
            out[(row.currency.lower(), ln)] += sign * row.amount
    return dict(out)


def tie_out(
    stripe: Mapping[tuple[str, Line], Figure], netsuite: Mapping[tuple[str, Line], Decimal]
) -> TieOut:
    """Every line of every currency either side knows, Stripe's figure in major units."""
    currencies = sorted({cur for cur, _ in stripe} | {cur for cur, _ in netsuite})
    lines: list[TieLine] = []
    for cur in currencies:
        places = Decimal(1).scaleb(-money.exponent(cur))
        for ln in Line:
            figure = stripe.get((cur, ln), Figure())
            ns = netsuite.get((cur, ln), Decimal(0)).quantize(places)
            found = money.to_decimal(figure.amount, cur)
            lines.append(TieLine(cur, ln, found, ns, figure.sources))
    return TieOut(tuple(lines))


#: How many object ids a differing line lists before it says how many more there are.
SHOWN_SOURCES = 8


def render(result: TieOut, *, shown: int = SHOWN_SOURCES) -> str:
    """The tie-out table, a currency at a time, each difference followed by its Stripe objects."""
    out: list[str] = []
    by_currency: dict[str, list[TieLine]] = defaultdict(list)
    for each in result.lines:
        by_currency[each.currency].append(each)
    for cur, lines in by_currency.items():
        out += _table(cur, lines, shown)
        out.append("")
    differing = result.differing
    out.append(
        "every line ties out"
        if not differing
        else f"{len(differing)} of {len(result.lines)} lines differ: "
        + ", ".join(f"{t.currency.upper()} {t.line}" for t in differing)
    )
    return "\n".join(out) + "\n"


def _table(currency: str, lines: Sequence[TieLine], shown: int) -> list[str]:
    head = (f"{currency.upper()} line", "Stripe", "NetSuite", "difference")
    rows = [(str(t.line), str(t.stripe), str(t.netsuite), str(t.difference)) for t in lines]
    width = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    out = [
        f"{head[0]:<{width[0]}}  "
        + "  ".join(f"{h:>{w}}" for h, w in zip(head[1:], width[1:], strict=True)),
        "  ".join("-" * w for w in width),
    ]
    for t, row in zip(lines, rows, strict=True):
        cells = "  ".join(f"{c:>{w}}" for c, w in zip(row[1:], width[1:], strict=True))
        out.append(f"{row[0]:<{width[0]}}  {cells}")
        if not t.ties and t.sources:
            more = len(t.sources) - shown
            listed = ", ".join(t.sources[:shown]) + (f" and {more} more" if more > 0 else "")
            out.append(f"    from Stripe: {listed}")
    return out
