"""JSON in and out with exact amounts: numbers parse to ``Decimal`` and render without floats."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from stripe_netsuite_sandbox.netsuite import errors


def loads(raw: bytes) -> Any:
    """Parse a request body; malformed JSON is NetSuite's INVALID_REQUEST."""
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.invalid_request(f"Invalid JSON body: {exc}.") from exc


_dump_str = json.JSONEncoder(ensure_ascii=False).encode


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_dump_str(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Decimal):
        text = format(value, "f")
        out.append(text if "." in text else text + ".0")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(_dump_str(str(key)))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot render {type(value).__name__} as JSON")


def dumps(value: Any) -> bytes:
    """Render *value* as JSON; ``Decimal`` becomes a JSON number written digit for digit."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode()
