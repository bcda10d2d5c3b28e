"""`stripe-netsuite-sandbox demo --seed N --once` for a spread of seeds: the whole month,
both directions, and an exit status that says whether the books tie out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stripe_netsuite_sandbox import demo

#: Seeds the generator was not tuned on, spread over the range the seed tests cover.
SEEDS = (2, 19, 33)

LINES = (
    "accounts receivable|sales tax payable|net sales excl\\. tax|customer credit|"
    "Stripe money in transit"
)
TIE_LINE = re.compile(rf"^({LINES})\s+(\S+)\s+(\S+)\s+(\S+)$")


@pytest.mark.parametrize("seed", SEEDS)
def test_the_month_ties_out_in_every_currency(
    seed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = demo.run(
        once=True, scenarios=[], export=None, seed=seed, database_url=None, workdir=tmp_path
    )
    out = capsys.readouterr().out
    tables = re.findall(r"^([A-Z]{3}) line\s+Stripe\s+NetSuite\s+difference$", out, re.M)
    assert {"USD", "EUR", "JPY"} <= set(tables), out
    rows = [TIE_LINE.match(line) for line in out.splitlines()]
    found = [m.groups() for m in rows if m]
    assert len(found) == 5 * len(tables), out
    # Every ledger line: Stripe's figure equals NetSuite's, and the difference is zero.
    for name, stripe_figure, netsuite_figure, difference in found:
        assert stripe_figure == netsuite_figure, (seed, name, out)
        assert difference.strip("0.") == "", (seed, name, out)
    assert "every line ties out" in out
    assert "some payouts do NOT tie out" not in out
    assert status == 0, out
