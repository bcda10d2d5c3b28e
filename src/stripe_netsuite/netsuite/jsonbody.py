"""JSON for NetSuite bodies: `Decimal` goes on the wire exactly, never through float."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any


def dumps(value: Any) -> str:
    """Serialize *value*; a `Decimal` is written as the JSON number it spells."""
    return "".join(_encode(value, "$"))


def loads(text: str | bytes) -> Any:
    """Parse a NetSuite answer; every non-integer number becomes a `Decimal`."""
    return json.loads(text, parse_float=Decimal)


def _encode(value: Any, where: str) -> list[str]:
    if value is None or isinstance(value, bool | int | str):
        return [json.dumps(value)]
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{where}: {value} is not a finite number and cannot be sent")
        return [str(value)]
    if isinstance(value, float):
        return [json.dumps(value, allow_nan=False)]
    if isinstance(value, Mapping):
        out = ["{"]
        for i, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"{where}: object key {key!r} is not a string")
            out += [("," if i else "") + json.dumps(key) + ":", *_encode(item, f"{where}.{key}")]
        return [*out, "}"]
    if isinstance(value, Sequence):
        out = ["["]
        for i, item in enumerate(value):
            out += ["," if i else "", *_encode(item, f"{where}[{i}]")]
        return [*out, "]"]
    raise TypeError(f"{where}: {type(value).__name__} cannot be sent to NetSuite as JSON")
