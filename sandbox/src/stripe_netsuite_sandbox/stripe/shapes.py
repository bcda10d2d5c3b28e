"""Object skeletons taken from the OpenAPI fixtures, so every object carries Stripe's keys."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

Obj = dict[str, Any]


@cache
def fixtures() -> dict[str, Obj]:
    """The `resources` map of `fixtures3.json` (one example object per resource)."""
    text = resources.files(__package__).joinpath("data/fixtures3.json").read_text("utf-8")
    data: dict[str, Obj] = json.loads(text)["resources"]
    return data


def _blank(key: str, value: Any) -> Any:
    if key == "object" or key == "livemode":
        return value if key == "object" else False
    if key == "metadata":
        return {}
    if isinstance(value, list):
        return []
    if isinstance(value, dict) and value.get("object") == "list":
        return {"object": "list", "data": [], "has_more": False, "url": value.get("url")}
    if isinstance(value, bool):
        return False
    return None


def skeleton(resource: str, **values: Any) -> Obj:
    """Every top-level key of the fixture, blanked, then *values* applied."""
    example = fixtures()[resource]
    obj = {k: _blank(k, v) for k, v in example.items()}
    obj.update(values)
    return obj


def nested(resource: str, key: str, **values: Any) -> Any:
    """A copy of the fixture's nested value at *key* with scalar leaves blanked."""
    value = copy.deepcopy(fixtures()[resource][key])
    if isinstance(value, dict):
        blanked = {k: (None if not isinstance(v, dict | list) else v) for k, v in value.items()}
        blanked.update(values)
        return blanked
    return value


def deleted(obj: Obj) -> Obj:
    """The stub Stripe returns for a deleted object."""
    return {"id": obj["id"], "object": obj["object"], "deleted": True}
