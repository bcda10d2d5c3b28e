"""The tables SuiteQL reads: rows built from stored records, and the columns each one has.

``transactionaccountingline`` is the general ledger (``gl``): one row per GL line, amounts in the
base currency, debit positive, ``debit``/``credit`` left out when there is none. Its
``transactionline`` is the ``id`` of a ``transactionline`` row of the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from stripe_netsuite_sandbox.netsuite import dictionary, periods, postings
from stripe_netsuite_sandbox.netsuite.ledger import lines, precision, quantize, ref_id
from stripe_netsuite_sandbox.netsuite.render import ref_name
from stripe_netsuite_sandbox.netsuite.store import Body, Store

if TYPE_CHECKING:
    from stripe_netsuite_sandbox.netsuite.account import Account

Row = dict[str, Any]

TYPE_CODES = {
    "invoice": "CustInvc",
    "creditMemo": "CustCred",
    "customerPayment": "CustPymt",
    "customerRefund": "CustRfnd",
    "deposit": "Deposit",
    "journalEntry": "Journal",
    "salesOrder": "SalesOrd",
    "cashSale": "CashSale",
    "cashRefund": "CashRfnd",
    "customerDeposit": "CustDep",
}
ITEM_CODES = {
    "serviceSaleItem": "Service",
    "discountItem": "Discount",
    "nonInventorySaleItem": "NonInvtPart",
    "inventoryItem": "InvtPart",
    "otherChargeSaleItem": "OthCharge",
    "salesTaxItem": "TaxItem",
    "taxGroup": "TaxGroup",
}
TABLES = (
    "customer",
    "transaction",
    "transactionline",
    "transactionaccountingline",
    "item",
    "account",
    "subsidiary",
    "currency",
    "accountingperiod",
)
ACCOUNTING_LINE_COLUMNS = frozenset(
    {
        "transaction",
        "transactionline",
        "accountingbook",
        "account",
        "accounttype",
        "amount",
        "debit",
        "credit",
        "netamount",
        "posting",
        "exchangerate",
        "amountpaid",
        "amountunpaid",
        "paymentamountused",
        "paymentamountunused",
        "postingperiod",
        # Sandbox additions: NetSuite keeps transaction-currency amounts on transactionline.
        "foreignamount",
        "debitforeignamount",
        "creditforeignamount",
    }
)
#: The primary accounting book.
PRIMARY_BOOK = "1"
DATE_COLUMNS = frozenset(
    {
        "trandate",
        "duedate",
        "lastmodifieddate",
        "createddate",
        "datecreated",
        "linelastmodifieddate",
        "startdate",
        "enddate",
        "docdate",
    }
)


def _scalar(value: Any) -> Any:
    if isinstance(value, dict):
        if "items" in value:
            return None
        return value.get("id")
    if isinstance(value, bool):
        return "T" if value else "F"
    return value


def _flatten(body: dict[str, Any]) -> Row:
    return {k.lower(): _scalar(v) for k, v in body.items() if _scalar(v) is not None}


def rows(account: Account, table: str) -> Iterator[Row]:
    store = account.store
    if table in ("customer", "account", "subsidiary", "currency"):
        for body in store.all(table):
            row = _flatten(body)
            if table == "account":
                row["accttype"] = ref_id(body, "acctType")
                row["acctnumber"] = body.get("acctNumber")
                row["fullname"] = body.get("acctName")
                row["accountsearchdisplaynamecopy"] = body.get("acctName")
                display = f"{body.get('acctNumber') or ''} {body.get('acctName') or ''}".strip()
                row["accountsearchdisplayname"] = display
                row["displaynamewithhierarchy"] = display
            yield row
    elif table == "item":
        for rtype, code in ITEM_CODES.items():
            for body in store.all(rtype):
                row = _flatten(body)
                row["itemtype"] = code
                row["fullname"] = body.get("itemId")
                yield row
    elif table == "transaction":
        for rtype, code in TYPE_CODES.items():
            for body in store.all(rtype):
                row = _flatten(body)
                row["type"] = code
                row["recordtype"] = rtype.lower()
                row["posting"] = "F" if rtype in postings.NON_POSTING else "T"
                row["entity"] = ref_id(body, "entity") or ref_id(body, "customer")
                total = body.get("total", body.get("payment"))
                if total is not None:
                    row["foreigntotal"] = total
                if body.get("amountRemaining") is not None:
                    row["foreignamountremaining"] = body["amountRemaining"]
                    row["foreignamountunpaid"] = body["amountRemaining"]
                if body.get("amountPaid") is not None:
                    row["foreignamountpaid"] = body["amountPaid"]
                yield row
    elif table == "transactionline":
        yield from _line_rows(account)
    elif table == "accountingperiod":
        yield from periods.rows(store)
    else:
        yield from _accounting_rows(account)


def _document_lines(rtype: str, body: Body) -> Iterator[tuple[int, Body]]:
    """A transaction's own lines with their transactionline ids, numbered as the GL numbers
    them: item lines by their ``line``, journal lines from 1, a deposit's deposited payments,
    then its other deposits, then its cash back."""
    if rtype == "journalEntry":
        yield from enumerate(lines(body, "line"), start=1)
    elif rtype == "deposit":
        taken = [ln for ln in lines(body, "payment") if ln.get("deposit") is not False]
        rest = [*lines(body, "other"), *lines(body, "cashback")]
        yield from enumerate([*(ln for ln in taken if ln.get("id") is not None), *rest], start=1)
    else:
        for i, line in enumerate(lines(body, "item"), start=1):
            yield int(line.get("line") or i), line


def _line_rows(account: Account) -> Iterator[Row]:
    for rtype, code in TYPE_CODES.items():
        for body in account.store.all(rtype):
            tid = str(body["id"])
            subsidiary = ref_id(body, "subsidiary")
            main: Row = {
                "transaction": tid,
                "id": "0",
                "linesequencenumber": "0",
                "mainline": "T",
                "taxline": "F",
                "entity": ref_id(body, "entity") or ref_id(body, "customer"),
                "foreignamount": body.get("total", body.get("payment")),
                "memo": body.get("memo"),
                "transactiontype": code,
                "subsidiary": subsidiary,
            }
            yield {k: v for k, v in main.items() if v is not None}
            seen = {0}
            for number, line in _document_lines(rtype, body):
                seen.add(number)
                row = _flatten(line)
                row.update(
                    transaction=tid,
                    id=str(number),
                    linesequencenumber=str(number),
                    mainline="F",
                    taxline="F",
                    transactiontype=code,
                )
                if subsidiary:
                    row["subsidiary"] = subsidiary
                amount = line.get("amount", line.get("paymentAmount"))
                if amount is None and (line.get("debit") or line.get("credit")):
                    amount = (line.get("debit") or 0) - (line.get("credit") or 0)
                if amount is not None:
                    row["netamount"] = amount
                    row["foreignamount"] = amount
                yield row
            # Lines only the GL has (tax, receivables of a payment, exchange gain or loss):
            # identity only, their amounts are in transactionaccountingline.
            found = account.gl.impact_of(tid)
            for gl_line in found.lines if found else ():
                if gl_line.line in seen:
                    continue
                seen.add(gl_line.line)
                extra: Row = {
                    "transaction": tid,
                    "id": str(gl_line.line),
                    "linesequencenumber": str(gl_line.line),
                    "mainline": "F",
                    "taxline": "T" if gl_line.kind == "tax" else "F",
                    "transactiontype": code,
                    "subsidiary": subsidiary,
                    "memo": gl_line.memo,
                }
                yield {k: v for k, v in extra.items() if v is not None}


def _accounting_rows(account: Account) -> Iterator[Row]:
    store = account.store
    types = {str(body["id"]): ref_id(body, "acctType") for body in store.all("account")}
    for found in account.gl.impacts():
        body = store.get(found.record_type, found.transaction) or {}
        open_amounts = _open_amounts(store, found, body)
        primary = next((ln.line for ln in found.lines if ln.kind == "receivable"), None)
        for line in found.lines:
            foreign = line.foreign_amount
            row: Row = {
                "transaction": line.transaction,
                "transactionline": str(line.line),
                "accountingbook": PRIMARY_BOOK,
                "account": line.account,
                "accounttype": types.get(line.account),
                "amount": line.amount,
                "netamount": line.amount,
                "debit": line.debit,
                "credit": line.credit,
                "posting": "T" if found.posting else "F",
                "exchangerate": line.exchange_rate,
                "postingperiod": found.period,
                "foreignamount": foreign,
                "debitforeignamount": foreign if foreign > 0 else None,
                "creditforeignamount": -foreign if foreign < 0 else None,
            }
            if line.line == primary:
                row.update(open_amounts)
            yield {k: v for k, v in row.items() if v is not None}


def _open_amounts(store: Store, found: postings.Impact, body: Body) -> Row:
    """What is still open on the receivable line, in the base currency: an invoice's unpaid
    amount, a payment's or credit memo's unapplied amount."""
    rate = body.get("exchangeRate")
    if not isinstance(rate, Decimal) or not found.posting:
        return {}
    digits = precision(store, postings.base_currency(store, body))
    pairs = {
        "invoice": (("amountunpaid", "amountRemaining"), ("amountpaid", "amountPaid")),
        "customerPayment": (("paymentamountunused", "unapplied"), ("paymentamountused", "applied")),
        "creditMemo": (("paymentamountunused", "unapplied"), ("paymentamountused", "applied")),
    }.get(found.record_type, ())
    return {
        column: quantize(body[field] * rate, digits)
        for column, field in pairs
        if isinstance(body.get(field), Decimal)
    }


def columns(account: Account, table: str) -> set[str]:
    dic = account.dic
    names: set[str] = {"id"}
    if table == "item":
        types: tuple[str, ...] = tuple(ITEM_CODES)
        names |= {"itemtype", "fullname"}
    elif table == "transaction":
        types = tuple(TYPE_CODES)
        names |= {
            "type",
            "recordtype",
            "entity",
            "foreigntotal",
            "foreignamountremaining",
            "foreignamountunpaid",
            "foreignamountpaid",
            "posting",
        }
    elif table == "transactionaccountingline":
        return set(ACCOUNTING_LINE_COLUMNS)
    elif table == "accountingperiod":
        return set(periods.COLUMNS)
    elif table == "transactionline":
        names |= {
            "taxline",
            "subsidiary",
            "transaction",
            "linesequencenumber",
            "mainline",
            "entity",
            "foreignamount",
            "netamount",
            "memo",
            "transactiontype",
        }
        for sch in dic.schemas.values():
            if sch.name.endswith(("-itemElement", "-lineElement")):
                names |= {f.lower() for f in sch.fields}
        return names
    else:
        types = (table,)
        if table == "account":
            names |= {
                "fullname",
                "accountsearchdisplayname",
                "accountsearchdisplaynamecopy",
                "displaynamewithhierarchy",
            }
    for rtype in types:
        names |= {f.lower() for f in dic.records[rtype].fields}
    return names


def display(account: Account, column: str, value: Any) -> str | None:
    """BUILTIN.DF: the display name of a referenced record, or the value itself."""
    if value is None:
        return None
    targets = {
        "entity": ("customer",),
        "customer": ("customer",),
        "currency": ("currency",),
        "subsidiary": ("subsidiary",),
        "account": ("account",),
        "item": dictionary.ITEM_TYPES,
        "transaction": dictionary.TRANSACTION_TYPES,
    }.get(column, ())
    for rtype in targets:
        body = account.store.get(rtype, str(value))
        if body is not None:
            return ref_name(rtype, body)
    return str(value)
