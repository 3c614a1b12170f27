"""An in-memory emulator of the Gameball v4.0 endpoints the bot uses.

One :meth:`Sandbox.respond` implements the API; the loopback HTTP server calls it directly, the
in-process transport (console, tests) through :meth:`Sandbox.handle`, its httpx form, so every
front end sees identical behaviour. Choices made where Gameball's documentation is silent (see
GAMEBALL.md):

* Both ``APIKey`` and ``SecretKey`` are required on every endpoint, as with Gameball's High
  Security Mode, so a client that forgets one fails here before it fails in production.
* Tiers (Bronze 0, Silver 1000, Gold 5000) are reached by ``customerAttributes.totalSpent``, one of
  Gameball's tiering methods; ``progress`` is that amount. A programme without tiers answers
  tier-progress with ``{}``: the spec types ``current``/``next`` as objects, so "no tier" is their
  absence rather than ``null``.
* An unknown route is 404 with code 4004 (GENERAL_ERROR), never 7000, so tests can tell a path
  that escaped its segment from "customer not found".
* Rate limits (PRODUCT §10), when switched on, are counted per resource as a sliding window of
  arrival times, the strictest reading of Gameball's "N per second and M per 30 seconds";
  beyond either, 429 (code 4290, made up: none is documented) without a ``Retry-After``
  header, as Gameball documents none.
* Orders, reward previews, order transactions and refunds are kept by the order book
  (``orders.py``, which lists its own choices); an order adds its points to the balance and its
  amount to ``totalSpent`` (so tiers move), a refund takes both back.
* Points holds, the texted one-time code and the scanned hash are kept by the hold book
  (``holds.py``, likewise); held points are left out of the available balance, an order that
  uses a hold spends them, and its refund gives them back.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, TypeVar
from urllib.parse import unquote_to_bytes

import httpx
from pyrate_limiter import InMemoryBucket, RateItem

from bot.gameball.limits import (
    CUSTOMER_READS,
    CUSTOMER_WRITES,
    ORDERS,
    TRANSACTIONS,
    Window,
    sliding_window_log,
)
from bot.sandbox.holds import DEFAULT_HOLD_TTL, HoldBook, HoldView
from bot.sandbox.orders import OrderBook, PointsChange
from bot.sandbox.payloads import (
    CHANNELS,
    ApiError,
    error_for_status,
    has_type,
    invalid,
    json_object,
    required_string,
)
from bot.sandbox.wire import HttpRequest, HttpResponse, from_httpx, to_httpx

INTEGRATIONS: Final = "/api/v4.0/integrations"
API_PREFIX: Final = f"{INTEGRATIONS}/customers"
ORDERS_PREFIX: Final = f"{INTEGRATIONS}/orders"
REWARD_PREVIEW_PATH: Final = f"{ORDERS_PREFIX}/reward-preview"
TRANSACTIONS_PREFIX: Final = f"{INTEGRATIONS}/transactions"
REFUND_PATH: Final = f"{TRANSACTIONS_PREFIX}/refund"
HOLD_PATH: Final = f"{TRANSACTIONS_PREFIX}/hold"
OTP_PATH: Final = f"{TRANSACTIONS_PREFIX}/otp"
_CUSTOMER_ENDPOINTS: Final = ("balance", "details", "tier-progress")
_ORDER_ENDPOINTS: Final = ("order", "reward-preview", "order-transactions")
_TRANSACTION_ENDPOINTS: Final = ("refund", "hold", "hold-details", "release-hold", "otp")
#: Names accepted by :meth:`Sandbox.fail_next` ``endpoint=`` and used in :class:`RecordedRequest`.
ENDPOINTS: Final = (*_CUSTOMER_ENDPOINTS, "upsert", *_ORDER_ENDPOINTS, *_TRANSACTION_ENDPOINTS)
#: Which of Gameball's rate-limited resources each endpoint draws on (GAMEBALL.md §5).
RESOURCES: Final = {
    **dict.fromkeys(_CUSTOMER_ENDPOINTS, CUSTOMER_READS),
    "upsert": CUSTOMER_WRITES,
    **dict.fromkeys(_ORDER_ENDPOINTS, ORDERS),
    **dict.fromkeys(_TRANSACTION_ENDPOINTS, TRANSACTIONS),
}
#: The POST endpoints at a fixed path, by raw path.
_FIXED_ROUTES: Final = {
    API_PREFIX.encode(): "upsert",
    ORDERS_PREFIX.encode(): "order",
    REWARD_PREVIEW_PATH.encode(): "reward-preview",
    REFUND_PATH.encode(): "refund",
    HOLD_PATH.encode(): "hold",
    OTP_PATH.encode(): "otp",
}
#: One hold's endpoints, by method: ``transactions/hold/{holdReferenceId}``.
_HOLD_ROUTES: Final = {"GET": "hold-details", "DELETE": "release-hold"}
#: The GET endpoints below one resource's ID: ``customers/{id}/balance``, ``orders/{id}/...``.
_ID_ROUTES: Final = (
    (API_PREFIX.encode() + b"/", _CUSTOMER_ENDPOINTS),
    (ORDERS_PREFIX.encode() + b"/", ("transactions",)),
)

_T = TypeVar("_T")
_STRING = (str,)
_NUMBER = (int, float)
_LIST = (list,)
#: ``customerAttributes`` the upsert stores, with their JSON types (UpsertCustomerRequest schema).
#: Unknown attributes are dropped, as they would not come back from Gameball either.
_ATTRIBUTE_TYPES: Final[dict[str, tuple[type, ...]]] = {
    **dict.fromkeys(
        (
            "displayName", "firstName", "lastName", "email", "gender", "mobile", "dateOfBirth",
            "joinDate", "country", "city", "zip", "preferredLanguage", "source", "lastOrderDate",
            "channel",
        ),
        _STRING,
    ),
    **dict.fromkeys(("totalSpent", "totalOrders", "avgOrderAmount"), _NUMBER),
    **dict.fromkeys(("utms", "devices", "paymentMethods"), _LIST),
    "custom": (dict,),
}  # fmt: skip


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DemoCustomer:
    """A ready-made customer, listed by the console so a newcomer can try the "found" path."""

    customer_id: str
    name: str
    mobile: str | None
    email: str | None
    points: int
    note: str


@dataclass(frozen=True)
class RecordedRequest:
    """What the sandbox saw, for assertions; key values are never kept, only their presence."""

    method: str
    endpoint: str | None
    customer_id: str | None
    body: Any
    has_api_key: bool
    has_secret_key: bool
    order_id: str | None = None
    hold_reference: str | None = None


class ConnectionDropped(httpx.ConnectError):
    """An injected "status 0" fault: the transport raises it, the server closes the socket."""


@dataclass
class _Customer:
    customer_id: str
    gameball_id: int
    join_date: datetime
    attributes: dict[str, Any]
    points: int = 0
    pending: int = 0
    expiring: tuple[int, date] | None = None
    total_earned: int = 0


@dataclass(frozen=True)
class _Tier:
    order: int
    name: str
    min_progress: int

    def as_json(self) -> dict[str, Any]:
        return {"order": self.order, "name": self.name, "minProgress": self.min_progress}


_TIERS: Final = (_Tier(1, "Bronze", 0), _Tier(2, "Silver", 1000), _Tier(3, "Gold", 5000))
#: How long the welcome bonus stays valid before it expires.
WELCOME_BONUS_VALID_DAYS: Final = 365


@dataclass(frozen=True)
class _DemoProfile:
    customer: DemoCustomer
    pending: int = 0
    expiring_in_days: tuple[int, int] | None = None  # (points, days from today)
    total_spent: float = 0


_DEMO_PROFILES: Final = (
    _DemoProfile(
        DemoCustomer(
            "demo-1001", "Omar Hassan", "+201001112233", "omar.hassan@example.com", 1250,
            "Silver tier, 250 EGP away from Gold",
        ),
        total_spent=4750,
    ),
    _DemoProfile(
        DemoCustomer(
            "demo-1002", "Nour El-Sayed", "+201227654321", None, 850,
            "300 points pending, 200 expiring in 5 days",
        ),
        pending=300,
        expiring_in_days=(200, 5),
        total_spent=620,
    ),
    _DemoProfile(
        DemoCustomer(
            "demo-1003", "Abdullah Al-Qahtani", "+966551239876", "abdullah.q@example.com", 12400,
            "Gold tier, the top of the ladder",
        ),
        total_spent=18350,
    ),
    _DemoProfile(
        DemoCustomer(
            "demo-1004", "فاطمة الزهراء", "+966501234567", "fatima@example.com", 0,
            "Arabic name, zero balance",
        ),
    ),
    _DemoProfile(
        DemoCustomer(
            "+201001234567", "Mariam Adel", "+201001234567", None, 420,
            "Customer ID is the mobile (CUSTOMER_ID_SCHEME=mobile)",
        ),
        total_spent=150,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class _Route:
    """Where a raw request target leads; ``endpoint`` None means no such route.

    ``resource_id`` is the ID from the path: a customer's, or an order's for its transactions.
    """

    endpoint: str | None
    method: str = ""
    resource_id: str | None = None


_NO_ROUTE: Final = _Route(None)


def _route(raw_target: bytes, method: str) -> _Route:
    """Resolve the raw target; an ID is decoded only after it was split off as ONE segment."""
    path = raw_target.split(b"?", 1)[0]
    fixed = _FIXED_ROUTES.get(path)
    if fixed is not None:
        return _Route(fixed, "POST")
    hold_head = HOLD_PATH.encode() + b"/"
    if path.startswith(hold_head):
        return _hold_route(path[len(hold_head) :], method)
    for head, endpoints in _ID_ROUTES:
        if path.startswith(head):
            return _id_route(path[len(head) :], endpoints)
    return _NO_ROUTE


def _hold_route(rest: bytes, method: str) -> _Route:
    """``{holdReferenceId}``: GET reads the hold, DELETE releases it (anything else: 405)."""
    reference = _decode_segment(rest) if rest and b"/" not in rest else None
    if not reference:
        return _NO_ROUTE
    endpoint = _HOLD_ROUTES.get(method, _HOLD_ROUTES["GET"])
    return _Route(endpoint, method if method in _HOLD_ROUTES else "GET", reference)


def _id_route(rest: bytes, endpoints: tuple[str, ...]) -> _Route:
    """``{id}/{endpoint}``: a GET of one resource's endpoint."""
    segments = rest.split(b"/")
    endpoint = segments[-1].decode("latin-1")
    if len(segments) != 2 or endpoint not in endpoints:
        return _NO_ROUTE
    resource_id = _decode_segment(segments[0])
    name = "order-transactions" if endpoint == "transactions" else endpoint
    return _Route(name, "GET", resource_id) if resource_id else _NO_ROUTE


