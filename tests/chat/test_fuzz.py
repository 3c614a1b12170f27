"""Hostile and odd input at every step of the identify flow (PRODUCT §5), by staff and manager.

Whatever a cashier types or whatever data an old or forged button carries, the bot must not
crash, must never send Telegram a request it refuses, must never send Gameball an ID that could
escape its path segment or a body Gameball rejects as malformed, and must always answer.

One bot serves every example of a test; each example drives it back to the wanted state with
``/cancel`` and the taps a cashier would make, then sends one fuzzed update. Hand-picked inputs
run at every state as explicit examples; random ones follow.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.chat import identify
from bot.chat import keyboards as kb
from bot.domain.contacts import InvalidInput, validate_customer_id
from bot.sandbox import Sandbox
from tests.chat.harness import MANAGER, STAFF, ChatDriver, make_settings, running
from tests.fakes.telegram import FakeTelegram

FUZZ_SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
APOLOGY = "Sorry, something went wrong"
Test = TypeVar("Test", bound=Callable[..., Any])

# --- what people type --------------------------------------------------------------------------

#: Lone surrogates cannot travel in Telegram's JSON; everything else can.
ANY_CHARACTER = st.characters(exclude_categories=["Cs"])
#: Pieces that break naive text handling: bidi and zero-width marks, BOM, controls, NUL,
#: HTML specials, Arabic-Indic digits and emoji (one of them a ZWJ sequence).
AWKWARD = st.sampled_from(
    [
        *"\u200f\u200e\u202e\u2068\u200b\u200c\u200d\ufeff\x00\x1b\x7f\n\t",
        *"<>&\"'/@+-_.:=#%٠١٢٣٤٥",
        "😀",
        "👨‍👩‍👧",
        "&amp;",
        "</code>",
    ]
)


def mixed_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Any characters, with awkward pieces much more likely than chance would make them."""
    pieces = st.lists(st.one_of(ANY_CHARACTER, AWKWARD), min_size=min_size, max_size=max_size)
    return pieces.map("".join)


#: Telegram trims messages and refuses empty ones; a text has at most 4096 characters.
TEXTS = (
    st.one_of(
        mixed_text(1, 80),
        st.builds(
            lambda unit, length: (unit * length)[:length],
            st.text(ANY_CHARACTER, min_size=1, max_size=16),
            st.integers(min_value=200, max_value=4096),
        ),
    )
    .map(str.strip)
    .filter(bool)
)
CRAFTED_TEXTS = [
    "demo-1001\u200f",
    "\u200f+20 100 123 4567\u200e",
    "٠١٠٠١٢٣٤٥٦٧",
    "0100\u00a0123\u00a04567",
    "mona@example.com\u200b",
    "MONA@EXAMPLE.COM",
    "<b>Mona</b> & Co",
    "a" * 101,
    "x" * 4096,
    "😀" * 2048,
    "../balance",
    "a/b?c=d#e",
    "%2e%2e",
    "/",
    "/identify ..",
    "/balance \u200b",
    "/start\x00",
    "/nonsense",
]

#: A bot command as Telegram marks it: Latin letters, digits and underscores after the slash.
TELEGRAM_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?(?!\w)")

# --- what buttons carry ------------------------------------------------------------------------

#: Stands for the id of the flow in progress, known only once the example has reached its state.
FLOW_ID = "{flow}"
FLOW_ACTIONS = [
    kb.CREATE_PROFILE,
    kb.CANCEL,
    kb.SKIP,
    kb.CREATE,
    kb.EDIT,
    kb.EDIT_NAME,
    kb.EDIT_MOBILE,
    kb.EDIT_EMAIL,
    kb.BACK,
    kb.RETRY_LOOKUP,
    kb.RETRY_CREATE,
    kb.QUEUE,
]
CRAFTED_DATA = [
    "f:",
    "f::",
    "f:x:create",
    f"f:{FLOW_ID}:",
    f"f:{FLOW_ID}:nope",
    "c:r:",
    "c:r:#nope",
    "c:r:=",
    "c:r:= demo-1001",
    "c:r:=a\x00b",
    "c:r:=..",
    "l:xx",
]
#: Data of the manager's buttons (revoke, activity pages), which only a manager gets past.
MANAGER_DATA = [
    "m:rv:abc",
    "m:a:1:2:3",
    "m:rvy:999",
    "m:rvy:111",
    "m:rv:99999999999999999999",
    "m:a:99999999999999999999:0",
]


