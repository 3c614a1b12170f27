"""GameballClient against fake Gameball servers (httpx.MockTransport and one loopback socket).

Backoff sleeps go through an injected recorder (``fakes.py``), so retry tests run instantly and
can assert the exact delays the client chose.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import __version__
from bot.gameball import (
    CustomerAttributes,
    GameballClient,
    NotFound,
    Rejected,
    Skipped,
    Unauthorized,
    Unavailable,
    UpsertCustomerRequest,
)
from bot.gameball.client import CUSTOMERS_PATH, OPTIONAL_SPARE, customer_path
from bot.gameball.limits import CUSTOMER_READS, Pacers, Window
from tests.gameball.fakes import (
    API_KEY,
    BALANCE,
    BASE_URL,
    NASTY_IDS,
    SECRET_KEY,
    Answer,
    ClientFactory,
    FakeGameball,
    SleepRecorder,
    error,
    hang,
)


def full_upsert_request() -> UpsertCustomerRequest:
    return UpsertCustomerRequest(
        customer_id="+201001234567",
        mobile="+201001234567",
        email="mona@example.com",
        customer_attributes=CustomerAttributes(
            display_name="Mona Adel",
            first_name="Mona",
            last_name="Adel",
            mobile="+201001234567",
            email="mona@example.com",
            preferred_language="ar",
            channel="pos",
            custom={"store": "Pop-up Zamalek"},
        ),
    )


def customer_segment(request: httpx.Request, suffix: str) -> str:
    """The raw path segment between ``/customers/`` and ``suffix``, asserting it is just one."""
    raw_path = request.url.raw_path.decode("ascii")
    prefix = CUSTOMERS_PATH + "/"
    assert raw_path.startswith(prefix)
    assert raw_path.endswith(suffix)
    segment = raw_path[len(prefix) : len(raw_path) - len(suffix)]
    assert "/" not in segment
    assert segment not in (".", "..")
    assert request.url.query == b""
    assert request.url.fragment == ""
    return segment


GET_ENDPOINTS = [
    pytest.param(lambda c, i: c.get_balance(i), "/balance", id="balance"),
    pytest.param(lambda c, i: c.get_details(i), "/details", id="details"),
    pytest.param(lambda c, i: c.get_tier_progress(i), "/tier-progress", id="tier-progress"),
]


# --- requests on the wire ---------------------------------------------------------------


@pytest.mark.parametrize(("call", "suffix"), GET_ENDPOINTS)
async def test_get_endpoints_send_get_with_both_keys_to_their_path(
    connect: ClientFactory, call: Any, suffix: str
) -> None:
    gameball = FakeGameball()
    await call(connect(gameball), "cust-42")

    request = gameball.only_request
    assert request.method == "GET"
    assert request.url.raw_path.decode() == f"/api/v4.0/integrations/customers/cust-42{suffix}"
    assert request.url.host == "api.gameball.test"
    assert request.headers["APIKey"] == API_KEY
    assert request.headers["SecretKey"] == SECRET_KEY
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == f"gameball-checkout-bot/{__version__}"
    assert request.content == b""


async def test_balance_is_parsed_from_the_answer(connect: ClientFactory) -> None:
    balance = await connect(FakeGameball()).get_balance("cust-42")

    assert balance.available_points_balance == 1200
    assert balance.available_points_value == 60.0
    assert balance.currency == "USD"


async def test_details_and_tier_progress_are_parsed(connect: ClientFactory) -> None:
    details_body = {"customerId": "c1", "customerAttributes": {"displayName": "Mona"}}
    tiers_body = {"current": {"name": "Basic"}, "next": {"name": "Gold", "minProgress": 190}}
    client = connect(
        FakeGameball(httpx.Response(200, json=details_body), httpx.Response(200, json=tiers_body))
    )

    details = await client.get_details("c1")
    tiers = await client.get_tier_progress("c1")

    assert details.name == "Mona"
    assert tiers.next is not None
    assert tiers.next.min_progress == 190


async def test_tier_progress_sends_lang_header_only_when_given(connect: ClientFactory) -> None:
    gameball = FakeGameball(httpx.Response(200, json={}))
    client = connect(gameball)

    await client.get_tier_progress("c1", lang="ar")
    await client.get_tier_progress("c1")

    with_lang, without_lang = gameball.requests
    assert with_lang.headers["lang"] == "ar"
    assert "lang" not in without_lang.headers


@pytest.mark.parametrize(
    "upsert",
    [
        pytest.param(UpsertCustomerRequest(customer_id="c-1"), id="minimal"),
        pytest.param(full_upsert_request(), id="full"),
    ],
)
async def test_upsert_posts_exactly_the_request_json(
    connect: ClientFactory, upsert: UpsertCustomerRequest
) -> None:
    gameball = FakeGameball(httpx.Response(200, json={"gameballId": 987654}))

    answer = await connect(gameball).upsert_customer(upsert)

    request = gameball.only_request
    assert request.method == "POST"
    assert request.url.raw_path.decode() == "/api/v4.0/integrations/customers"
    assert request.headers["APIKey"] == API_KEY
    assert request.headers["SecretKey"] == SECRET_KEY
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == upsert.to_json()
    assert answer.gameball_id == 987654


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(httpx.Response(200, text=""), id="empty"),
        pytest.param(httpx.Response(200, text="OK"), id="text"),
        pytest.param(httpx.Response(200, json={"customerId": "c-1", "name": "Mona"}), id="guide"),
    ],
)
async def test_upsert_succeeds_on_any_2xx_body(connect: ClientFactory, answer: Any) -> None:
    gameball = FakeGameball(answer)

    response = await connect(gameball).upsert_customer(UpsertCustomerRequest(customer_id="c-1"))

    assert response.gameball_id is None
    assert len(gameball.requests) == 1


async def test_requests_sent_counts_every_attempt(connect: ClientFactory) -> None:
    client = connect(FakeGameball(error(503), httpx.Response(200, json=BALANCE)))

    await client.get_balance("c1")
    await client.get_details("c1")

    assert client.requests_sent == 3


# --- customer IDs are one path segment -------------------------------------------------


@pytest.mark.parametrize("customer_id", NASTY_IDS)
@pytest.mark.parametrize(("call", "suffix"), GET_ENDPOINTS)
async def test_nasty_ids_arrive_as_one_segment(
    connect: ClientFactory, call: Any, suffix: str, customer_id: str
) -> None:
    gameball = FakeGameball()

    await call(connect(gameball), customer_id)

    assert unquote(customer_segment(gameball.only_request, suffix)) == customer_id


@pytest.mark.parametrize(
    ("customer_id", "segment"),
    [
        ("a.b", "a.b"),
        ("Az09-._~", "Az09-._~"),
        ("a b+c@d", "a%20b%2Bc%40d"),
        ("عم", "%D8%B9%D9%85"),
    ],
)
def test_customer_path_encodes_all_but_unreserved_characters(
    customer_id: str, segment: str
) -> None:
    assert customer_path(customer_id, "/balance") == f"{CUSTOMERS_PATH}/{segment}/balance"


@pytest.mark.parametrize("customer_id", [".", "..", "..."])
async def test_an_id_of_dots_only_is_refused_before_any_request(
    connect: ClientFactory, customer_id: str
) -> None:
    """A dot-segment would be resolved by the URL library and reach another endpoint."""
    gameball = FakeGameball()
    client = connect(gameball)

    with pytest.raises(ValueError, match="dots only"):
        await client.get_balance(customer_id)

    assert gameball.requests == []


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.get_balance(""), id="balance"),
        pytest.param(lambda c: c.get_details(""), id="details"),
        pytest.param(lambda c: c.get_tier_progress(""), id="tier-progress"),
        pytest.param(
            lambda c: c.upsert_customer(UpsertCustomerRequest(customer_id="")), id="upsert"
        ),
    ],
)
async def test_empty_id_is_refused_before_any_request(connect: ClientFactory, call: Any) -> None:
    gameball = FakeGameball()
    client = connect(gameball)

    with pytest.raises(ValueError, match="empty"):
        await call(client)

    assert gameball.requests == []
    assert client.requests_sent == 0


@given(customer_id=st.text(min_size=1).filter(lambda text: text.strip(".") != ""))
async def test_any_id_is_one_segment_that_decodes_back(customer_id: str) -> None:
    gameball = FakeGameball()
    async with GameballClient(
        API_KEY, SECRET_KEY, base_url=BASE_URL, transport=httpx.MockTransport(gameball)
    ) as client:
        await client.get_balance(customer_id)

    assert unquote(customer_segment(gameball.only_request, "/balance")) == customer_id


@pytest.mark.parametrize("customer_id", NASTY_IDS)
async def test_real_http_request_line_keeps_the_encoded_segment(customer_id: str) -> None:
    """Through the production HTTP stack (aiohttp), byte for byte as a loopback server gets it."""
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        body = json.dumps(BALANCE).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with (
        server,
        GameballClient(API_KEY, SECRET_KEY, base_url=f"http://127.0.0.1:{port}") as c,
    ):
        balance = await c.get_balance(customer_id)

    assert balance.available_points_balance == 1200
    request_line, *header_lines = heads[0].decode("latin-1").split("\r\n")
    assert request_line == f"GET {customer_path(customer_id, '/balance')} HTTP/1.1"
    headers = {
        name.lower(): value
        for name, value in (line.split(": ", 1) for line in header_lines if line)
    }
    assert (headers["apikey"], headers["secretkey"]) == (API_KEY, SECRET_KEY)


# --- typed errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "error_class", "code"),
    [
        pytest.param(error(404, {"code": 7000, "message": "Invalid customerId"}), NotFound, 7000),
        pytest.param(error(404, {"code": 4004, "type": "GENERAL_ERROR"}), NotFound, 4004),
        pytest.param(
            error(401, {"code": 1000, "type": "AUTHENTICATION_ERROR"}), Unauthorized, 1000
        ),
        pytest.param(error(403, {"code": 1002}), Unauthorized, 1002),
        pytest.param(error(400, {"code": 3000, "message": "Missing arguments"}), Rejected, 3000),
        pytest.param(error(422, {"code": 3003}), Rejected, 3003),
        pytest.param(error(404, text="<h1>Not Found</h1>"), NotFound, None, id="404-html"),
        pytest.param(error(401, text=""), Unauthorized, None, id="401-empty"),
    ],
)
async def test_permanent_errors_are_typed_and_not_retried(
    connect: ClientFactory,
    sleeps: SleepRecorder,
    answer: httpx.Response,
    error_class: type[Exception],
    code: int | None,
) -> None:
    client = connect(FakeGameball(answer))

    with pytest.raises(error_class) as raised:
        await client.get_balance("c1")

    assert getattr(raised.value, "status", None) == answer.status_code
    assert getattr(raised.value, "code", None) == code
    assert client.requests_sent == 1
    assert sleeps.delays == []


async def test_rejected_upsert_carries_gameballs_reason(connect: ClientFactory) -> None:
    reason = "Email already exists"
    client = connect(FakeGameball(error(422, {"code": 3008, "message": reason})))

    with pytest.raises(Rejected) as raised:
        await client.upsert_customer(UpsertCustomerRequest(customer_id="c-1", email="a@b.co"))

    assert raised.value.message == reason
    assert client.requests_sent == 1


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(error(429, {"code": 429}), id="429"),
        pytest.param(error(500, {"code": 5000}), id="500"),
        pytest.param(error(502, text="<html>Bad Gateway</html>"), id="502-html"),
        pytest.param(error(503, {"code": 5003}), id="503"),
        pytest.param(httpx.ReadTimeout("timed out"), id="read-timeout"),
        pytest.param(httpx.ConnectError("connection refused"), id="connect-error"),
        pytest.param(httpx.RemoteProtocolError("peer closed"), id="protocol-error"),
        pytest.param(httpx.Response(200, text="<html>captive portal</html>"), id="200-html"),
        pytest.param(httpx.Response(200, json=[1, 2]), id="200-array"),
        pytest.param(httpx.Response(200, json={"pendingPoints": "lots"}), id="200-wrong-type"),
    ],
)
async def test_transient_faults_become_unavailable_after_all_attempts(
    connect: ClientFactory, answer: Answer
) -> None:
    client = connect(FakeGameball(answer))

    with pytest.raises(Unavailable):
        await client.get_balance("c1")

    assert client.requests_sent == 4


async def test_connection_refused_on_loopback_is_unavailable(connect: ClientFactory) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    client = connect(FakeGameball(), base_url=f"http://127.0.0.1:{port}", transport=None)

    with pytest.raises(Unavailable, match="could not be reached"):
        await client.get_balance("c1")


async def test_errors_and_repr_never_show_keys_or_urls(connect: ClientFactory) -> None:
    client = connect(FakeGameball(httpx.ConnectError(f"failed {BASE_URL}/x")))

    with pytest.raises(Unavailable) as raised:
        await client.get_balance("secret-customer")

    shown = " ".join([str(raised.value), repr(raised.value), repr(client)])
    for secret in (API_KEY, SECRET_KEY, BASE_URL, "secret-customer"):
        assert secret not in shown
    assert raised.value.__cause__ is None


# --- retry budget -----------------------------------------------------------------------


async def test_two_503s_then_success_retries_with_growing_delays(
    connect: ClientFactory, sleeps: SleepRecorder
) -> None:
    client = connect(FakeGameball(error(503), error(503), httpx.Response(200, json=BALANCE)))

    balance = await client.get_balance("c1")

    assert balance.available_points_balance == 1200
    assert client.requests_sent == 3
    assert sleeps.delays == pytest.approx([0.3, 0.6])


async def test_backoff_is_capped_and_jittered(
    connect: ClientFactory, sleeps: SleepRecorder
) -> None:
    client = connect(
        FakeGameball(error(503)), backoff_base=1.0, backoff_cap=1.5, max_attempts=5, rng=lambda: 0.5
    )

    with pytest.raises(Unavailable):
        await client.get_balance("c1")

    assert sleeps.delays == pytest.approx([0.5, 0.75, 0.75, 0.75])


@pytest.mark.parametrize("max_attempts", [1, 2, 6])
async def test_always_503_makes_exactly_max_attempts(
    connect: ClientFactory, sleeps: SleepRecorder, max_attempts: int
) -> None:
    gameball = FakeGameball(error(503, {"code": 5003}))
    client = connect(gameball, max_attempts=max_attempts)

    with pytest.raises(Unavailable) as raised:
        await client.get_balance("c1")

    assert len(gameball.requests) == client.requests_sent == max_attempts
    assert len(sleeps.delays) == max_attempts - 1
    assert raised.value.status == 503


async def test_upsert_is_retried_with_the_same_body(connect: ClientFactory) -> None:
    gameball = FakeGameball(error(502), httpx.Response(200, json={"gameballId": 5}))
    upsert = full_upsert_request()

    answer = await connect(gameball).upsert_customer(upsert)

    assert answer.gameball_id == 5
    first, second = gameball.requests
    assert json.loads(first.content) == json.loads(second.content) == upsert.to_json()


async def test_no_backoff_sleep_reaches_past_the_deadline(
    connect: ClientFactory, sleeps: SleepRecorder
) -> None:
    client = connect(FakeGameball(error(503)), backoff_base=5.0, backoff_cap=5.0, deadline=1.0)

    with pytest.raises(Unavailable):
        await client.get_balance("c1")

    assert client.requests_sent == 1
    assert sleeps.delays == []


async def test_per_call_deadline_overrides_the_default(
    connect: ClientFactory, sleeps: SleepRecorder
) -> None:
    client = connect(FakeGameball(error(503)), backoff_base=2.0, backoff_cap=2.0, deadline=30.0)

    with pytest.raises(Unavailable):
        await client.get_balance("c1", deadline=1.0)
    assert client.requests_sent == 1

    with pytest.raises(Unavailable):
        await client.get_balance("c1")
    assert client.requests_sent == 1 + 4
    assert sleeps.delays == [2.0, 2.0, 2.0]


async def test_hanging_server_gives_up_within_the_deadline(connect: ClientFactory) -> None:
    client = connect(FakeGameball(hang), attempt_timeout=5.0)
    started = time.monotonic()

    with pytest.raises(Unavailable, match="in time"):
        await client.get_details("c1", deadline=0.3)

    assert time.monotonic() - started < 3.0
    assert client.requests_sent == 1


async def test_each_attempt_times_out_on_its_own(connect: ClientFactory) -> None:
    gameball = FakeGameball(hang, hang, httpx.Response(200, json=BALANCE))
    client = connect(gameball, attempt_timeout=0.05, backoff_base=0.01, deadline=5.0)

    balance = await client.get_balance("c1")

    assert balance.currency == "USD"
    assert client.requests_sent == 3


@pytest.mark.parametrize("deadline", [0.0, -1.0])
async def test_a_deadline_that_allows_no_attempt_is_refused(
    connect: ClientFactory, deadline: float
) -> None:
    client = connect(FakeGameball())

    with pytest.raises(ValueError, match="deadline"):
        await client.get_balance("c1", deadline=deadline)
    assert client.requests_sent == 0


# --- logging and lifecycle -------------------------------------------------------------


async def test_debug_log_has_one_masked_line_per_attempt(
    connect: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.gameball")
    client = connect(FakeGameball(error(503), httpx.Response(200, json=BALANCE)))

    await client.get_balance("customer-98765")

    lines = [r.getMessage() for r in caplog.records if r.name == "bot.gameball"]
    assert len(lines) == 2
    assert all("GET balance" in line and "cu…" in line for line in lines)
    assert "status=503" in lines[0]
    assert "status=200" in lines[1]
    everything = caplog.text
    for secret in ("customer-98765", API_KEY, SECRET_KEY):
        assert secret not in everything


async def test_nothing_is_logged_above_debug_on_success_or_failure(
    connect: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.gameball")
    client = connect(FakeGameball(httpx.Response(200, json=BALANCE), error(404, {"code": 7000})))

    await client.get_balance("customer-98765")
    with pytest.raises(NotFound):
        await client.get_balance("customer-98765")

    assert [r for r in caplog.records if r.name == "bot.gameball"] == []


async def test_closing_the_client_closes_its_transport() -> None:
    closed: list[bool] = []

    class RecordingTransport(httpx.MockTransport):
        async def aclose(self) -> None:
            closed.append(True)

    async with GameballClient(
        API_KEY, SECRET_KEY, transport=RecordingTransport(FakeGameball())
    ) as client:
        await client.get_balance("c1")
        assert closed == []

    assert closed == [True]


@pytest.mark.parametrize("setting", ["max_attempts", "deadline", "attempt_timeout"])
def test_unusable_settings_are_refused(setting: str) -> None:
    options: dict[str, Any] = {setting: 0}
    with pytest.raises(ValueError, match=setting):
        GameballClient(API_KEY, SECRET_KEY, **options)


@pytest.mark.parametrize(("api_key", "secret_key"), [("", SECRET_KEY), (API_KEY, "")])
def test_missing_keys_are_refused_without_echoing_the_other(api_key: str, secret_key: str) -> None:
    with pytest.raises(ValueError, match="keys are required") as raised:
        GameballClient(api_key, secret_key)

    assert API_KEY not in str(raised.value)
    assert SECRET_KEY not in str(raised.value)


# --- Gameball's rate limits -------------------------------------------------------------


def rate_limited(retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(429, json={"code": 4290, "message": "slow down"}, headers=headers)


async def test_a_429_is_waited_out_as_long_as_gameball_asks_not_retried_at_once(
    connect: ClientFactory, sleeps: SleepRecorder
) -> None:
    gameball = FakeGameball(rate_limited("2"), httpx.Response(200, json=BALANCE))

    await connect(gameball).get_balance("c1")

    assert len(gameball.requests) == 2
    assert sleeps.delays == [pytest.approx(2.0, abs=0.05)]


async def test_a_429_without_retry_after_holds_back_for_the_shorter_window(
    connect: ClientFactory, sleeps: SleepRecorder
) -> None:
    gameball = FakeGameball(rate_limited(), httpx.Response(200, json=BALANCE))

    await connect(gameball).get_balance("c1")

    assert sleeps.delays == [pytest.approx(1.0, abs=0.05)]


async def test_retry_after_may_be_an_http_date(
    connect: ClientFactory, sleeps: SleepRecorder
) -> None:
    in_three_seconds = time.time() + 3
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(in_three_seconds))
    gameball = FakeGameball(rate_limited(date), httpx.Response(200, json=BALANCE))

    await connect(gameball).get_balance("c1")

    assert sleeps.delays == [pytest.approx(3.0, abs=1.05)]  # the date has whole seconds


async def test_a_429_holds_back_every_caller_of_that_resource(
    connect: ClientFactory, sleeps: SleepRecorder
) -> None:
    gameball = FakeGameball(rate_limited("5"), httpx.Response(200, json=BALANCE))
    client = connect(gameball)

    await client.get_balance("c1")  # 429, then waits 5 s, then answered
    await client.get_details("c2")  # another cashier, a moment later: the hold still stands

    assert [round(delay) for delay in sleeps.delays] == [5, 5]
    assert len(gameball.requests) == 3


async def test_a_cashier_is_not_kept_waiting_past_the_deadline_by_a_429(
    connect: ClientFactory, sleeps: SleepRecorder
) -> None:
    gameball = FakeGameball(rate_limited("30"))
    client = connect(gameball, deadline=10.0)

    with pytest.raises(Unavailable) as raised:
        await client.get_balance("c1")

    assert raised.value.status == 429
    assert len(gameball.requests) == 1
    assert sleeps.delays == []


async def test_an_optional_request_is_left_out_when_the_budget_is_short(
    connect: ClientFactory,
) -> None:
    gameball = FakeGameball()
    client = connect(gameball, pacers=Pacers({CUSTOMER_READS: [Window(10, 60)]}))
    for _ in range(10 - int(10 * OPTIONAL_SPARE)):  # only the spare share is left
        await client.get_balance("c1")

    with pytest.raises(Skipped):
        await client.get_tier_progress("c1", optional=True)

    assert len(gameball.requests) == 8


async def test_an_optional_request_goes_out_when_the_budget_has_room_and_is_not_retried(
    connect: ClientFactory,
) -> None:
    gameball = FakeGameball(error(503, {"code": 5003}))
    client = connect(gameball)

    with pytest.raises(Unavailable):
        await client.get_tier_progress("c1", optional=True)

    assert len(gameball.requests) == 1
