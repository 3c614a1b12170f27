"""The command line as an operator meets it: real processes, a clean environment, no ``.env``."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot import __version__
from tests.fakes.telegram import FakeTelegram, FakeTelegramServer

REPO = Path(__file__).resolve().parents[1]
WEBHOOK_PATH = "/tg/hook"
SECRET = "cli-webhook-secret"
MANAGER = 4242


def clean_env(**variables: str) -> dict[str, str]:
    """Only what a process needs to start, plus the variables under test."""
    env = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    return env | {"PYTHONPATH": str(REPO)} | variables


def run_cli(cwd: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean_env(**variables),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version_is_the_package_version(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--version")

    assert result.returncode == 0
    assert result.stdout.strip() == f"checkout-bot {__version__}"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PORT", "abc"), ("CUSTOMER_ID_SCHEME", "foo"), ("MANAGER_IDS", "12,alice")],
)
def test_a_bad_variable_is_one_line_naming_it_and_exit_code_2(
    tmp_path: Path, variable: str, value: str
) -> None:
    result = run_cli(tmp_path, "check", GAMEBALL_SANDBOX="true", **{variable: value})

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_a_data_dir_that_cannot_be_used_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where DATA_DIR should be a folder")
    result = run_cli(
        tmp_path,
        "run",
        GAMEBALL_SANDBOX="true",
        TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN-not-real",
        DATA_DIR=str(blocker),
    )

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DATA_DIR" in lines[0]


def test_webhook_mode_without_its_url_stops_before_touching_data(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "webhook",
        GAMEBALL_SANDBOX="true",
        TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN-not-real",
        WEBHOOK_SECRET=SECRET,
    )

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "WEBHOOK_URL" in lines[0]
    assert not (tmp_path / "data").exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(FakeTelegram()) as server:
        yield server


async def test_webhook_process_serves_updates_and_stops_cleanly_on_sigterm(
    telegram: FakeTelegramServer, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "stderr.log"
    with log.open("w") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "webhook",
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=clean_env(
                TELEGRAM_BOT_TOKEN=telegram.fake.token,
                TELEGRAM_BASE_URL=telegram.base_url,
                GAMEBALL_SANDBOX="true",
                MANAGER_IDS=str(MANAGER),
                WEBHOOK_URL=f"https://bot.example.com{WEBHOOK_PATH}",
                WEBHOOK_SECRET=SECRET,
                WEBHOOK_LISTEN="127.0.0.1",
                PORT=str(port),
                LOG_LEVEL="DEBUG",
            ),
        )
    try:
        await telegram.fake.wait_for(lambda call: call.method == "setWebhook", timeout=30)
        local = f"http://127.0.0.1:{port}"
        update = telegram.fake.user_text(MANAGER, "/start", queue=False)

        assert await telegram.post_update(local + WEBHOOK_PATH, update, SECRET) == 200
        await telegram.fake.wait_for_message(MANAGER, "/invite")
        async with httpx.AsyncClient(trust_env=False) as http:
            assert (await http.get(local + "/healthz")).json()["status"] == "ok"

        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    output = log.read_text()
    assert "Traceback" not in output
    assert telegram.fake.token not in output  # DEBUG logs every Bot API URL, token redacted
