"""Stripe's form encoding: `a[b][0][c]=v` pairs ↔ nested dicts and lists."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from stripe_netsuite_sandbox.stripe import errors

_TOKEN = re.compile(r"\[([^\]]*)\]")


def _split(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    parts = [head]
    if rest:
        parts.extend(_TOKEN.findall("[" + rest))
    return parts


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        fixed = {k: _listify(v) for k, v in node.items()}
        if fixed and all(k.isdigit() for k in fixed):
            return [fixed[k] for k in sorted(fixed, key=int)]
        return fixed
    if isinstance(node, list):
        return [_listify(v) for v in node]
    return node


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest form pairs; numeric keys and `[]` become lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = _split(key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":
                if not isinstance(node, list):
                    raise errors.invalid(f"Invalid array parameter: {key}", param=key)
                if last:
                    node.append(value)
                    break
                node.append({})
                node = node[-1]
                continue
            if isinstance(node, list):
                raise errors.invalid(f"Invalid parameter: {key}", param=key)
            if last:
                node[part] = value
                break
            nxt = parts[i + 1]
            if part not in node or not isinstance(node[part], dict | list):
                node[part] = [] if nxt == "" else {}
            node = node[part]
    return _listify(root)  # type: ignore[no-any-return]


def encode(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested params the way Stripe's clients do."""
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        out.extend(_encode_value(name, value))
    return out


def _encode_value(name: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        return encode(value, name)
    if isinstance(value, list | tuple):
        out: list[tuple[str, str]] = []
        for i, item in enumerate(value):
            out.extend(_encode_value(f"{name}[{i}]", item))
        return out
    if value is None:
        return [(name, "")]
    if isinstance(value, bool):
        return [(name, "true" if value else "false")]
    return [(name, str(value))]
