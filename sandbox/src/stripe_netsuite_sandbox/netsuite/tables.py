"""The tables SuiteQL reads: rows built from stored records, and the columns each one has."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from stripe_netsuite_sandbox.netsuite import dictionary
from stripe_netsuite_sandbox.netsuite.ledger import lines, ref_id
from stripe_netsuite_sandbox.netsuite.render import ref_name

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
TABLES = ("customer", "transaction", "transactionline", "item", "account", "subsidiary", "currency")
DATE_COLUMNS = {
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
    else:
        yield from _line_rows(account)


def _line_rows(account: Account) -> Iterator[Row]:
    for rtype, code in TYPE_CODES.items():
        for body in account.store.all(rtype):
            tid = str(body["id"])
            main: Row = {
                "transaction": tid,
                "id": "0",
                "linesequencenumber": "0",
                "mainline": "T",
                "entity": ref_id(body, "entity") or ref_id(body, "customer"),
                "foreignamount": body.get("total", body.get("payment")),
                "memo": body.get("memo"),
                "transactiontype": code,
            }
            yield {k: v for k, v in main.items() if v is not None}
            sublist = {"journalEntry": "line", "deposit": "other"}.get(rtype, "item")
            for i, line in enumerate(lines(body, sublist), start=1):
                row = _flatten(line)
                row.update(
                    transaction=tid,
                    id=str(i),
                    linesequencenumber=str(i),
                    mainline="F",
                    transactiontype=code,
                )
                amount = line.get("amount")
                if amount is None and (line.get("debit") or line.get("credit")):
                    amount = (line.get("debit") or 0) - (line.get("credit") or 0)
                if amount is not None:
                    row["netamount"] = amount
                    row["foreignamount"] = amount
                yield row


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
        }
    elif table == "transactionline":
        names |= {
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
            names |= {"fullname"}
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
    }.get(column, ())
    for rtype in targets:
        body = account.store.get(rtype, str(value))
        if body is not None:
            return ref_name(rtype, body)
    return str(value)
