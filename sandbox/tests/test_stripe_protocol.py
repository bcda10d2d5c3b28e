"""Wire protocol: form encoding, auth, errors, idempotency, pagination, expand, metadata."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from stripe_helpers import KEY, Served, serve
from stripe_netsuite_sandbox.stripe import errors, forms


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve()


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("a", "1")], {"a": "1"}),
        ([("a[b][c]", "x")], {"a": {"b": {"c": "x"}}}),
        (
            [("items[0][price]", "p1"), ("items[1][price]", "p2")],
            {"items": [{"price": "p1"}, {"price": "p2"}]},
        ),
        ([("expand[]", "a"), ("expand[]", "b.c")], {"expand": ["a", "b.c"]}),
        ([("metadata[k]", "")], {"metadata": {"k": ""}}),
    ],
)
def test_decode_nests_form_pairs(pairs: list[tuple[str, str]], expected: object) -> None:
    assert forms.decode(pairs) == expected


def test_encode_round_trips_through_decode() -> None:
    params = {"items": [{"price": "p", "quantity": 2}], "confirm": True, "meta": {"a": "b"}}
    pairs = forms.encode(params)
    assert ("items[0][quantity]", "2") in pairs
    assert ("confirm", "true") in pairs
    assert forms.decode(pairs) == {
        "items": [{"price": "p", "quantity": "2"}],
        "confirm": "true",
        "meta": {"a": "b"},
    }


def test_decode_rejects_mixed_shapes_with_the_key_named() -> None:
    with pytest.raises(errors.StripeError) as info:
        forms.decode([("a[]", "1"), ("a[b]", "2")])
    assert "a[b]" in info.value.message


def test_missing_api_key_is_401(served: Served) -> None:
    resp = served.http.get("/v1/customers", headers={"Authorization": ""})
    assert resp.status_code == 401
    assert "You did not provide an API key" in resp.json()["error"]["message"]


def test_wrong_api_key_is_401_with_a_masked_key(served: Served) -> None:
    resp = served.http.get(
        "/v1/customers", headers={"Authorization": "Bearer sk_test_wrongwrong1234"}
    )
    assert resp.status_code == 401
    body = resp.json()["error"]
    assert body["type"] == "invalid_request_error"
    assert body["message"].endswith("1234") and "wrongwrong" not in body["message"]


def test_basic_auth_is_accepted(served: Served) -> None:
    import httpx

    resp = httpx.get(served.url + "/v1/customers", auth=(KEY, ""))
    assert resp.status_code == 200
    assert resp.json()["object"] == "list"


def test_unknown_id_is_404_resource_missing(served: Served) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        served.client.v1.customers.retrieve("cus_nope")
    assert info.value.http_status == 404
    assert info.value.code == "resource_missing"
    assert "No such customer: 'cus_nope'" in str(info.value.user_message)


def test_missing_param_names_it(served: Served) -> None:
    resp = served.http.post("/v1/payment_intents", data={"currency": "usd"})
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["param"] == "amount" and err["code"] == "parameter_missing"


def test_bad_integer_names_the_param(served: Served) -> None:
    resp = served.http.post("/v1/payment_intents", data={"amount": "ten", "currency": "usd"})
    assert resp.json()["error"] == {
        **resp.json()["error"],
        "param": "amount",
        "message": "Invalid integer: ten",
    }


def test_unknown_url_is_404(served: Served) -> None:
    resp = served.http.get("/v1/nothing_here")
    assert resp.status_code == 404
    assert "Unrecognized request URL" in resp.json()["error"]["message"]


def test_stripe_version_header_is_accepted(served: Served) -> None:
    resp = served.http.get("/v1/balance", headers={"Stripe-Version": "2026-10-28.endive"})
    assert resp.status_code == 200
    assert resp.headers["Stripe-Version"] == "2026-10-28.endive"


def test_idempotency_key_replays_the_first_response(served: Served) -> None:
    opts: dict[str, str] = {"idempotency_key": "idem-cus-1"}
    first = served.client.v1.customers.create(params={"email": "i@x.io"}, options=opts)  # type: ignore[arg-type]
    again = served.client.v1.customers.create(params={"email": "i@x.io"}, options=opts)  # type: ignore[arg-type]
    assert first.id == again.id
    listed = served.client.v1.customers.list(params={"email": "i@x.io"})
    assert [c.id for c in listed.data] == [first.id]


def test_idempotency_key_with_other_params_is_an_idempotency_error(served: Served) -> None:
    served.http.post("/v1/customers", data={"email": "a@x.io"}, headers={"Idempotency-Key": "k2"})
    resp = served.http.post(
        "/v1/customers", data={"email": "b@x.io"}, headers={"Idempotency-Key": "k2"}
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["type"] == "idempotency_error"


def test_metadata_set_update_and_delete(served: Served) -> None:
    cus = served.client.v1.customers.create(params={"metadata": {"a": "1", "b": "2"}})
    cus = served.client.v1.customers.update(cus.id, params={"metadata": {"a": "", "c": "3"}})
    assert cus.metadata is not None and cus.metadata.to_dict() == {"b": "2", "c": "3"}
    updated = served.events("customer.updated")[0]
    # Only the changed keys, with their old values (None for a key that is new).
    assert updated["data"]["previous_attributes"]["metadata"] == {"a": "1", "c": None}


def test_pagination_walks_every_object_once(served: Served) -> None:
    made = [served.client.v1.products.create(params={"name": f"page-{i}"}).id for i in range(7)]
    first = served.client.v1.products.list(params={"limit": 3})
    assert first.has_more and len(first.data) == 3 and first.url == "/v1/products"
    walked = [p.id for p in served.client.v1.products.list(params={"limit": 3}).auto_paging_iter()]
    assert set(made) <= set(walked) and len(walked) == len(set(walked))
    newest_first = list(reversed(made))
    assert walked[:7] == newest_first
    before = served.client.v1.products.list(params={"limit": 2, "ending_before": made[2]})
    assert [p.id for p in before.data] == [made[4], made[3]]


def test_limit_out_of_range_is_rejected(served: Served) -> None:
    resp = served.http.get("/v1/customers", params={"limit": 101})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "limit"


def test_expand_nested_on_lists(served: Served) -> None:
    pi = served.client.v1.payment_intents.create(
        params={
            "amount": 1234,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    charges = served.client.v1.charges.list(
        params={"payment_intent": pi.id, "expand": ["data.balance_transaction"]}
    )
    bt = charges.data[0].balance_transaction
    assert isinstance(bt, stripe.BalanceTransaction)
    assert bt.amount == 1234
    single = served.client.v1.payment_intents.retrieve(
        pi.id, params={"expand": ["latest_charge.balance_transaction"]}
    )
    assert single.latest_charge.balance_transaction.net == bt.net  # type: ignore[union-attr]


def test_search_customers_by_email_and_metadata(served: Served) -> None:
    cus = served.client.v1.customers.create(
        params={"email": "find@me.io", "metadata": {"ns_id": "42"}}
    )
    hits = served.client.v1.customers.search(params={"query": "email:'find@me.io'"})
    assert [c.id for c in hits.data] == [cus.id]
    hits = served.client.v1.customers.search(params={"query": "metadata['ns_id']:'42'"})
    assert [c.id for c in hits.data] == [cus.id]


def test_deleted_customer_retrieves_as_deleted(served: Served) -> None:
    cus = served.client.v1.customers.create(params={"name": "gone"})
    served.client.v1.customers.delete(cus.id)
    again = served.http.get(f"/v1/customers/{cus.id}").json()
    assert again == {"id": cus.id, "object": "customer", "deleted": True}
    assert served.events("customer.deleted")[0]["data"]["object"]["id"] == cus.id


def test_account_reports_configured_id(served: Served) -> None:
    assert served.http.get("/v1/account").json()["id"] == "acct_sandbox"


def test_search_products_and_payment_intents(served: Served) -> None:
    prod = served.client.v1.products.create(params={"name": "Searchable Widget"})
    hits = served.client.v1.products.search(params={"query": "name~'searchable'"})
    assert [p.id for p in hits.data] == [prod.id]
    bad = served.http.get("/v1/products/search", params={"query": "name is nice"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "query"


def test_sandbox_advance_accepts_json(served: Served) -> None:
    before = served.http.get("/__sandbox/clock").json()["now"]
    resp = served.http.post("/__sandbox/advance", json={"seconds": 60})
    assert resp.status_code == 200 and resp.json()["now"] == before + 60


def test_sandbox_endpoints_need_the_key(served: Served) -> None:
    resp = served.http.post(
        "/__sandbox/advance", data={"seconds": 1}, headers={"Authorization": "Bearer nope"}
    )
    assert resp.status_code == 401


@pytest.mark.parametrize(
    ("setting", "status", "retry"),
    [("rate_limit_rate", 429, "false"), ("server_error_rate", 500, "true")],
)
def test_injected_faults_change_nothing(setting: str, status: int, retry: str) -> None:
    for faulty in serve(**{setting: 1.0}):
        resp = faulty.http.post("/v1/customers", data={"email": "fault@x.io"})
        assert resp.status_code == status
        assert resp.headers["Stripe-Should-Retry"] == retry
        assert faulty.sandbox.store.all_of("customer") == []
        assert faulty.http.get("/__sandbox/clock").status_code == 200


@pytest.mark.parametrize(
    ("path", "data", "param"),
    [
        ("/v1/subscriptions", {"customer": "cus_x", "items[0]": "oops"}, "customer"),
        ("/v1/customers", {"coupon[a]": "b"}, "coupon"),
        ("/v1/events", None, "created[gte]"),
    ],
)
def test_malformed_input_is_a_400_naming_the_param(
    served: Served, path: str, data: dict[str, str] | None, param: str
) -> None:
    if data is None:
        resp = served.http.get(path, params={"created[gte]": ""})
    else:
        resp = served.http.post(path, data=data)
    assert resp.status_code in {400, 404}
    assert resp.json()["error"]["param"] == param


def test_subscription_items_must_be_objects(served: Served) -> None:
    cus = served.client.v1.customers.create(params={"email": "items@x.io"})
    resp = served.http.post("/v1/subscriptions", data={"customer": cus.id, "items[0]": "oops"})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "items[0]"
