"""The sandbox account: records, their writes (create, upsert, patch, delete) and derived state.

HTTP stays in ``app``; this module speaks stored bodies and raises ``NetSuiteError``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime

from stripe_netsuite_sandbox.netsuite import (
    chart,
    dictionary,
    errors,
    gl,
    periods,
    rules,
    validation,
)
from stripe_netsuite_sandbox.netsuite.dictionary import Dictionary
from stripe_netsuite_sandbox.netsuite.ledger import CUSTOMER_FIELD, Context, Ledger, lines, ref_id
from stripe_netsuite_sandbox.netsuite.store import Body, Store

#: Sublists whose lines are matched on PATCH by a key; all others are appended to.
_LINE_KEYS: dict[str, Callable[[Body], str | None]] = {
    "apply": lambda line: ref_id(line, "doc"),
    "credit": lambda line: ref_id(line, "doc"),
    "deposit": lambda line: ref_id(line, "doc"),
    "currencyList": lambda line: ref_id(line, "currency"),
    "addressBook": lambda line: str(line["addressId"]) if line.get("addressId") else None,
}


def _deposit_payment_key(line: Body) -> str | None:
    return str(line["id"]) if line.get("id") is not None else None


_TRANSFORMS: dict[str, tuple[str, ...]] = {
    "salesOrder": ("invoice", "cashSale"),
    "invoice": ("customerPayment", "creditMemo"),
    "customer": ("invoice", "salesOrder", "cashSale", "customerPayment", "creditMemo"),
}
_COPIED_LINE_FIELDS = frozenset(
    {"item", "quantity", "rate", "amount", "description", "taxCode", "price", "tax1Amt"}
)
_SYSTEM_FIELDS = ("lastModifiedDate", "createdDate", "dateCreated")


def now_iso(clock: Callable[[], datetime]) -> str:
    return clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Account:
    """Every record of one sandbox account and the rules that guard them."""

    def __init__(
        self,
        *,
        db_path: str | None,
        on_write: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        period_years: tuple[int, int] = (periods.FIRST_YEAR, periods.LAST_YEAR),
    ) -> None:
        self.dic: Dictionary = dictionary.load()
        self.store = Store(
            db_path=db_path,
            first_id=chart.FIRST_ID,
            revive=lambda rtype, body: validation.revive(self.dic, rtype, body),
        )
        self.ledger = Ledger()
        self.gl = gl.GeneralLedger()
        self.clock = clock
        self.on_write = on_write
        # Chart records missing from a saved file (an older chart) are added; others are kept.
        for rtype, body in [*chart.records(), *periods.records(*period_years)]:
            if self.store.get(rtype, str(body["id"])) is None:
                self.store.save(rtype, body)
        self.ledger.rebuild(self.store)
        self.gl.rebuild(self.store, self.ledger)

    def record_type(self, name: str) -> str:
        rtype = self.dic.record_type(name)
        if rtype is None:
            raise errors.NetSuiteError(
                404,
                "INVALID_REQUEST",
                f"Record type '{name}' does not exist or is not available through REST.",
            )
        return rtype

    def find(self, rtype: str, key: str) -> Body | None:
        """A record by internal id or ``eid:externalId``."""
        if key.startswith("eid:"):
            rid = self.store.id_for_external(rtype, key[4:])
            return self.store.get(rtype, rid) if rid else None
        return self.store.get(rtype, key)

    def get(self, rtype: str, key: str) -> Body:
        body = self.find(rtype, key)
        if body is None:
            raise errors.not_found()
        return body

    def converter(self, name_validation: str) -> validation.Converter:
        return validation.Converter(self.dic, self.store, name_validation=name_validation)

    def _context(self) -> Context:
        return Context(self.store, self.ledger, self.clock().date().isoformat())

    # -- writes ------------------------------------------------------------------------------

    def create(self, rtype: str, body: Body) -> str:
        """POST: a new record; an externalId already taken is refused."""
        ext = body.get("externalId")
        if ext is not None and self.store.id_for_external(rtype, str(ext)) is not None:
            raise errors.user_error("This entity already exists.")
        rid = self.store.allocate_id()
        try:
            self._save(rtype, {**_clean(body), "id": rid}, None)
        except errors.NetSuiteError:
            if self.store.next_id == int(rid) + 1:
                self.store.next_id -= 1
            raise
        return rid

    def upsert(
        self, rtype: str, external_id: str, body: Body, replace: frozenset[str] = frozenset()
    ) -> str:
        """PUT eid:...: create the record, or update the one with that externalId.

        An update is a PATCH: fields merge, ``null`` clears, and sublists are appended to
        (or matched by key) unless named in *replace*.
        """
        rid = self.store.id_for_external(rtype, external_id)
        if rid is None:
            return self.create(rtype, {**_clean(body), "externalId": external_id})
        old = self.store.get(rtype, rid)
        assert old is not None
        patch = {**_clean(body, keep_null=True), "externalId": external_id}
        self._save(rtype, self._merge(rtype, old, patch, replace), old)
        return rid

    def patch(
        self, rtype: str, key: str, patch: Body, replace: frozenset[str] = frozenset()
    ) -> str:
        """PATCH: merge fields, null clears, sublists appended or matched by key."""
        old = self.get(rtype, key)
        ext = patch.get("externalId")
        if ext is not None:
            holder = self.store.id_for_external(rtype, str(ext))
            if holder is not None and holder != old["id"]:
                raise errors.user_error("This entity already exists.")
        merged = self._merge(rtype, old, _clean(patch, keep_null=True), replace)
        self._save(rtype, merged, old)
        return str(old["id"])

    def transform(self, source_type: str, source: Body, target: str, overrides: Body) -> str:
        """``!transform``: a new record of *target* type started from *source*."""
        allowed = _TRANSFORMS.get(source_type, ())
        if target not in allowed:
            raise errors.invalid_request(
                f"Transformation of {source_type} into {target} is not supported."
            )
        sid = str(source["id"])
        customer = (
            {"id": sid}
            if source_type == "customer"
            else source.get(CUSTOMER_FIELD.get(source_type, "entity"))
        )
        base: Body = {CUSTOMER_FIELD[target]: copy.deepcopy(customer)}
        for name in ("currency", "subsidiary"):
            if source.get(name) is not None and source_type != "customer":
                base[name] = copy.deepcopy(source[name])
        if target in rules.ITEM_LINE_TYPES and source_type != "customer":
            base["item"] = {
                "items": [
                    {k: copy.deepcopy(v) for k, v in line.items() if k in _COPIED_LINE_FIELDS}
                    for line in lines(source, "item")
                ]
            }
        if source_type == "salesOrder":
            base["createdFrom"] = {"id": sid}
        if source_type == "invoice":
            apply_line: Body = {"doc": {"id": sid}, "apply": True}
            if target == "customerPayment":
                apply_line["amount"] = source.get("amountRemaining")
                base["payment"] = source.get("amountRemaining")
            base["apply"] = {"items": [apply_line]}
            base["createdFrom"] = {"id": sid}
        schema = self.dic.records[target]
        base = {k: v for k, v in base.items() if k in schema.fields}
        base.update(overrides)
        return self.create(target, base)

    def delete(self, rtype: str, key: str) -> None:
        body = self.get(rtype, key)
        rid = str(body["id"])
        periods.check_delete(self.store, rtype, body)
        if (
            self.ledger.appliers_of(rid)
            or rid in self.ledger.deposited_in
            or (rtype == "customer" and self._has_transactions(rid))
        ):
            raise errors.user_error(
                "This record cannot be deleted because it has dependent records."
            )
        touched = self.ledger.targets_of(rid) | self.ledger.payments_of(rid)
        self.store.delete(rtype, rid)
        self.ledger.forget(rtype, rid)
        self.gl.forget(rid)
        self._refresh(touched)
        self.on_write()

    def _has_transactions(self, customer_id: str) -> bool:
        for rtype, field_name in CUSTOMER_FIELD.items():
            for body in self.store.all(rtype):
                if ref_id(body, field_name) == customer_id:
                    return True
        return False

    def sublist_names(self, rtype: str, names: str | None) -> frozenset[str]:
        """The canonical sublist names of a ``replace`` query parameter; others are refused."""
        schema = self.dic.records[rtype]
        found = set()
        for name in (names or "").split(","):
            name = name.strip()
            if not name:
                continue
            spec = schema.lookup(name)
            if spec is None or spec.name not in schema.sublists:
                raise errors.NetSuiteError(
                    400,
                    "INVALID_PARAMETER",
                    f"Invalid query parameter replace. '{name}' is not a sublist of {rtype}.",
                )
            found.add(spec.name)
        return frozenset(found)

    def _merge(self, rtype: str, old: Body, patch: Body, replace: frozenset[str]) -> Body:
        schema = self.dic.records[rtype]
        merged = copy.deepcopy(old)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
                continue
            if key not in schema.sublists:
                merged[key] = value
                continue
            new_lines = lines(patch, key)
            if rtype == "deposit" and key == "payment":
                key_of: Callable[[Body], str | None] | None = _deposit_payment_key
            else:
                key_of = _LINE_KEYS.get(key)
            kept = [] if key in replace and key_of is None else lines(merged, key)
            if key_of is None:
                merged[key] = {"items": kept + new_lines}
                continue
            by_key = {key_of(line): line for line in kept}
            result = [] if key in replace else list(kept)
            for line in new_lines:
                match = by_key.get(key_of(line))
                if match is not None:
                    match.update(line)
                    if key in replace:
                        result.append(match)
                else:
                    result.append(line)
            merged[key] = {"items": result}
        return merged

    def _save(self, rtype: str, body: Body, old: Body | None) -> None:
        ctx = self._context()
        touched = rules.prepare(ctx, rtype, body)
        holder = self.ledger.deposited_in.get(str(body["id"]))
        if old is not None and holder is not None:
            for name in ("payment", "total", "currency"):
                if old.get(name) != body.get(name):
                    raise errors.user_error(
                        f"This transaction is in deposit {holder}; its {name} cannot change.",
                        name,
                    )
        stamp = now_iso(self.clock)
        schema = self.dic.records[rtype]
        created_field = next(
            (f for f in ("createdDate", "dateCreated") if f in schema.fields), None
        )
        if old is not None:
            for name in _SYSTEM_FIELDS:
                if name in old:
                    body[name] = old[name]
            if body == old:
                return
        elif created_field:
            body[created_field] = stamp
        if "lastModifiedDate" in schema.fields or rtype in dictionary.EXTRA_TYPES:
            body["lastModifiedDate"] = stamp
        if rtype in dictionary.TRANSACTION_TYPES:
            periods.check(self.store, rtype, body, old)
        self.store.save(rtype, body)
        if rtype in dictionary.TRANSACTION_TYPES:
            self.ledger.record(rtype, body)
            self.gl.post(self.store, self.ledger, rtype, body)
        touched.discard(str(body["id"]))
        self._refresh(touched)
        self.on_write()

    def _refresh(self, ids: set[str]) -> None:
        if not ids:
            return
        ctx = self._context()
        stamp = now_iso(self.clock)
        for rid in ids:
            rtype = self.ledger.tx_types.get(rid)
            current = self.store.get(rtype, rid) if rtype else None
            if current is None or rtype is None:
                continue
            body = copy.deepcopy(current)
            rules.derive(ctx, rtype, body)
            if body != current:
                body["lastModifiedDate"] = stamp
                self.store.save(rtype, body)

    def all_records(self) -> dict[str, list[Body]]:
        return {rtype: list(self.store.all(rtype)) for rtype in self.store.types()}


def _clean(body: Body, *, keep_null: bool = False) -> Body:
    """Drop system fields a client cannot set (and nulls, except on PATCH where they clear)."""
    return {
        k: v
        for k, v in body.items()
        if k not in _SYSTEM_FIELDS and k != "id" and (keep_null or v is not None)
    }