def _decode_segment(segment: bytes) -> str | None:
    try:
        return unquote_to_bytes(segment).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _load_json(body: bytes) -> Any:
    """The parsed body, or None when it is not JSON (the upsert then answers 400)."""
    try:
        return json.loads(body)
    except ValueError:
        return None


def _json_response(status: int, body: dict[str, Any]) -> HttpResponse:
    """Compact UTF-8 JSON, as httpx encodes it: both front ends send the bytes they always did."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return HttpResponse(status, text.encode())


def _name_attributes(name: str) -> dict[str, str]:
    first, _, last = name.partition(" ")
    return {"displayName": name, "firstName": first} | ({"lastName": last} if last else {})


def _validated_attributes(raw: Any) -> dict[str, Any]:
    """Known ``customerAttributes`` with the right types; nulls are ignored like absent keys."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid("customerAttributes")
    accepted: dict[str, Any] = {}
    for name, value in raw.items():
        expected = _ATTRIBUTE_TYPES.get(name)
        if expected is None or value is None:
            continue
        if not has_type(value, expected):
            raise invalid(f"customerAttributes.{name}")
        accepted[name] = value
    if "channel" in accepted and accepted["channel"] not in CHANNELS:
        raise invalid("customerAttributes.channel")
    return accepted


def _profile_attributes(payload: dict[str, Any]) -> dict[str, Any]:
    """Attributes to store; top-level ``email``/``mobile`` fill the attribute of that name."""
    attributes = _validated_attributes(payload.get("customerAttributes"))
    for contact in ("email", "mobile"):
        value = payload.get(contact)
        if value is None:
            continue
        if not isinstance(value, str):
            raise invalid(contact)
        attributes.setdefault(contact, value)
    return attributes


