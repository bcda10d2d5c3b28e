"""Governance and trouble on demand: 429s over the concurrency limit, faults, statistics."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest

from netsuite_helpers import (
    RECORDS,
    TOKEN,
    assertion,
    error_code,
    make_customer,
    open_app,
    public_pem,
    rsa_key,
    token_form,
)
from stripe_netsuite_sandbox.netsuite.governance import ConnectionDropped


async def test_requests_over_the_limit_get_429() -> None:
    _, client = open_app(concurrency=2, latency_ms=300)
    async with client:
        responses = await asyncio.gather(*(client.get(f"{RECORDS}/currency/1") for _ in range(5)))
        codes = Counter(r.status_code for r in responses)
        assert codes == {200: 2, 429: 3}
        throttled = next(r for r in responses if r.status_code == 429)
        assert error_code(throttled) == "CONCURRENCY_LIMIT_EXCEEDED"
        assert throttled.json()["o:errorDetails"][0]["detail"] == (
            "Concurrent request limit exceeded. Request blocked."
        )
        stats = (await client.get("/__sandbox/stats")).json()
        assert stats["throttled"] == 3
        assert stats["max_in_flight"] == 2
        assert stats["in_flight"] == 0
        assert stats["by_status"] == {"200": 2, "429": 3}
        # The slots are free again once the slow requests are done.
        assert (await client.get(f"{RECORDS}/currency/1")).status_code == 200


async def test_stats_count_methods_statuses_and_writes() -> None:
    _, client = open_app()
    async with client:
        customer = await make_customer(client)
        await client.get(f"{RECORDS}/customer/{customer}")
        await client.get(f"{RECORDS}/customer/424242")
        await client.patch(f"{RECORDS}/customer/{customer}", json={"email": "n@x.test"})
        refused = await client.post(RECORDS + "/customer", json={"companyName": "No sub"})
        assert refused.status_code == 400
        stats = (await client.get("/__sandbox/stats")).json()
        assert stats["requests"] == 5
        assert stats["by_method"] == {"POST": 2, "GET": 2, "PATCH": 1}
        assert stats["by_status"] == {"204": 2, "200": 1, "404": 1, "400": 1}
        assert stats["writes"] == 2
        assert stats["faults"] == 0
        reset = await client.post("/__sandbox/stats/reset")
        assert reset.json()["requests"] == 0
        assert (await client.get("/__sandbox/stats")).json()["writes"] == 0


async def _faulty_posts(seed: int, count: int) -> tuple[Counter[str], dict[str, object]]:
    _, client = open_app(fault_rate=1.0, seed=seed, hang_seconds=0.01)
    outcomes: Counter[str] = Counter()
    async with client:
        for i in range(count):
            try:
                response = await client.post(
                    RECORDS + "/customer",
                    json={"companyName": f"F{i}", "subsidiary": {"id": "2"}, "externalId": f"f{i}"},
                )
            except ConnectionDropped:
                outcomes["dropped"] += 1
                continue
            assert response.status_code == 500
            assert error_code(response) == "UNEXPECTED_ERROR"
            assert "Error ID: " in response.json()["o:errorDetails"][0]["detail"]
            outcomes["500"] += 1
        stats = (await client.get("/__sandbox/stats")).json()
        export = (await client.get("/__sandbox/records")).json()
    stats["written"] = len(export.get("customer", []))
    return outcomes, stats


async def test_fault_injection_covers_every_kind() -> None:
    outcomes, stats = await _faulty_posts(seed=7, count=40)
    kinds = stats["faults_by_kind"]
    assert isinstance(kinds, dict)
    assert set(kinds) == {"error", "hang", "drop", "lost"}
    assert stats["faults"] == 40
    # Only "written, then the answer lost" applies the write.
    assert stats["written"] == kinds["lost"]
    assert stats["writes"] == kinds["lost"]
    assert outcomes["500"] + outcomes["dropped"] == 40
    assert outcomes["dropped"] >= kinds["drop"]
    assert outcomes["500"] >= kinds["error"] + kinds["hang"]


async def test_faults_are_reproducible_by_seed() -> None:
    first, _ = await _faulty_posts(seed=3, count=12)
    again, _ = await _faulty_posts(seed=3, count=12)
    assert first == again


async def test_sandbox_and_token_paths_never_fault() -> None:
    key = rsa_key()
    _, client = open_app(fault_rate=1.0, auth_required=True, public_key_pem=public_pem(key))
    async with client:
        for _ in range(5):
            token = await client.post(TOKEN, data=token_form(assertion(key)))
            assert token.status_code == 200
            assert (await client.get("/__sandbox/stats")).status_code == 200


async def test_governance_limits_endpoint_and_unknown_paths() -> None:
    _, client = open_app(concurrency=7)
    async with client:
        limits = (await client.get("/services/rest/system/v1/governanceLimits")).json()
        assert limits["accountConcurrencyLimit"] == 7
        unknown = await client.get("/services/rest/nothing/here")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].endswith("type=error")


def test_injected_drops_stay_out_of_the_server_log(caplog: pytest.LogCaptureFixture) -> None:
    open_app()  # installs the filter
    logger = logging.getLogger("uvicorn.error")
    with caplog.at_level(logging.ERROR, logger="uvicorn.error"):
        logger.error("dropped", exc_info=ConnectionDropped("on purpose"))
        logger.error("real trouble", exc_info=RuntimeError("boom"))
    assert [r.getMessage() for r in caplog.records] == ["real trouble"]
