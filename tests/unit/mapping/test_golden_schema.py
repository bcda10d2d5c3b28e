"""Every golden body uses only fields the NetSuite dictionary has, with the right types."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from mapping_support import golden_files, schema_problems


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: p.stem)
def test_golden_body_matches_dictionary(path: Path) -> None:
    records = json.loads(path.read_text(encoding="utf-8"))
    assert records, f"{path.name} holds no record"
    for record in records:
        problems = schema_problems(record["record_type"], record["body"], amounts_as_strings=True)
        assert problems == [], f"{path.name} {record['role']}"


def test_golden_files_exist() -> None:
    assert len(golden_files()) >= 3


@pytest.mark.parametrize(
    ("record_type", "body", "problem"),
    [
        ("customer", {"nope": 1}, "customer.nope: no such field"),
        ("customer", {"isPerson": "yes"}, "customer.isPerson: expected a boolean"),
        ("invoice", {"tranDate": "1/2/2026"}, "invoice.tranDate: expected a YYYY-MM-DD date"),
        ("invoice", {"item": {"items": [{"amount": 1.5}]}}, "invoice.item[0].amount: expected"),
        ("invoice", {"item": {"items": [{"bogus": "x"}]}}, "invoice.item[0].bogus: no such"),
        ("invoice", {"item": [{"amount": Decimal(1)}]}, "invoice.item: a sublist must be"),
        ("customer", {"subsidiary": "1"}, "customer.subsidiary: expected a reference"),
        ("customerPayment", {"undepFunds": {"id": "T"}}, "undepFunds: expected bool"),
        ("spaceship", {}, "spaceship: unknown record type"),
    ],
)  # fmt: skip
def test_checker_catches_bad_bodies(
    record_type: str, body: dict[str, object], problem: str
) -> None:
    problems = schema_problems(record_type, body)
    assert len(problems) == 1
    assert problem in problems[0]


def test_checker_accepts_custom_fields_and_amount_strings() -> None:
    assert schema_problems("customer", {"custentity_tier": "gold"}) == []
    body = {"item": {"items": [{"amount": "1.50"}]}}
    assert schema_problems("invoice", body, amounts_as_strings=True) == []
    assert schema_problems("invoice", body) != []
