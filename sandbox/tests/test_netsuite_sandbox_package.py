"""The package stands on its own: exported names and the shipped field dictionary."""

from __future__ import annotations

import json
from pathlib import Path

import stripe_netsuite_sandbox.netsuite as package
from stripe_netsuite_sandbox.netsuite import dictionary


def test_exported_names() -> None:
    assert package.__all__ == ["SandboxConfig", "create_app"]
    for name in package.__all__:
        assert getattr(package, name) is not None


def test_dictionary_is_the_copy_shipped_in_the_package() -> None:
    raw = dictionary.load_raw()
    shipped = Path(dictionary.__file__).parent / "data" / "records.json"
    assert raw == json.loads(shipped.read_text(encoding="utf-8"))
    assert "customerPayment" in raw["records"]


def test_dictionary_knows_every_record_type_case_insensitively() -> None:
    dic = dictionary.load()
    assert dic.record_type("CUSTOMERPAYMENT") == "customerPayment"
    assert dic.record_type("paymentmethod") == "paymentMethod"
    assert dic.record_type("spaceship") is None
    field = dic.records["invoice"].lookup("TRANDATE")
    assert field is not None
    assert field.format == "date"