def _merge_attributes(stored: dict[str, Any], update: dict[str, Any]) -> None:
    """Upsert semantics: new values win, absent ones are kept, ``custom`` merges per key."""
    custom = {**stored.get("custom", {}), **update.get("custom", {})}
    stored.update(update)
    if custom:
        stored["custom"] = custom


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_fault_status(status: int) -> None:
    if status != 0 and not 400 <= status <= 599:
        raise ValueError(f"fault status must be 0 or 4xx/5xx, not {status}")


class Sandbox:
    """Gameball v4.0 emulator. Thread-safe enough for asyncio (single loop).

    State changes happen only after the last ``await`` of a request, so concurrent requests on
    one event loop never see a half-applied upsert.
    """

    def __init__(
        self,
        *,
        api_key: str = "sandbox",
        secret_key: str = "sandbox",
        welcome_bonus: int = 100,
        points_name: str = "Stars",
        currency: str = "EGP",
        point_value: float = 0.1,
        with_demo_customers: bool = True,
        with_tiers: bool = True,
        rate_limits: Mapping[str, Sequence[Window]] | None = None,
        earn_every: float = 10.0,
        hold_ttl: timedelta = DEFAULT_HOLD_TTL,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """``earn_every``: the earn rule, one point per that much money paid for an order.

        ``hold_ttl``: how long a points hold lasts before Gameball releases it by itself.
        """
        if not api_key or not secret_key:
            raise ValueError("the sandbox needs non-empty keys")
        self._api_key = api_key.encode()
        self._secret_key = secret_key.encode()
        self._welcome_bonus = welcome_bonus
        self._points_name = points_name
        self._currency = currency
        self._point_value = point_value
        self._with_tiers = with_tiers
        self._clock = clock
        self._customers: dict[str, _Customer] = {}
        self._gameball_ids = itertools.count(1_048_001)
        self._orders = OrderBook(earn_every=earn_every, clock=clock)
        self._holds = HoldBook(
            clock=clock, ttl=hold_ttl, point_value=point_value, secret=self._secret_key
        )
        self._pending_faults: list[tuple[int, str | None]] = []
        self._late_answers: list[tuple[float, str | None]] = []
        self._down_status: int | None = None
        self.latency = 0.0
        self.requests: list[RecordedRequest] = []
        self.rate_limited = 0  # requests answered 429 because a rate limit was exceeded
        self._rate_logs: dict[str, InMemoryBucket] = {}
        self._admitted: dict[str, list[float]] = {}
        self.set_rate_limits(rate_limits)
        self.demo_customers: list[DemoCustomer] = []
        if with_demo_customers:
            self._add_demo_customers()

    # --- test and bench controls -------------------------------------------------------------

    def transport(self) -> httpx.AsyncBaseTransport:
        """An in-process transport for ``httpx.AsyncClient``: no sockets, same behaviour."""
        return _SandboxTransport(self)

    def fail_next(self, count: int, status: int = 503, *, endpoint: str | None = None) -> None:
        """Make the next ``count`` requests (to ``endpoint`` only, if given) fail with ``status``.

        Status 0 drops the connection instead of answering.
        """
        _check_fault_status(status)
        _check_endpoint(endpoint)
        self._pending_faults.extend([(status, endpoint)] * count)

    def slow_next(self, count: int, seconds: float, *, endpoint: str | None = None) -> None:
        """Carry out the next ``count`` requests at once but answer each ``seconds`` later.

        A client that gives up sooner sees a timeout although Gameball did the work: the case
        in which an order must not be sent again without asking first.
        """
        _check_endpoint(endpoint)
        self._late_answers.extend([(seconds, endpoint)] * count)

    def set_rate_limits(self, limits: Mapping[str, Sequence[Window]] | None) -> None:
        """Enforce these limits per resource from now on (``None``: none, the default).

        ``bot.gameball.limits.DOCUMENTED`` are Gameball's published ones.
        """
        self._rate_logs = {
            resource: sliding_window_log(windows) for resource, windows in (limits or {}).items()
        }
        self._admitted = {resource: [] for resource in self._rate_logs}

    @property
    def enforces_rate_limits(self) -> bool:
        """Whether any rate limit is being enforced."""
        return bool(self._rate_logs)

    def busiest(self, resource: str, seconds: float) -> int:
        """The most requests to ``resource`` the sandbox admitted within any ``seconds``."""
        arrivals = self._admitted.get(resource, [])
        most, first = 0, 0
        for last, arrived in enumerate(arrivals):
            while arrivals[first] <= arrived - seconds:
                first += 1
            most = max(most, last - first + 1)
        return most

    def set_down(self, status: int | None) -> None:
        """Fail every request with ``status`` (0 = drop the connection) until ``set_down(None)``."""
        if status is not None:
            _check_fault_status(status)
        self._down_status = status

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        """A copy of the stored state of one customer, or None."""
        stored = self._customers.get(customer_id)
        return asdict(stored) if stored else None

    def add_customer(
        self,
        customer_id: str,
        *,
        name: str | None = None,
        mobile: str | None = None,
        email: str | None = None,
        points: int = 0,
        pending: int = 0,
        expiring: tuple[int, date] | None = None,
        total_spent: float = 0,
    ) -> None:
        """Seed a customer as if they had earned ``points`` (available) and ``pending`` already."""
        if customer_id in self._customers:
            raise ValueError(f"customer {customer_id!r} already exists")
        attributes: dict[str, Any] = _name_attributes(name) if name else {}
        contacts = {"mobile": mobile, "email": email, "totalSpent": total_spent or None}
        attributes |= {key: value for key, value in contacts.items() if value is not None}
        customer = self._new_customer(customer_id, attributes)
        customer.points, customer.pending, customer.expiring = points, pending, expiring
        customer.total_earned = points + pending

    def customer_hash(self, customer_id: str) -> str:
        """The valid hash of the customer's Gameball QR code: scan ``customer_id + hash``."""
        return self._holds.customer_hash(customer_id)

    def holds(self) -> list[HoldView]:
        """Every points hold placed so far, with its state now (active, used, expired, released)."""
        return self._holds.views()

    def credit(self, customer_id: str, points: int) -> None:
        """Credit earned points, as a purchase elsewhere would (demos: watch Refresh change)."""
        customer = self._customers[customer_id]
        customer.points += points
        customer.total_earned += points

    # --- the API -----------------------------------------------------------------------------

    async def respond(self, request: HttpRequest) -> HttpResponse:
        """Answer one request like Gameball would; the single implementation of the API.

        Routing reads the raw request target, so nothing normalises the path before the
        customer ID is split off. Raises :class:`ConnectionDropped` for an injected status 0.
        """
        route = _route(request.target, request.method)
        payload = _load_json(request.body) if route.method == "POST" else None
        self.requests.append(_record(request, route, payload))
        over_limit = self._over_rate_limit(route)  # counted on arrival, answered after latency
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        try:
            if over_limit:
                raise error_for_status(429)
            self._inject_fault(route)
            answer = _json_response(200, self._dispatch(request, route, payload))
        except ApiError as error:
            answer = _json_response(error.status, error.envelope())
        late = _take_first(self._late_answers, route.endpoint)
        if late:
            await asyncio.sleep(late)
        return answer

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """:meth:`respond` for httpx (the in-process transport, tests): the same API, no socket."""
        try:
            return to_httpx(await self.respond(await from_httpx(request)))
        except ConnectionDropped as dropped:
            dropped.request = request  # httpx's errors name the request they ended
            raise

    def _over_rate_limit(self, route: _Route) -> bool:
        """Count the request against its resource's windows; True when one is already full."""
        resource = RESOURCES.get(route.endpoint or "")
        log = self._rate_logs.get(resource or "")
        if resource is None or log is None:
            return False
        now = log.now()  # type: ignore[no-untyped-call]
        log.leak(now)
        if log.put(RateItem(resource, now)):
            self._admitted[resource].append(now / 1000)
            return False
        self.rate_limited += 1
        return True

    def _inject_fault(self, route: _Route) -> None:
        status = self._take_fault(route.endpoint)
        if status == 0:
            raise ConnectionDropped("sandbox dropped the connection")
        if status is not None:
            raise error_for_status(status)

    def _take_fault(self, endpoint: str | None) -> int | None:
        if self._down_status is not None:
            return self._down_status
        return _take_first(self._pending_faults, endpoint)

    def _dispatch(self, request: HttpRequest, route: _Route, payload: Any) -> dict[str, Any]:
        if route.endpoint is None:
            raise ApiError(404, 4004, "GENERAL_ERROR", "Resource not found")
        if request.method != route.method:
            raise ApiError(405, 4005, "GENERAL_ERROR", f"Method {request.method} not allowed")
        self._authenticate(request.headers)
        writes: dict[str, Callable[[Any], dict[str, Any]]] = {
            "upsert": self._upsert,
            "order": self._track_order,
            "reward-preview": self._preview_order,
            "refund": self._refund,
            "hold": lambda body: self._holds.place(body, self._owned_points),
            "otp": lambda body: self._holds.send_otp(body, self._owned_points),
        }
        if route.method == "POST":
            return writes[route.endpoint](payload)
        by_reference: dict[str, Callable[[str], dict[str, Any]]] = {
            "order-transactions": self._orders.transactions,
            "hold-details": self._holds.details,
            "release-hold": self._holds.release,
        }
        if route.endpoint in by_reference:
            return by_reference[route.endpoint](route.resource_id or "")
        customer = self._customers.get(route.resource_id or "")
        if customer is None:
            raise error_for_status(404)
        views = {
            "balance": self._balance,
            "details": self._details,
            "tier-progress": self._tier_progress,
        }
        return views[route.endpoint](customer)

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        api_key, secret_key = headers.get("apikey", ""), headers.get("secretkey", "")
        if not api_key or not secret_key:
            raise error_for_status(401)
        valid_api_key = hmac.compare_digest(api_key.encode(), self._api_key)
        if not (valid_api_key and hmac.compare_digest(secret_key.encode(), self._secret_key)):
            raise ApiError(401, 1000, "AUTHENTICATION_ERROR", "Invalid API key or secret key")

    def _upsert(self, payload: Any) -> dict[str, Any]:
        customer_id = required_string(json_object(payload), "customerId")
        attributes = _profile_attributes(payload)
        self._reject_email_of_another(customer_id, attributes.get("email"))
        customer = self._customers.get(customer_id) or self._onboard(customer_id)
        _merge_attributes(customer.attributes, attributes)
        return {"gameballId": customer.gameball_id}

    def _preview_order(self, payload: Any) -> dict[str, Any]:
        return self._orders.preview(
            payload, known=lambda customer_id: customer_id in self._customers
        )

    def _track_order(self, payload: Any) -> dict[str, Any]:
        answer, change = self._orders.track(payload, self._holds.use)
        self._apply(change)
        return answer

    def _owned_points(self, customer_id: str) -> int | None:
        customer = self._customers.get(customer_id)
        return None if customer is None else customer.points

    def _refund(self, payload: Any) -> dict[str, Any]:
        answer, change = self._orders.refund(payload)
        self._apply(change)
        return answer

    def _apply(self, change: PointsChange) -> None:
        """An order's points and spend reach the customer (created if new, as Gameball does)."""
        customer = self._customers.get(change.customer_id) or self._onboard(change.customer_id)
        customer.points += change.points - change.redeemed
        customer.total_earned += max(change.points, 0)
        spent = customer.attributes.get("totalSpent", 0) + change.spent
        customer.attributes["totalSpent"] = round(spent, 2)

    def _reject_email_of_another(self, customer_id: str, email: str | None) -> None:
        if email is None:
            return
        for other in self._customers.values():
            other_email = other.attributes.get("email")
            taken = isinstance(other_email, str) and other_email.lower() == email.lower()
            if taken and other.customer_id != customer_id:
                raise ApiError(422, 3008, "PAYLOAD_ERROR", "Email already used by another customer")

    def _onboard(self, customer_id: str) -> _Customer:
        """Create a profile; the onboarding campaign credits the welcome bonus once.

        Like most programmes, the bonus expires (after a year), so a new customer's balance
        carries every documented field, the next-expiry ones included.
        """
        customer = self._new_customer(customer_id, {})
        customer.points = customer.total_earned = self._welcome_bonus
        if self._welcome_bonus:
            expires = self._clock().date() + timedelta(days=WELCOME_BONUS_VALID_DAYS)
            customer.expiring = (self._welcome_bonus, expires)
        return customer

    def _new_customer(self, customer_id: str, attributes: dict[str, Any]) -> _Customer:
        customer = _Customer(customer_id, next(self._gameball_ids), self._clock(), attributes)
        self._customers[customer_id] = customer
        return customer

    def _value(self, points: int) -> float:
        return round(points * self._point_value, 2)

    def _balance(self, customer: _Customer) -> dict[str, Any]:
        available = customer.points - self._holds.held(customer.customer_id)
        total = available + customer.pending
        body: dict[str, Any] = {
            "totalPointsBalance": total,
            "totalPointsValue": self._value(total),
            "availablePointsBalance": available,
            "availablePointsValue": self._value(available),
            "pendingPoints": customer.pending,
            "pendingPointsValue": self._value(customer.pending),
            "currency": self._currency,
            "pointsName": self._points_name,
            "totalEarnedPoints": customer.total_earned,
        }
        if customer.expiring is not None:
            amount, day = customer.expiring
            body["nextExpiringPointsAmount"] = amount
            body["nextExpiringPointsValue"] = self._value(amount)
            body["nextExpiringPointsDate"] = f"{day.isoformat()}T00:00:00"
        return body

    def _details(self, customer: _Customer) -> dict[str, Any]:
        return {
            "customerId": customer.customer_id,
            "gameballId": customer.gameball_id,
            "customerAttributes": {"joinDate": _timestamp(customer.join_date)}
            | customer.attributes,
            "referralCode": f"SBX{customer.gameball_id}",
            "isReferred": False,
        }

    def _tier_progress(self, customer: _Customer) -> dict[str, Any]:
        if not self._with_tiers:
            return {}
        progress = customer.attributes.get("totalSpent", 0)
        reached = [tier for tier in _TIERS if tier.min_progress <= progress]
        body: dict[str, Any] = {"current": reached[-1].as_json(), "progress": progress}
        if len(reached) < len(_TIERS):
            body["next"] = _TIERS[len(reached)].as_json()
        return body

    def _add_demo_customers(self) -> None:
        today = self._clock().date()
        for profile in _DEMO_PROFILES:
            demo = profile.customer
            expiring = None
            if profile.expiring_in_days is not None:
                amount, days = profile.expiring_in_days
                expiring = (amount, today + timedelta(days=days))
            self.add_customer(
                demo.customer_id,
                name=demo.name,
                mobile=demo.mobile,
                email=demo.email,
                points=demo.points,
                pending=profile.pending,
                expiring=expiring,
                total_spent=profile.total_spent,
            )
            self.demo_customers.append(demo)


def _record(request: HttpRequest, route: _Route, payload: Any) -> RecordedRequest:
    body = payload if isinstance(payload, dict) else {}
    redemption = body.get("redemption")
    in_body = {"customer_id": body.get("customerId")}
    in_body["order_id"] = body.get("orderId", body.get("reverseTransactionId"))
    if isinstance(redemption, dict):
        in_body["hold_reference"] = redemption.get("pointsHoldReference")
    named = {key: value if isinstance(value, str) else None for key, value in in_body.items()}
    if route.endpoint == "order-transactions":
        named["order_id"] = route.resource_id
    elif route.endpoint in _HOLD_ROUTES.values():
        named["hold_reference"] = route.resource_id
    elif route.method == "GET":
        named["customer_id"] = route.resource_id
    return RecordedRequest(
        method=request.method,
        endpoint=route.endpoint,
        body=payload,
        has_api_key=bool(request.headers.get("apikey")),
        has_secret_key=bool(request.headers.get("secretkey")),
        **named,
    )


def _take_first(pending: list[tuple[_T, str | None]], endpoint: str | None) -> _T | None:
    """Remove and return the first pending value meant for ``endpoint`` (or for any)."""
    for index, (value, only_endpoint) in enumerate(pending):
        if only_endpoint in (None, endpoint):
            del pending[index]
            return value
    return None


def _check_endpoint(endpoint: str | None) -> None:
    if endpoint is not None and endpoint not in ENDPOINTS:
        raise ValueError(f"endpoint must be one of {ENDPOINTS}, not {endpoint!r}")


class _SandboxTransport(httpx.AsyncBaseTransport):
    """Calls :meth:`Sandbox.handle` directly and honours the client's read timeout.

    httpx enforces timeouts in its network layer, which this transport replaces; without this,
    a client under test with ``latency`` above its timeout would wait instead of timing out.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        read_timeout = request.extensions.get("timeout", {}).get("read")
        try:
            async with asyncio.timeout(read_timeout):
                return await self._sandbox.handle(request)
        except TimeoutError as error:
            raise httpx.ReadTimeout("sandbox answered too slowly", request=request) from error
