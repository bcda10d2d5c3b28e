"""The NetSuite poll's queries and cursor, and the signed push's verification."""

from __future__ import annotations

import json

import pytest

from stripe_netsuite import exceptions
from stripe_netsuite.flows import netsuite_match
from stripe_netsuite.netsuite import changes, push
from stripe_netsuite.netsuite.changes import Change
from stripe_netsuite.settings import FromNetSuite


def test_the_poll_starts_an_overlap_before_the_cursor() -> None:
    assert changes.start("2026-10-05 10:00:00", overlap_seconds=300, sync_start=None) == (
        "2026-10-05 09:55:00"
    )
    assert changes.start(None, overlap_seconds=300, sync_start=None) == changes.BEGINNING
    assert changes.start(None, overlap_seconds=0, sync_start="2026-09-01") == "2026-09-01 00:00:00"


def test_the_cursor_keeps_the_latest_stamp_and_never_moves_back() -> None:
    seen = [Change("invoice", "1", "2026-10-05 09:58:00"), Change("invoice", "2", "push:x")]
    assert changes.cursor_after("2026-10-05 10:00:00", seen) == "2026-10-05 10:00:00"
    assert changes.cursor_after("2026-10-05 09:00:00", seen) == "2026-10-05 09:58:00"
    assert changes.cursor_after(None, []) is None


def test_queries_follow_the_rules() -> None:
    rules = FromNetSuite(invoice_rule_where="subsidiary = 2")
    q = changes.query("invoice", "2026-10-05 09:55:00", rules)
    assert q == (
        "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS lm,"
        " status, foreigntotal, foreignamountremaining FROM transaction"
        " WHERE type = 'CustInvc' AND custbody_sns_send_to_stripe = 'T' AND (subsidiary = 2)"
        " AND lastmodifieddate >= TO_TIMESTAMP('2026-10-05 09:55:00', 'YYYY-MM-DD HH24:MI:SS')"
        " ORDER BY id"
    )
    assert "type = 'CustCred' AND custbody_sns_refund_in_stripe = 'T'" in changes.query(
        "creditMemo", changes.BEGINNING, rules
    )
    with pytest.raises(exceptions.ConfigError):
        changes.query("invoice", changes.BEGINNING, FromNetSuite(invoice_rule_field="x = 1 --"))
    with pytest.raises(ValueError):
        changes.query("invoice", "yesterday", rules)


BODY = json.dumps({"id": "d-9", "records": [{"type": "invoice", "id": "1042"}]}).encode()


def test_a_signed_push_names_its_records() -> None:
    header = push.sign(BODY, "s3cret", 1_790_000_000)
    found = push.verify(BODY, header, "s3cret", now=1_790_000_010)
    assert found == [Change("invoice", "1042", "push:d-9")]
    assert found[0].event_id == "ns:invoice:1042:push:d-9"


def test_a_signature_tells_two_writes_of_one_second_apart() -> None:
    read = Change("invoice", "7", "2026-10-05 09:00:00", signature="abc123")
    assert read.mark == "2026-10-05 09:00:00|abc123"
    assert read.event_id == "ns:invoice:7:2026-10-05 09:00:00|abc123"
    assert changes.state_of({"status": "B", "foreigntotal": "5.00"}) == "B|5.00|"
    assert changes.state_of({"id": "7", "lm": "x"}) == ""


def test_a_customer_is_signed_by_what_goes_to_stripe() -> None:
    # An email changed in the same second as the engine's own write-back signs differently.
    before = {"companyname": "Orchid", "email": "old@orchid.example", "phone": "1"}
    after = {**before, "email": "ap@orchid.example"}
    assert changes.state_of(before, "customer") != changes.state_of(after, "customer")
    assert changes.state_of(before, "customer").count("|") == 5
    assert "email" in changes.query("customer", "2026-10-05 09:00:00", FromNetSuite())


@pytest.mark.parametrize(
    ("body", "header", "reason"),
    [
        (BODY, None, "missing"),
        (BODY, "t=1790000000", "malformed"),
        (BODY, push.sign(BODY, "other", 1_790_000_000), "does not match"),
        (BODY, push.sign(BODY, "s3cret", 1_789_000_000), "tolerance"),
        (b'{"id": "d", "records": [{"type": "journalEntry", "id": "1"}]}', "sign", "followed"),
        (b'{"id": "d", "records": [{"type": "invoice", "id": "1 OR 1=1"}]}', "sign", "followed"),
        (b'{"records": [{"type": "invoice", "id": "1"}]}', "sign", "delivery id"),
        (b"[]", "sign", "delivery id"),
    ],
)
def test_a_push_that_fails_verification_is_refused(
    body: bytes, header: str | None, reason: str
) -> None:
    if header == "sign":
        header = push.sign(body, "s3cret", 1_790_000_000)
    with pytest.raises(push.PushRejected, match=reason):
        push.verify(body, header, "s3cret", now=1_790_000_000)
    with pytest.raises(push.PushRejected, match="off"):
        push.verify(BODY, push.sign(BODY, "", 1), "", now=1)


@pytest.mark.parametrize(
    ("charge", "where", "found"),
    [
        ({"metadata": {"netsuite_invoice_number": "INV1042"}}, "metadata", ["INV1042"]),
        ({"metadata": {"netsuite_invoice_number": "x' OR '1'='1"}}, "metadata", []),
        ({"metadata": {}}, "metadata", []),
        ({"description": "Payment of invoice INV1042, thanks"}, "description", ["INV1042"]),
        ({"description": "Pay INV-7 and INV-8"}, "description", ["INV-7", "INV-8"]),
        ({"description": "no number here"}, "description", []),
        ({"description": "INV1042"}, "off", []),
    ],
)
def test_auto_match_reads_invoice_numbers_where_told(
    charge: dict[str, object], where: str, found: list[str]
) -> None:
    assert netsuite_match.numbers_named(charge, where=where, key="netsuite_invoice_number") == found
