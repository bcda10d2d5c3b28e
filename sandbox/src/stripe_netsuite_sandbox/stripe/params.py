"""Typed reads of decoded request parameters, with Stripe's error wording."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stripe_netsuite_sandbox.stripe import errors

Params = Mapping[str, Any]


def has(params: Params, name: str) -> bool:
    """True when the parameter was sent (even empty)."""
    return name in params


def string(params: Params, name: str, *, required: bool = False) -> str | None:
    """A string parameter; an empty string reads as None."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise errors.missing_param(name)
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str | int | float):
        raise errors.invalid(f"Invalid string: {value!r}", param=name)
    return str(value)


def integer(params: Params, name: str, *, required: bool = False) -> int | None:
    """An integer parameter (minor units, counts, timestamps)."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise errors.missing_param(name)
        return None
    if isinstance(value, bool):
        raise errors.invalid(f"Invalid integer: {value}", param=name)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        raise errors.invalid(f"Invalid integer: {text}", param=name) from None


def boolean(params: Params, name: str, default: bool = False) -> bool:
    """A boolean parameter (`true`/`false`)."""
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in {"true", "1"}:
        return True
    if text in {"false", "0"}:
        return False
    raise errors.invalid(f"Invalid boolean: {value}", param=name)


def mapping(params: Params, name: str) -> dict[str, Any]:
    """A hash parameter (absent → {})."""
    value = params.get(name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise errors.invalid(f"Invalid hash: {name} must be an object", param=name)
    return value


def array(params: Params, name: str) -> list[Any]:
    """An array parameter (absent or empty string → [])."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        return list(value.values())
    if not isinstance(value, list):
        return [value]
    return value


def timestamp(params: Params, name: str, now: int) -> int | None:
    """A unix timestamp, also accepting `now`."""
    if params.get(name) == "now":
        return now
    return integer(params, name)


def currency(params: Params, name: str = "currency", *, required: bool = False) -> str | None:
    """A lower-cased currency code."""
    value = string(params, name, required=required)
    return value.lower() if value else None


def apply_metadata(target: dict[str, Any], params: Params) -> None:
    """`metadata[k]=v` sets, an empty string deletes, `metadata=` clears all."""
    if "metadata" not in params:
        return
    value = params["metadata"]
    meta = target.setdefault("metadata", {})
    if meta is None:
        meta = target["metadata"] = {}
    if value == "" or value is None:
        meta.clear()
        return
    if not isinstance(value, dict):
        raise errors.invalid("Invalid hash: metadata must be an object", param="metadata")
    for key, item in value.items():
        if item == "" or item is None:
            meta.pop(key, None)
        else:
            if len(str(key)) > 40:
                raise errors.invalid(
                    "Metadata keys can have up to 40 characters", param=f"metadata[{key}]"
                )
            meta[str(key)] = str(item)
