"""Check a write body against the field dictionary and turn it into the stored form.

Stored form: canonical field names, references and enums as ``{"id": "..."}``, amounts as
``Decimal``, sublists and multi-selects as ``{"items": [...]}``. Unknown field names follow
``X-NetSuite-PropertyNameValidation`` (default Warning: ignored); wrong types, unknown enum
values and references to records that do not exist are always refused, with ``o:errorPath``.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from stripe_netsuite_sandbox.netsuite import chart, dictionary, errors
from stripe_netsuite_sandbox.netsuite.dictionary import Dictionary, FieldSpec, Schema
from stripe_netsuite_sandbox.netsuite.store import Body, Store

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_IGNORED_TOP = frozenset({"links", "id", "refname"})
NAME_VALIDATION = ("error", "warning", "ignore")
#: Largest magnitude (10**n) a number field takes; NetSuite amounts stop well below it.
_MAX_DIGITS = 15


class Converter:
    """Converts request bodies of one request (it collects name warnings as it goes)."""

    def __init__(self, dic: Dictionary, store: Store, *, name_validation: str = "warning") -> None:
        self.dic = dic
        self.store = store
        self.name_validation = name_validation.lower()
        if self.name_validation not in NAME_VALIDATION:
            raise errors.NetSuiteError(
                400,
                "INVALID_HEADER",
                "Invalid value for header X-NetSuite-PropertyNameValidation: "
                f"{name_validation!r}. Use Error, Warning or Ignore.",
            )
        self.warnings: list[str] = []

    def record(self, rtype: str, body: object) -> Body:
        """The stored form of a record body (top level)."""
        if not isinstance(body, dict):
            raise errors.invalid_request("The request body must be a JSON object.")
        schema = self.dic.records[rtype]
        return self._object(schema, body, "", top=True)

    def _object(self, schema: Schema, body: dict[str, Any], prefix: str, *, top: bool) -> Body:
        out: Body = {}
        for key, value in body.items():
            if top and key.lower() in _IGNORED_TOP:
                continue
            if not top and key == "links":
                continue
            path = f"{prefix}{key}"
            spec = schema.lookup(key)
            if spec is None and top and key in chart.CUSTOM_BODY_FIELDS:
                out[key] = self._custom_date(key, value, path)
                continue
            if spec is None:
                self._unknown(key, path)
                continue
            if spec.read_only:
                continue
            if value is None:
                out[spec.name] = None
                continue
            out[spec.name] = self._value(schema, spec, value, path)
        return out

    def _custom_date(self, key: str, value: Any, path: str) -> str | None:
        # The account's custom date body fields (``chart.CUSTOM_BODY_FIELDS``).
        if value is not None and (not isinstance(value, str) or not _DATE.match(value)):
            raise errors.invalid_value(value, key, path)
        return value

    def _unknown(self, key: str, path: str) -> None:
        if self.name_validation == "error":
            raise errors.NetSuiteError(
                400,
                "NONEXISTENT_FIELD",
                f"Error while accessing a resource. The field {key} does not exist on this record.",
                path,
            )
        if self.name_validation == "warning":
            self.warnings.append(f"Unknown field name: {path}")

    def _value(self, schema: Schema, spec: FieldSpec, value: Any, path: str) -> Any:
        if spec.name in schema.sublists:
            element = self.dic.schemas.get(schema.sublists[spec.name])
            return self._collection(value, path, spec, element)
        if spec.name in schema.multi_selects:
            return self._multi_select(value, path, spec, schema.multi_selects[spec.name])
        kind = spec.type
        if kind == "object":
            return self._object_value(spec, value, path)
        if kind == "string":
            return self._string(spec, value, path)
        if kind == "boolean":
            if not isinstance(value, bool):
                raise _wrong_type(value, spec, path, "a boolean")
            return value
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | Decimal):
                raise _wrong_type(value, spec, path, "a number")
            number = Decimal(value)
            if not number.is_finite() or number.adjusted() > _MAX_DIGITS:
                raise errors.invalid_value(value, spec.name, path)
            return number
        if kind == "integer":
            if isinstance(value, str) and value.lstrip("-").isdigit():
                return int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise _wrong_type(value, spec, path, "an integer")
            return value
        return value

    def _string(self, spec: FieldSpec, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise _wrong_type(value, spec, path, "a string")
        if spec.format == "date":
            if not _DATE.match(value) or not _valid_date(value):
                raise errors.invalid_value(value, spec.name, path)
        elif spec.format == "date-time":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError as exc:
                raise errors.invalid_value(value, spec.name, path) from exc
        return value

    def _collection(
        self, value: Any, path: str, spec: FieldSpec, element: Schema | None
    ) -> dict[str, list[Body]]:
        items = _items_of(value, spec, path)
        lines: list[Body] = []
        for i, line in enumerate(items):
            line_path = f"{path}.items[{i}]"
            if not isinstance(line, dict):
                raise _wrong_type(line, spec, line_path, "an object")
            if element is None:
                lines.append(dict(line))
            else:
                lines.append(self._object(element, line, line_path + ".", top=False))
        return {"items": lines}

    def _multi_select(
        self, value: Any, path: str, spec: FieldSpec, target: str
    ) -> dict[str, list[Body]]:
        items = _items_of(value, spec, path)
        refs = []
        for i, ref in enumerate(items):
            refs.append(self.reference(target, spec.name, ref, f"{path}.items[{i}]"))
        return {"items": refs}

    def _object_value(self, spec: FieldSpec, value: Any, path: str) -> Any:
        if spec.enum is not None:
            return self._enum(spec, value, path)
        if spec.ref is None:
            # Untyped objects (undepFunds): booleans in practice, {"id": "T"} also seen.
            if isinstance(value, bool):
                return value
            if isinstance(value, dict) and "id" in value:
                return str(value["id"]).upper() in {"T", "TRUE"}
            raise _wrong_type(value, spec, path, "a boolean or an object with id")
        if spec.ref in self.dic.schemas:
            if not isinstance(value, dict):
                raise _wrong_type(value, spec, path, "an object")
            return self._object(self.dic.schemas[spec.ref], value, path + ".", top=False)
        return self.reference(spec.ref, spec.name, value, path)

    def _enum(self, spec: FieldSpec, value: Any, path: str) -> dict[str, str]:
        assert spec.enum is not None
        if isinstance(value, dict):
            raw = value.get("id", value.get("refName"))
        else:
            raw = value
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise _wrong_type(value, spec, path, 'an enumeration value such as {"id": "..."}')
        text = str(raw)
        if text not in spec.enum:
            matches = [v for v in spec.enum if v.lower() == text.lower()]
            if not matches:
                raise errors.invalid_value(text, spec.name, path)
            text = matches[0]
        return {"id": text}

    def reference(self, target: str, field_name: str, value: Any, path: str) -> dict[str, str]:
        """Resolve ``{"id"}`` or ``{"externalId"}`` to ``{"id"}``; the target must exist."""
        if isinstance(value, str | int) and not isinstance(value, bool):
            value = {"id": value}
        if not isinstance(value, dict):
            raise errors.invalid_value(value, field_name, path)
        candidates = self._targets(target)
        raw_id = value.get("id")
        external = value.get("externalId")
        if raw_id is not None:
            if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
                raise errors.invalid_value(raw_id, field_name, path)
            rid = str(raw_id)
            if candidates and not any(self.store.get(t, rid) for t in candidates):
                raise errors.invalid_value(rid, field_name, path)
            return {"id": rid}
        if external is not None:
            ext = str(external)
            for t in candidates:
                found = self.store.id_for_external(t, ext)
                if found is not None:
                    return {"id": found}
            if not candidates:
                return {"externalId": ext}
            raise errors.invalid_value(f"eid:{ext}", field_name, path)
        raise errors.invalid_value(value, field_name, path + ".id")

    def _targets(self, target: str) -> tuple[str, ...]:
        """Record types a reference may point at; empty means 'not checked'."""
        lower = target.lower()
        if lower in dictionary.ITEM_REF_ALIASES:
            return dictionary.ITEM_TYPES
        if target == "nsResource":
            return ()
        canonical = self.dic.record_type(target)
        return (canonical,) if canonical else ()


def _items_of(value: Any, spec: FieldSpec, path: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if not isinstance(value, dict) or not isinstance(value.get("items"), list):
        raise _wrong_type(value, spec, path, 'a collection {"items": [...]}')
    items: list[Any] = value["items"]
    return items


def _valid_date(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _wrong_type(value: Any, spec: FieldSpec, path: str, expected: str) -> errors.NetSuiteError:
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return errors.NetSuiteError(
        400,
        "INVALID_CONTENT",
        f"Error while accessing a resource. Invalid value {shown} for field {spec.name}: "
        f"expected {expected}.",
        path,
    )


def revive(dic: Dictionary, rtype: str, body: Body) -> Body:
    """Turn amounts stored as strings back into ``Decimal`` (the inverse of the disk encoding)."""
    schema = dic.records.get(rtype)
    return _revive(dic, schema, body) if schema else body


def _revive(dic: Dictionary, schema: Schema, body: Body) -> Body:
    for key, value in body.items():
        spec = schema.fields.get(key)
        if spec is None or value is None:
            continue
        if key in schema.sublists and isinstance(value, dict):
            element = dic.schemas.get(schema.sublists[key])
            if element is not None:
                for line in value.get("items", []):
                    _revive(dic, element, line)
        elif spec.type == "number" and isinstance(value, str):
            body[key] = Decimal(value)
        elif spec.type == "object" and spec.ref in dic.schemas and isinstance(value, dict):
            _revive(dic, dic.schemas[spec.ref], value)
    return body
