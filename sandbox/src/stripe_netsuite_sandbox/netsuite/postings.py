"""What each transaction posts to the general ledger, as NetSuite books it.

A rule per transaction family turns a stored body into draft lines in the transaction's currency
(debit positive). ``impact`` converts them into the base currency at each line's rate and adds the
lines NetSuite adds on its own: realized exchange gain or loss where an application or a deposit
meets a document booked at another rate, and the base-currency rounding of a journal entry. The
main line (receivables on an invoice, the bank on a payment or deposit) takes the cent a
line-by-line conversion leaves, so every posting balances in both currencies unless the record
itself does not add up; then ``Impact.problems`` says why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from stripe_netsuite_sandbox.netsuite import chart, dictionary
from stripe_netsuite_sandbox.netsuite.ledger import ZERO, Ledger, lines, precision, quantize, ref_id
from stripe_netsuite_sandbox.netsuite.store import Body, Store

ONE = Decimal(1)
#: Transactions whose impact NetSuite records as non-posting (``posting = 'F'``).
NON_POSTING = ("salesOrder",)
_ITEM_ACCOUNT_FIELDS = {
    "discountItem": "account",
    "salesTaxItem": "taxAccount",
}
_SALE_TYPES = ("invoice", "cashSale")


@dataclass(frozen=True)
class Line:
    """One line of GL impact: a TransactionAccountingLine row."""

    transaction: str
    #: The transactionline id the line belongs to (0 is the main line).
    line: int
    account: str
    #: In the base currency (the subsidiary's), debit positive.
    amount: Decimal
    #: In the transaction's currency, debit positive (0 on exchange gain or loss lines).
    foreign_amount: Decimal
    exchange_rate: Decimal
    #: What the line is for: main, receivable, item, tax, payment, other, cashback, journal,
    #: realized_fx, rounding, deposit_liability.
    kind: str
    memo: str | None = None

    @property
    def debit(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None


@dataclass(frozen=True)
class Impact:
    """The GL impact of one transaction, with the header facts balances filter on."""

    transaction: str
    record_type: str
    currency: str | None
    tran_date: str | None
    subsidiary: str | None
    lines: tuple[Line, ...]
    #: Why the transaction cannot post as written; empty when it balances.
    problems: tuple[str, ...] = ()
    #: False for a sales order: its lines are NetSuite's non-posting impact.
    posting: bool = True
    #: The internal id of the accounting period it posts to (``postingPeriod``).
    period: str | None = None

    @property
    def debits(self) -> Decimal:
        return sum((ln.amount for ln in self.lines if ln.amount > 0), ZERO)

    @property
    def credits(self) -> Decimal:
        return sum((-ln.amount for ln in self.lines if ln.amount < 0), ZERO)

    @property
    def balanced(self) -> bool:
        return not self.problems and self.debits == self.credits


@dataclass
class _Draft:
    line: int
    account: str | None
    foreign: Decimal
    rate: Decimal
    kind: str
    memo: str | None = None


@dataclass
class _Sheet:
    """Draft lines of one transaction while its rule runs."""

    store: Store
    ledger: Ledger
    rate: Decimal
    drafts: list[_Draft] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    main: _Draft | None = None

    def add(
        self,
        line: int,
        account: str | None,
        foreign: Decimal,
        kind: str,
        *,
        rate: Decimal | None = None,
        memo: str | None = None,
        what: str = "",
    ) -> _Draft:
        if account is None and foreign:
            self.problems.append(f"line {line} ({what or kind}) has no account to post to")
        draft = _Draft(line, account, foreign, self.rate if rate is None else rate, kind, memo)
        self.drafts.append(draft)
        return draft

    def next_line(self) -> int:
        return max((d.line for d in self.drafts), default=0) + 1

    def special(self, code: str, fallback: str) -> str:
        """The account holding a special role (``sSpecAcct``), as NetSuite finds it."""
        for body in self.store.all("account"):
            if ref_id(body, "sSpecAcct") == code:
                return str(body["id"])
        return fallback

    def rate_of(self, transaction_id: str) -> Decimal:
        body = self.document(transaction_id)
        return _rate(body) if body is not None else self.rate

    def document(self, transaction_id: str) -> Body | None:
        rtype = self.ledger.tx_types.get(transaction_id)
        return self.store.get(rtype, transaction_id) if rtype else None


def impact(store: Store, ledger: Ledger, rtype: str, body: Body) -> Impact:
    """The GL impact of a saved transaction of type *rtype*."""
    tid = str(body["id"])
    sheet = _Sheet(store, ledger, _rate(body))
    rule = _RULES.get(rtype)
    if rule is not None:
        rule(sheet, body)
    digits = precision(store, base_currency(store, body))
    return Impact(
        transaction=tid,
        record_type=rtype,
        currency=ref_id(body, "currency"),
        tran_date=body.get("tranDate"),
        subsidiary=ref_id(body, "subsidiary"),
        lines=tuple(_convert(sheet, tid, digits)),
        problems=tuple(sheet.problems),
        posting=rtype not in NON_POSTING,
        period=ref_id(body, "postingPeriod"),
    )


def _convert(sheet: _Sheet, tid: str, digits: int) -> list[Line]:
    foreign_sum = sum((d.foreign for d in sheet.drafts), ZERO)
    if foreign_sum != 0:
        sheet.problems.append(
            f"debits and credits differ by {foreign_sum} in the transaction currency"
        )
    based = [(d, quantize(d.foreign * d.rate, digits)) for d in sheet.drafts]
    # What differing rates moved: each line at the transaction's rate, less at its own.
    moved = sum(
        (
            quantize(d.foreign * sheet.rate, digits) - base
            for d, base in based
            if d.rate != sheet.rate
        ),
        ZERO,
    )
    if moved:
        account = sheet.special("RealizedERV", chart.REALIZED_FX)
        fx = _Draft(sheet.next_line(), account, ZERO, sheet.rate, "realized_fx")
        based.append((fx, moved))
    residue = -sum((base for _, base in based), ZERO)
    if residue and foreign_sum == 0:
        if sheet.main is not None:
            based = [(d, base + residue if d is sheet.main else base) for d, base in based]
        else:
            account = sheet.special("RndERV", chart.ROUNDING)
            rounding = _Draft(sheet.next_line(), account, ZERO, sheet.rate, "rounding")
            based.append((rounding, residue))
    return [
        Line(tid, d.line, d.account, base, d.foreign, d.rate, d.kind, d.memo)
        for d, base in sorted(based, key=lambda pair: pair[0].line)
        if d.account is not None and (base or d.foreign)
    ]


# -- rules -------------------------------------------------------------------------------------


def _sale(sheet: _Sheet, body: Body, rtype: str) -> None:
    """Invoice and cash sale (sign +1), credit memo and cash refund (-1): the main line against
    each item line's account and the tax on the lines."""
    sign = ONE if rtype in _SALE_TYPES else -ONE
    if rtype in ("invoice", "creditMemo"):
        main_account = ref_id(body, "account") or sheet.special(
            "AcctRec", chart.ACCOUNTS_RECEIVABLE
        )
        kind = "receivable"
    else:
        main_account = ref_id(body, "account") or sheet.special(
            "UndepFunds", chart.UNDEPOSITED_FUNDS
        )
        kind = "main"
    items = lines(body, "item")
    taxes: dict[str | None, Decimal] = {}
    for i, line in enumerate(items, start=1):
        number = int(line.get("line") or i)
        amount = _dec(line.get("amount"))
        item_id = ref_id(line, "item")
        account = _item_account(sheet.store, item_id) if item_id else None
        memo = line.get("description")
        sheet.add(number, account, -sign * amount, "item", memo=memo, what=f"item {item_id}")
        tax = _dec(line.get("tax1Amt"))
        if tax:
            code = ref_id(line, "taxCode")
            tax_account = _tax_account(sheet.store, code) if code else None
            tax_account = tax_account or sheet.special("SalesTaxPay", chart.TAX_PAYABLE)
            taxes[tax_account] = taxes.get(tax_account, ZERO) + tax
    for tax_account, tax in taxes.items():
        sheet.add(sheet.next_line(), tax_account, -sign * tax, "tax")
    total = _dec(body.get("total"))
    if rtype == "creditMemo":
        sheet.main = _receivables(sheet, body, main_account, -total, line=0)
    else:
        sheet.main = sheet.add(0, main_account, sign * total, kind)