def fits_in_button(data: str) -> bool:
    """Telegram carries 1-64 bytes of callback data."""
    return 1 <= len(data.replace(FLOW_ID, "flow-id8").encode()) <= kb.MAX_CALLBACK_BYTES


CALLBACK_DATA = st.one_of(
    mixed_text(1, 64),
    st.builds("c:r:={}".format, mixed_text(0, 59)),
    st.one_of(st.sampled_from(FLOW_ACTIONS), st.text(ANY_CHARACTER, max_size=10)).map(
        lambda action: f"f:{FLOW_ID}:{action}"
    ),
).filter(fits_in_button)

USERS = st.sampled_from([STAFF, MANAGER])


def with_examples(
    argument: str, values: list[str], users: tuple[int, ...] = (STAFF, MANAGER)
) -> Callable[[Test], Test]:
    """Run each hand-picked value as an explicit example, sent by ``users`` in turn."""

    def decorate(test: Test) -> Test:
        for value, user in zip(values, itertools.cycle(users), strict=False):
            test = example(user=user, **{argument: value})(test)
        return test

    return decorate


# --- Gameball, watched -------------------------------------------------------------------------

#: What the sandbox may answer a correct client: success, an unknown customer, a business
#: refusal (an email already in use), and the 403 injected here to reach the failure states.
#: Anything else (400, 404 code 4004 = the ID escaped its segment, 422 "Invalid value") is a
#: request the bot should never have made.
ACCEPTABLE_ANSWERS = {(200, None), (404, 7000), (422, 3008), (403, 1002)}


