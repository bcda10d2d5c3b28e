"""Replay Stripe CLI trigger fixtures (`{"fixtures": [{name, path, method, params}]}`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from stripe_netsuite_sandbox.stripe import forms

_REF = re.compile(r"\$\{([^}]+)\}")

#: The Stripe CLI trigger fixtures shipped with the sandbox (see ``data/README.md``).
FIXTURES = Path(__file__).parent / "data" / "cli-triggers"


class TriggerError(Exception):
    """A fixture step failed or referred to something that does not exist."""


def _lookup(results: dict[str, Any], name: str, path: str) -> Any:
    if name not in results:
        raise TriggerError(f"reference to unknown fixture {name!r} (known: {sorted(results)})")
    node: Any = results[name]
    for part in path.split(".") if path else []:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise TriggerError(f"fixture {name!r} has no field {path!r}")
    return node


def _resolve(token: str, results: dict[str, Any]) -> Any:
    expr, _, default = token.partition("|")
    if expr == "time-now-RFC3339":
        return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if expr == "generate-uuid":
        return str(uuid.uuid4())
    name, sep, path = expr.partition(":")
    if not sep:
        raise TriggerError(f"malformed reference ${{{token}}}")
    if name == ".env":
        value = os.environ.get(path)
        if value is None:
            if default:
                return default
            raise TriggerError(f"environment variable {path} is not set (needed by ${{{token}}})")
        return value
    try:
        return _lookup(results, name, path)
    except TriggerError:
        if default:
            return default
        raise


def substitute(value: Any, results: dict[str, Any]) -> Any:
    """Replace `${name:field.path}` references in *value* (recursively)."""
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole:
            return _resolve(whole.group(1), results)
        return _REF.sub(lambda m: str(_resolve(m.group(1), results)), value)
    if isinstance(value, dict):
        return {k: substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, results) for v in value]
    return value


def replay(
    fixture_file: str | os.PathLike[str],
    *,
    api_base: str,
    api_key: str,
    client: httpx.Client | None = None,
) -> dict[str, object]:
    """Run every request of a trigger file in order; returns each response by fixture name.

    A step with `expected_error_type` must fail with that error type; any other failure
    raises `TriggerError` naming the file and the step.
    """
    path = Path(fixture_file)
    spec = json.loads(path.read_text("utf-8"))
    results: dict[str, Any] = {}
    own = client is None
    http = client or httpx.Client(timeout=30.0)
    try:
        for i, step in enumerate(spec.get("fixtures", [])):
            name = step.get("name") or f"step{i}"
            try:
                url_path = substitute(step["path"], results)
                body = substitute(step.get("params") or {}, results)
            except TriggerError as exc:
                raise TriggerError(f"{path.name} step {name!r}: {exc}") from None
            method = str(step.get("method", "get")).upper()
            headers = {"Authorization": f"Bearer {api_key}", **(step.get("headers") or {})}
            if step.get("idempotency_key"):
                headers["Idempotency-Key"] = str(step["idempotency_key"])
            pairs = forms.encode(body)
            url = api_base.rstrip("/") + url_path
            if method in {"GET", "DELETE"}:
                query: list[tuple[str, str | int | float | bool | None]] = list(pairs)
                resp = http.request(method, url, params=query, headers=headers)
            else:
                resp = http.request(
                    method,
                    url,
                    content=urlencode(pairs),
                    headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
                )
            payload = resp.json()
            expected = step.get("expected_error_type")
            if expected:
                got = (payload.get("error") or {}).get("type") if resp.is_error else None
                if got != expected:
                    raise TriggerError(
                        f"{path.name} step {name!r}: expected a {expected} error, got "
                        f"HTTP {resp.status_code} {json.dumps(payload)[:300]}"
                    )
            elif resp.is_error:
                raise TriggerError(
                    f"{path.name} step {name!r}: {method} {url_path} failed with HTTP "
                    f"{resp.status_code}: {json.dumps(payload)[:500]}"
                )
            results[name] = payload
    finally:
        if own:
            http.close()
    return results