def _invoice(sheet: _Sheet, body: Body) -> None:
    _sale(sheet, body, "invoice")


def _cash_sale(sheet: _Sheet, body: Body) -> None:
    _sale(sheet, body, "cashSale")


def _credit_memo(sheet: _Sheet, body: Body) -> None:
    _sale(sheet, body, "creditMemo")


def _cash_refund(sheet: _Sheet, body: Body) -> None:
    _sale(sheet, body, "cashRefund")


def _receivables(
    sheet: _Sheet, body: Body, account: str, amount: Decimal, *, line: int
) -> _Draft | None:
    """Receivable lines for *amount* (debit positive): what the ``apply`` lines settle on
    documents booked at another rate goes at their rate, on lines of its own; the rest at the
    transaction's rate on *line* (always made for the main line 0)."""
    by_rate: dict[Decimal, Decimal] = {}
    for apply_line in lines(body, "apply"):
        doc = ref_id(apply_line, "doc")
        applied = apply_line.get("amount")
        if doc is None or apply_line.get("apply") is False or not isinstance(applied, Decimal):
            continue
        rate = sheet.rate_of(doc)
        if rate != sheet.rate:
            by_rate[rate] = by_rate.get(rate, ZERO) + applied
    sign = ONE if amount >= 0 else -ONE
    rest = amount - sign * sum(by_rate.values(), ZERO)
    first = sheet.add(line, account, rest, "receivable") if rest or line == 0 else None
    for rate, applied in by_rate.items():
        sheet.add(sheet.next_line(), account, sign * applied, "receivable", rate=rate)
    return first


