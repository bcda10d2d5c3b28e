"""The web app answers webhooks and health only: no status API, no OpenAPI schema or docs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from stripe_netsuite.settings import parse_config
from stripe_netsuite.store import db
from stripe_netsuite.web.app import create_app

CONFIG = {
    "accounts": {
        "main": {
            "stripe_account_id": "acct_1",
            "stripe_api_key": "sk_test_1",
            "stripe_webhook_secret": "whsec_routes",
            "netsuite": {"account_id": "1234567_SB1"},
        }
    }
}


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    database = db.make_database(f"sqlite:///{tmp_path / 'sns.db'}")
    db.migrate(database)
    app = create_app(config=parse_config(CONFIG), database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engine") as client:
        yield client
    database.dispose()


@pytest.mark.parametrize(
    "path", ["/api/status", "/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"]
)
async def test_the_path_is_not_found(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 404
    assert "jobs" not in response.text and "openapi" not in response.text


async def test_health_still_answers(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
