"""The public names of the mapping package."""

from __future__ import annotations

import stripe_netsuite.mapping as mapping


def test_all_names_exist_and_are_exported() -> None:
    for name in mapping.__all__:
        assert hasattr(mapping, name), name
    public = {n for n in vars(mapping) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(mapping, n)).__name__ == "module"}
    assert public - modules - {"annotations"} == set(mapping.__all__)