def _payment(sheet: _Sheet, body: Body) -> None:
    """Customer payment: the bank or Undeposited Funds against receivables."""
    account = ref_id(body, "account") or (
        sheet.special("UndepFunds", chart.UNDEPOSITED_FUNDS) if body.get("undepFunds") else None
    )
    amount = _dec(body.get("payment"))
    sheet.main = sheet.add(0, account, amount, "main", what="payment account")
    receivables = ref_id(body, "arAcct") or sheet.special("AcctRec", chart.ACCOUNTS_RECEIVABLE)
    _receivables(sheet, body, receivables, -amount, line=1)


def _refund(sheet: _Sheet, body: Body) -> None:
    """Customer refund: receivables against the account paid from."""
    amount = _dec(body.get("total"))
    sheet.main = sheet.add(0, ref_id(body, "account"), -amount, "main", what="refund account")
    receivables = ref_id(body, "arAcct") or sheet.special("AcctRec", chart.ACCOUNTS_RECEIVABLE)
    _receivables(sheet, body, receivables, amount, line=1)


def _customer_deposit(sheet: _Sheet, body: Body) -> None:
    amount = _dec(body.get("payment"))
    account = ref_id(body, "account") or sheet.special("UndepFunds", chart.UNDEPOSITED_FUNDS)
    sheet.main = sheet.add(0, account, amount, "main")
    liability = sheet.special("CustDep", chart.CUSTOMER_DEPOSITS)
    sheet.add(1, liability, -amount, "deposit_liability")


def _deposit(sheet: _Sheet, body: Body) -> None:
    """Bank deposit: the bank for the total against what each payment, other and cash-back line
    moves."""
    total = _dec(body.get("total"))
    sheet.main = sheet.add(0, ref_id(body, "account"), total, "main", what="bank account")
    number = 0
    for line in lines(body, "payment"):
        if line.get("deposit") is False or line.get("id") is None:
            continue
        number += 1
        pid = str(line["id"])
        payment = sheet.document(pid) or {}
        account = ref_id(payment, "account") or sheet.special("UndepFunds", chart.UNDEPOSITED_FUNDS)
        rate = _rate(payment) if payment else sheet.rate
        amount = _dec(line.get("paymentAmount"))
        sheet.add(number, account, -amount, "payment", rate=rate, memo=f"Transaction {pid}")
    for sublist, sign in (("other", -ONE), ("cashback", ONE)):
        for line in lines(body, sublist):
            number += 1
            amount = sign * _dec(line.get("amount"))
            sheet.add(number, ref_id(line, "account"), amount, sublist, memo=line.get("memo"))


def _journal(sheet: _Sheet, body: Body) -> None:
    """Journal entry: each line as written."""
    for i, line in enumerate(lines(body, "line"), start=1):
        foreign = _dec(line.get("debit")) - _dec(line.get("credit"))
        sheet.add(i, ref_id(line, "account"), foreign, "journal", memo=line.get("memo"))


_RULES: dict[str, Callable[[_Sheet, Body], None]] = {
    "invoice": _invoice,
    "cashSale": _cash_sale,
    "creditMemo": _credit_memo,
    "cashRefund": _cash_refund,
    "customerPayment": _payment,
    "customerRefund": _refund,
    "customerDeposit": _customer_deposit,
    "deposit": _deposit,
    "journalEntry": _journal,
    "salesOrder": _invoice,
}


# -- lookups -----------------------------------------------------------------------------------


def _item_account(store: Store, item_id: str) -> str | None:
    """The account an item line posts to: income for sale items, the discount item's account,
    the tax item's tax account."""
    for rtype in dictionary.ITEM_TYPES:
        item = store.get(rtype, item_id)
        if item is None:
            continue
        if rtype == "taxGroup":
            return _tax_account(store, item_id)
        return ref_id(item, _ITEM_ACCOUNT_FIELDS.get(rtype, "incomeAccount"))
    return None


def _tax_account(store: Store, code_id: str) -> str | None:
    """The liability a tax code books to: a tax item's tax account, a tax group's first item's."""
    item = store.get("salesTaxItem", code_id)
    if item is not None:
        return ref_id(item, "taxAccount")
    group = store.get("taxGroup", code_id)
    if group is None:
        return None
    members: Iterable[str | None] = (ref_id(ln, "taxItem") for ln in lines(group, "taxItem"))
    for member in [*members, ref_id(group, "taxItem1")]:
        if member and member != code_id:
            found = _tax_account(store, member)
            if found:
                return found
    return None


def base_currency(store: Store, body: Body) -> str:
    """The currency GL amounts are in: the transaction's subsidiary's."""
    subsidiary = store.get("subsidiary", ref_id(body, "subsidiary") or chart.SUBSIDIARY_PARENT)
    return (ref_id(subsidiary, "currency") if subsidiary else None) or chart.USD


def _rate(body: Body) -> Decimal:
    rate = body.get("exchangeRate")
    return rate if isinstance(rate, Decimal) and rate > 0 else ONE


def _dec(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else ZERO
