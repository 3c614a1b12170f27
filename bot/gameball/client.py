"""Async client for the Gameball v4.0 customer endpoints the bot uses.

One :class:`GameballClient` owns one client of the bot's HTTP stack (``bot.http``) for the life
of the process: pooled keep-alive connections, so an existing customer costs a single round trip
at the till; ``HTTPS_PROXY``/``NO_PROXY`` from the environment; and no automatic resending of a
``POST`` whose connection dropped (only the retry policy below decides). Transient faults
(429, 5xx, timeouts, network errors, garbage from a proxy) are retried with capped, jittered
exponential backoff, but never past the caller's deadline: a cashier waiting at the till gets
an answer or a clear failure within a bounded time. Everything else surfaces at once as a
typed error from ``errors.py``.

Every attempt first waits for its turn under Gameball's rate limits (``limits.py``), so the
bot's own traffic never draws a 429. One that comes anyway (the shop's website shares the
account) holds every caller of that resource back for the ``Retry-After`` Gameball sent, or a
second, instead of retrying into it; a cashier waits for that only while the deadline allows.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from bot import __version__
from bot.gameball.errors import Skipped, Unavailable, error_for_status
from bot.gameball.limits import (
    CUSTOMER_READS,
    CUSTOMER_WRITES,
    ORDERS,
    TRANSACTIONS,
    Pacer,
    Pacers,
)
from bot.gameball.models import (
    CustomerBalance,
    CustomerDetails,
    HoldDetails,
    HoldPlaced,
    HoldReleased,
    HoldRequest,
    OrderRequest,
    OrderResponse,
    OrderTransactions,
    OtpRequest,
    OtpSent,
    RefundRequest,
    RefundResponse,
    RewardPreview,
    RewardPreviewRequest,
    TierProgress,
    UpsertCustomerRequest,
    UpsertCustomerResponse,
)
from bot.http import pooled_client, transport_for

logger = logging.getLogger("bot.gameball")

CUSTOMERS_PATH = "/api/v4.0/integrations/customers"
ORDERS_PATH = "/api/v4.0/integrations/orders"
REWARD_PREVIEW_PATH = f"{ORDERS_PATH}/reward-preview"
TRANSACTIONS_PATH = "/api/v4.0/integrations/transactions"
REFUND_PATH = f"{TRANSACTIONS_PATH}/refund"
HOLD_PATH = f"{TRANSACTIONS_PATH}/hold"
OTP_PATH = f"{TRANSACTIONS_PATH}/otp"
USER_AGENT = f"gameball-checkout-bot/{__version__}"
#: Three calls for each of 200 cashiers asking at the same moment (the benchmark's largest rush).
MAX_CONNECTIONS = 600
#: A 429 without ``Retry-After`` holds the resource back this long: its shorter window's length.
RATE_LIMITED_PAUSE = 1.0
#: An optional request goes out only if this share of every window would still be free, so the
#: next cashiers' needed requests never wait for it.
OPTIONAL_SPARE = 0.2

ResponseModel = TypeVar("ResponseModel", bound=BaseModel)


class _Body(Protocol):
    """A request body: a customer's, serialised as Gameball expects it."""

    @property
    def customer_id(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...


def customer_path(customer_id: str, suffix: str = "") -> str:
    """The path of a customer resource, with the ID as exactly one percent-encoded segment.

    Every character outside RFC 3986's unreserved set is encoded (as UTF-8), so no ID, however
    hostile (``../x``, ``a/b``, ``x?y``), can address another endpoint or smuggle a query.
    """
    return f"{CUSTOMERS_PATH}/{_path_segment(customer_id)}{suffix}"


def order_path(order_id: str, suffix: str = "") -> str:
    """The path of an order resource, the order ID encoded as one segment like a customer ID."""
    return f"{ORDERS_PATH}/{_path_segment(order_id)}{suffix}"


def hold_path(reference: str) -> str:
    """The path of one points hold, its reference encoded as one segment like a customer ID."""
    return f"{HOLD_PATH}/{_path_segment(reference)}"


def _path_segment(identifier: str) -> str:
    """Encode one ID as one path segment.

    An ID of dots only (``.``, ``..``) is refused: it is a dot-segment, which URL libraries
    (aiohttp's yarl among them) and proxies resolve even when percent-encoded, so it would
    address another endpoint. The chat layer never lets staff type one.
    """
    if not identifier:
        raise ValueError("an ID in a path must not be empty")
    if not identifier.strip("."):
        raise ValueError("an ID of dots only cannot be sent as a path segment")
    return quote(identifier, safe="")


def _masked(customer_id: str) -> str:
    """Enough of an ID to correlate DEBUG lines, never enough to identify the customer."""
    return customer_id[:2] + "…" if len(customer_id) > 4 else "…"


class GameballClient:
    """Gameball v4.0: balance, details, tier progress, the upsert, orders, holds, refunds.

    Both keys are sent on every request (harmless where only ``APIKey`` is needed, required
    when the account enables High Security Mode) and are kept only inside the HTTP client's
    default headers, so neither this object's repr nor any error message can reveal them.
    """

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        *,
        base_url: str = "https://api.gameball.co",
        transport: httpx.AsyncBaseTransport | None = None,
        deadline: float = 10.0,
        max_attempts: int = 4,
        backoff_base: float = 0.3,
        backoff_cap: float = 3.0,
        attempt_timeout: float = 5.0,
        max_connections: int = MAX_CONNECTIONS,
        pacers: Pacers | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if not api_key or not secret_key:
            raise ValueError("both Gameball keys are required")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if attempt_timeout <= 0:
            raise ValueError("attempt_timeout must be positive")
        self._deadline = _checked_deadline(deadline)
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._attempt_timeout = attempt_timeout
        self._sleep = sleep
        self._rng = rng
        self._pacers = pacers or Pacers(sleep=sleep)
        self.requests_sent = 0  # HTTP attempts handed to the transport, retries included
        self._host = httpx.URL(base_url).host
        self._http = pooled_client(
            max_connections,
            transport,
            base_url=base_url.rstrip("/"),
            headers={
                "APIKey": api_key,
                "SecretKey": secret_key,
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=attempt_timeout,
        )
        self._transport = transport_for(self._http, self._http.base_url)

    def __repr__(self) -> str:
        return f"GameballClient(host={self._host!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def has_room(self, resource: str, count: int) -> bool:
        """Whether ``count`` more requests to ``resource`` would go out now, without waiting."""
        return self._pacers[resource].has_room(count)

    async def get_balance(
        self, customer_id: str, *, deadline: float | None = None
    ) -> CustomerBalance:
        """The customer's points; raises :class:`NotFound` when the customer does not exist."""
        request = self._request("GET", customer_path(customer_id, "/balance"))
        return await self._call(
            request, "balance", customer_id, CustomerBalance, deadline, resource=CUSTOMER_READS
        )

    async def get_details(
        self, customer_id: str, *, deadline: float | None = None
    ) -> CustomerDetails:
        """The customer's profile (name, contacts) as Gameball holds it."""
        request = self._request("GET", customer_path(customer_id, "/details"))
        return await self._call(
            request, "details", customer_id, CustomerDetails, deadline, resource=CUSTOMER_READS
        )

    async def get_tier_progress(
        self,
        customer_id: str,
        *,
        lang: str | None = None,
        deadline: float | None = None,
        optional: bool = False,
    ) -> TierProgress:
        """Current and next tier; ``lang`` asks Gameball for tier names in that language.

        ``optional``: asked only if Gameball's budget has room to spare right now (else
        :class:`Skipped`), and not retried: a card can do without it.
        """
        request = self._request(
            "GET",
            customer_path(customer_id, "/tier-progress"),
            headers={"lang": lang} if lang else {},
        )
        return await self._call(
            request,
            "tier-progress",
            customer_id,
            TierProgress,
            deadline,
            resource=CUSTOMER_READS,
            optional=optional,
        )

    async def upsert_customer(
        self, request: UpsertCustomerRequest, *, deadline: float | None = None
    ) -> UpsertCustomerResponse:
        """Create or update the customer. Safe to retry: Gameball keys the upsert on the ID.

        Gameball documents two different success bodies for this call, so any 2xx counts as
        success; ``gameballId`` is read when the body has it.
        """
        if not request.customer_id:
            raise ValueError("customer ID must not be empty")
        return await self._post(
            CUSTOMERS_PATH,
            request,
            "upsert",
            UpsertCustomerResponse,
            deadline,
            resource=CUSTOMER_WRITES,
            body_required=False,
        )

    async def preview_order(
        self, request: RewardPreviewRequest, *, deadline: float | None = None
    ) -> RewardPreview:
        """What the order would earn the customer. Records nothing, so it is safe to retry."""
        return await self._post(
            REWARD_PREVIEW_PATH, request, "reward-preview", RewardPreview, deadline, resource=ORDERS
        )

    async def track_order(
        self, request: OrderRequest, *, deadline: float | None = None
    ) -> OrderResponse:
        """Record the purchase (Gameball's "Track Order").

        Never resent after an answer that may have been lost (a timeout, a dropped connection,
        a 5xx): Gameball may have recorded the order, and only the caller can ask
        (:meth:`order_transactions`) before sending it again. Any 2xx counts: the guides show
        another body than the spec, and the order exists either way.
        """
        return await self._post(
            ORDERS_PATH, request, "order", OrderResponse, deadline, resource=ORDERS, once=True
        )

    async def order_transactions(
        self, order_id: str, *, deadline: float | None = None
    ) -> OrderTransactions:
        """What Gameball recorded for one order (its reward, its reversal); a read."""
        http_request = self._request("GET", order_path(order_id, "/transactions"))
        return await self._call(
            http_request,
            "order-transactions",
            order_id,
            OrderTransactions,
            deadline,
            resource=ORDERS,
        )

    async def refund(
        self, request: RefundRequest, *, deadline: float | None = None
    ) -> RefundResponse:
        """Reverse an order; never resent after a lost answer, like :meth:`track_order`."""
        return await self._post(
            REFUND_PATH,
            request,
            "refund",
            RefundResponse,
            deadline,
            resource=TRANSACTIONS,
            once=True,
        )

    async def hold_points(
        self, request: HoldRequest, *, deadline: float | None = None
    ) -> HoldPlaced:
        """Hold the customer's points for the purchase about to be recorded.

        Never resent after an answer that may have been lost: Gameball keys a hold on nothing
        the bot chooses, so a second request would hold the points twice. A hold whose answer
        was lost is released by Gameball when it expires.
        """
        return await self._post(
            HOLD_PATH, request, "hold", HoldPlaced, deadline, resource=TRANSACTIONS, once=True
        )

    async def hold_details(self, reference: str, *, deadline: float | None = None) -> HoldDetails:
        """A hold's state (active, used, expired) and when it expires; a read."""
        request = self._request("GET", hold_path(reference))
        return await self._call(
            request, "hold-details", reference, HoldDetails, deadline, resource=TRANSACTIONS
        )

    async def release_hold(self, reference: str, *, deadline: float | None = None) -> HoldReleased:
        """Give the held points back. Safe to repeat: a hold released already is 9006."""
        request = self._request("DELETE", hold_path(reference))
        return await self._call(
            request,
            "release-hold",
            reference,
            HoldReleased,
            deadline,
            resource=TRANSACTIONS,
            body_required=False,
        )

    async def send_otp(self, request: OtpRequest, *, deadline: float | None = None) -> OtpSent:
        """Ask Gameball to text the customer a one-time code; not resent (one text is enough)."""
        return await self._post(
            OTP_PATH, request, "otp", OtpSent, deadline, resource=TRANSACTIONS, once=True
        )

    async def _post(
        self,
        path: str,
        request: _Body,
        endpoint: str,
        model: type[ResponseModel],
        deadline: float | None,
        *,
        resource: str,
        body_required: bool = True,
        once: bool = False,
    ) -> ResponseModel:
        """POST ``request`` as JSON through :meth:`_call`.

        ``once``: a write Gameball must not get twice (an order, a refund): any 2xx counts, and
        it is not resent after an answer that may have been lost.
        """
        http_request = self._request("POST", path, json=request.to_json())
        return await self._call(
            http_request,
            endpoint,
            request.customer_id,
            model,
            deadline,
            resource=resource,
            body_required=body_required and not once,
            resend=not once,
        )

    def _request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, json: Any = None
    ) -> httpx.Request:
        """A request on the client's base URL, with its keys and timeouts."""
        return self._http.build_request(method, path, headers=headers, json=json)

    async def _call(
        self,
        request: httpx.Request,
        endpoint: str,
        customer_id: str,
        model: type[ResponseModel],
        deadline: float | None,
        *,
        resource: str,
        optional: bool = False,
        body_required: bool = True,
        resend: bool = True,
    ) -> ResponseModel:
        """Send ``request`` until it succeeds, fails for good, or the retry budget runs out.

        Each attempt waits for its turn under ``resource``'s limits first; an ``optional``
        request is sent once, and only when the budget has room to spare. Without ``resend``
        a failed attempt is repeated only after a 429, which proves Gameball did nothing.
        """
        give_up_at = time.monotonic() + (
            self._deadline if deadline is None else _checked_deadline(deadline)
        )
        pacer = self._pacers[resource]
        attempts = 1 if optional else self._max_attempts
        attempt = 1
        while True:
            await self._take_turn(pacer, give_up_at, optional=optional)
            try:
                response = await self._send_once(request, endpoint, customer_id, give_up_at)
                return _parse(response, model, body_required=body_required)
            except Unavailable as error:
                delay = self._retry_delay(error, attempt)
                rate_limited = error.status == 429
                if rate_limited:
                    logger.warning("Gameball answered 429: holding back for %.1f s", delay)
                    pacer.hold_off(delay)  # waited out in the pacer, by every caller alike
                if not (resend or rate_limited) or attempt >= attempts:
                    raise
                if time.monotonic() + delay >= give_up_at:
                    raise
            if not rate_limited:
                await self._sleep(delay)
            attempt += 1

    async def _take_turn(self, pacer: Pacer, give_up_at: float, *, optional: bool) -> None:
        """Wait until the rate limits admit one more request, but never past ``give_up_at``."""
        if optional:
            if not pacer.try_acquire(spare=OPTIONAL_SPARE):
                raise Skipped("left out: Gameball's request budget is needed elsewhere")
            return
        remaining = give_up_at - time.monotonic()
        if pacer.seconds_until_free() >= remaining:
            raise Unavailable("Gameball asked the bot to slow down", status=429)
        try:
            async with asyncio.timeout(remaining):
                await pacer.acquire()
        except TimeoutError:
            raise Unavailable("Gameball's request budget is used up for now") from None

    async def _send_once(
        self, request: httpx.Request, endpoint: str, customer_id: str, give_up_at: float
    ) -> httpx.Response:
        """One HTTP attempt, cut off at ``attempt_timeout`` or the overall deadline."""
        budget = min(self._attempt_timeout, give_up_at - time.monotonic())
        started = time.monotonic()
        self.requests_sent += 1
        outcome = "interrupted"
        try:
            async with asyncio.timeout(budget):
                response = await self._transport.handle_async_request(request)
                try:
                    await response.aread()
                finally:
                    await response.aclose()
        except TimeoutError:
            outcome = "timeout"
            raise Unavailable("Gameball did not answer in time") from None
        except httpx.RequestError as error:
            # The httpx error holds the request (keys in its headers): keep only its kind.
            outcome = type(error).__name__
            raise Unavailable(f"Gameball could not be reached ({outcome})") from None
        else:
            outcome = str(response.status_code)
            return response
        finally:
            logger.debug(
                "%s %s customer=%s status=%s elapsed_ms=%.0f",
                request.method,
                endpoint,
                _masked(customer_id),
                outcome,
                (time.monotonic() - started) * 1000,
            )

    def _retry_delay(self, error: Unavailable, attempt: int) -> float:
        """How long to wait before attempt ``attempt + 1``.

        A 429 waits what Gameball asked for, or the length of its shorter window; anything else
        gets full-jitter exponential backoff.
        """
        if error.status == 429:
            return error.retry_after if error.retry_after is not None else RATE_LIMITED_PAUSE
        return self._rng() * min(self._backoff_cap, self._backoff_base * 2.0 ** (attempt - 1))


def _checked_deadline(deadline: float) -> float:
    """Refuse a budget that could not cover even one attempt, rather than fail mysteriously."""
    if deadline <= 0:
        raise ValueError("deadline must be positive")
    return deadline


def _parse(
    response: httpx.Response, model: type[ResponseModel], *, body_required: bool
) -> ResponseModel:
    """Turn an answer into the model, or into the typed error it stands for.

    A 2xx whose body is not a JSON object of the documented shape is treated as transient
    (:class:`Unavailable`): it is what a misbehaving proxy or gateway produces, and showing a
    card built from it would mislead the cashier. With ``body_required=False`` the status alone
    decides success and an unusable body reads as an empty model.
    """
    body = _json_or_none(response)
    if not response.is_success:
        raise error_for_status(response.status_code, body, retry_after=_retry_after(response))
    if isinstance(body, dict):
        try:
            return model.model_validate(body)
        except ValidationError:
            pass
    if body_required:
        raise Unavailable("Gameball sent an unreadable answer", status=response.status_code)
    return model.model_validate({})


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (it may be a number or an HTTP date), when it is usable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