class WatchedSandboxTransport(httpx.AsyncBaseTransport):
    """The sandbox's in-process transport, keeping each answer's status and error code."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._inner = sandbox.transport()
        self.answers: list[tuple[str, int, int | None]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        body = response.json() if response.content else None
        code = body.get("code") if isinstance(body, dict) and not response.is_success else None
        self.answers.append((request.url.path, response.status_code, code))
        return response


@dataclass
class Fuzzing:
    """The running bot, its Gameball transport, and a source of never-used customer IDs."""

    bot: ChatDriver
    gameball: WatchedSandboxTransport
    fresh_ids: Iterator[int]

    def new_customer_id(self) -> str:
        return f"fuzz-{next(self.fresh_ids)}"


@pytest.fixture
async def fuzzing(tmp_path: Path, fake: FakeTelegram, sandbox: Sandbox) -> AsyncIterator[Fuzzing]:
    gameball = WatchedSandboxTransport(sandbox)
    async with running(make_settings(tmp_path), fake, sandbox, gameball_transport=gameball) as bot:
        # The queue's background job would race the faults injected below; it is not under test.
        assert bot.app.job_queue is not None
        for job in bot.app.job_queue.jobs():
            job.schedule_removal()
        yield Fuzzing(bot, gameball, itertools.count(1))


# --- sending -----------------------------------------------------------------------------------


async def send_text(bot: ChatDriver, user: int, text: str) -> list[dict[str, Any]]:
    """The user sends ``text``, with a bot_command entity only where Telegram would put one."""
    update = bot.fake.user_text(user, text, queue=False)
    command = TELEGRAM_COMMAND.match(text)
    if command is None:
        update["message"].pop("entities", None)
    else:
        length = len(command.group().encode("utf-16-le")) // 2
        update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return await bot.process(update)


async def press_data(bot: ChatDriver, user: int, data: str) -> str:
    """Press a button on the user's latest keyboard, carrying ``data`` instead of its own.

    That is what a button from an older version of the bot, or a forged one, delivers.
    Returns the callback query's id.
    """
    message = latest_message_with_buttons(bot, user)
    assert message is not None
    update = bot.fake.press_button(user, message, bot.fake.buttons(message)[0][1], queue=False)
    update["callback_query"]["data"] = data
    await bot.process(update)
    return str(update["callback_query"]["id"])


def latest_message_with_buttons(bot: ChatDriver, chat_id: int) -> dict[str, Any] | None:
    offering = [message for message in bot.fake.sent_messages(chat_id) if bot.fake.buttons(message)]
    return offering[-1] if offering else None


async def tap(bot: ChatDriver, user: int, action: str) -> list[dict[str, Any]]:
    """Tap the flow button ``action`` on the latest message offering it (any language)."""
    for message in reversed(bot.fake.sent_messages(user)):
        for _, data in bot.fake.buttons(message):
            button = kb.parse_flow_data(data)
            if button is not None and button.action == action:
                return await bot.process(bot.fake.press_button(user, message, data, queue=False))
    raise AssertionError(f"no button {action!r} in chat {user}")


def flow_actions(bot: ChatDriver, message: dict[str, Any]) -> tuple[str, ...]:
    parsed = (kb.parse_flow_data(data) for _, data in bot.fake.buttons(message))
    return tuple(button.action for button in parsed if button is not None)


def latest_flow_id(bot: ChatDriver, user: int) -> str:
    """The flow id on the user's latest flow buttons (the current flow's, once it has any)."""
    for message in reversed(bot.fake.sent_messages(user)):
        for _, data in bot.fake.buttons(message):
            button = kb.parse_flow_data(data)
            if button is not None:
                return button.flow_id
    return "none"


# --- reaching a state --------------------------------------------------------------------------

Step = Callable[[Fuzzing, int], Awaitable[list[dict[str, Any]]]]


async def ask_id(f: Fuzzing, user: int) -> list[dict[str, Any]]:
    return await f.bot.text(user, "/identify")


async def not_found(f: Fuzzing, user: int) -> list[dict[str, Any]]:
    return await f.bot.text(user, f.new_customer_id())


async def lookup_failed(f: Fuzzing, user: int) -> list[dict[str, Any]]:
    f.bot.sandbox.fail_next(1, 403, endpoint="balance")
    return await f.bot.text(user, f.new_customer_id())


async def ask_name(f: Fuzzing, user: int) -> list[dict[str, Any]]:
    await not_found(f, user)
    return await tap(f.bot, user, kb.CREATE_PROFILE)


async def ask_mobile(f: Fuzzing, user: int) -> list[dict[str, Any]]:
    await ask_name(f, user)
    return await f.bot.text(user, "Mona Hassan")


async def ask_email(f: Fuzzing, user: int) -> list[dict[str, Any]]:
    await ask_mobile(f, user)
    return await f.bot.text(user, "01001234567")


async def confirm(f: Fuzzing, user: int) -> list[dict[str, Any]]:
    await ask_email(f, user)
    return await tap(f.bot, user, kb.SKIP)


async def edit_choice(f: Fuzzing, user: int) -> list[dict[str, Any]]:
    await confirm(f, user)
    return await tap(f.bot, user, kb.EDIT)


async def create_failed(f: Fuzzing, user: int) -> list[dict[str, Any]]:
    await confirm(f, user)
    f.bot.sandbox.fail_next(1, 403, endpoint="upsert")
    return await tap(f.bot, user, kb.CREATE)


@dataclass(frozen=True)
class State:
    """How to reach a conversation state, and the flow buttons its last message offers."""

    reach: Step
    buttons: tuple[str, ...]


STATES = {
    "ASK_ID": State(ask_id, ()),
    "NOT_FOUND": State(not_found, (kb.CREATE_PROFILE, kb.CANCEL)),
    "ASK_NAME": State(ask_name, (kb.SKIP,)),
    "ASK_MOBILE": State(ask_mobile, (kb.SKIP,)),
    "ASK_EMAIL": State(ask_email, (kb.SKIP,)),
    "CONFIRM": State(confirm, (kb.CREATE, kb.EDIT, kb.CANCEL)),
    "EDIT_CHOICE": State(edit_choice, (kb.EDIT_NAME, kb.EDIT_MOBILE, kb.EDIT_EMAIL, kb.BACK)),
    "LOOKUP_FAILED": State(lookup_failed, (kb.RETRY_LOOKUP, kb.CANCEL)),
    "CREATE_FAILED": State(create_failed, (kb.RETRY_CREATE, kb.QUEUE, kb.CANCEL)),
}
assert {getattr(identify, name) for name in STATES} == set(range(9)), "a state is not fuzzed"


async def reach(f: Fuzzing, user: int, state: State) -> None:
    """Leave whatever the last example left behind and walk to ``state`` as a cashier would."""
    if latest_message_with_buttons(f.bot, user) is None:
        await f.bot.text(user, "/language")  # a keyboard to press fuzzed buttons on
    await f.bot.text(user, "/cancel")
    sent = await state.reach(f, user)
    assert sent, "the bot did not answer a step on the way"
    assert flow_actions(f.bot, sent[-1]) == state.buttons


# --- what must hold after every update ---------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """Where the records stood when an example began, so each example is judged alone."""

    rejected: int
    requests: int
    answers: int
    messages: int


def mark(f: Fuzzing, caplog: pytest.LogCaptureFixture) -> Mark:
    caplog.clear()
    bot = f.bot
    return Mark(
        len(bot.fake.rejected),
        len(bot.sandbox.requests),
        len(f.gameball.answers),
        len(bot.fake.sent_messages()),
    )


def is_exactly_a_valid_customer_id(customer_id: str | None) -> bool:
    """Valid as it is: no control characters, nothing to trim, not empty, not too long."""
    try:
        return customer_id is not None and validate_customer_id(customer_id) == customer_id
    except InvalidInput:
        return False


def assert_bot_behaved(f: Fuzzing, caplog: pytest.LogCaptureFixture, since: Mark) -> None:
    """No crash, no apology, no request Telegram or Gameball refuses, no ID that escapes."""
    failures = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not failures, [(record.getMessage(), record.exc_info) for record in failures]
    assert not f.bot.fake.rejected[since.rejected :]
    texts = [message.get("text", "") for message in f.bot.fake.sent_messages()[since.messages :]]
    assert not [text for text in texts if APOLOGY in text]
    for request in f.bot.sandbox.requests[since.requests :]:
        assert is_exactly_a_valid_customer_id(request.customer_id), request
    for path, status, code in f.gameball.answers[since.answers :]:
        assert (status, code) in ACCEPTABLE_ANSWERS, (path, status, code)


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("state_name", STATES)
@FUZZ_SETTINGS
@with_examples("text", CRAFTED_TEXTS)
@given(user=USERS, text=TEXTS)
async def test_any_text_at_any_state_gets_a_valid_answer(
    fuzzing: Fuzzing, caplog: pytest.LogCaptureFixture, state_name: str, user: int, text: str
) -> None:
    since = mark(fuzzing, caplog)
    await reach(fuzzing, user, STATES[state_name])
    sent = await send_text(fuzzing.bot, user, text)
    assert sent, f"no answer to {text!r}"
    assert_bot_behaved(fuzzing, caplog, since)


@pytest.mark.parametrize("state_name", STATES)
@FUZZ_SETTINGS
@with_examples("data", CRAFTED_DATA)
@with_examples("data", MANAGER_DATA, users=(MANAGER,))
@given(user=USERS, data=CALLBACK_DATA)
async def test_any_button_data_at_any_state_is_answered(
    fuzzing: Fuzzing, caplog: pytest.LogCaptureFixture, state_name: str, user: int, data: str
) -> None:
    bot = fuzzing.bot
    since = mark(fuzzing, caplog)
    await reach(fuzzing, user, STATES[state_name])
    query_id = await press_data(bot, user, data.replace(FLOW_ID, latest_flow_id(bot, user)))
    answers = [c for c in bot.calls("answerCallbackQuery") if c["callback_query_id"] == query_id]
    assert answers, f"button data {data!r} was never answered"
    assert_bot_behaved(fuzzing, caplog, since)
