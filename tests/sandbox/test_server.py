"""The sandbox over real HTTP on 127.0.0.1, as `checkout-bot sandbox` and the benches use it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.gameball.limits import CUSTOMER_READS, Window
from bot.sandbox import Sandbox, SandboxServer, serve
from tests.contract import response_schema
from tests.sandbox import AUTH, UPSERT_PATH, customer_path

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture
async def server(sandbox: Sandbox) -> AsyncIterator[SandboxServer]:
    running = await serve(sandbox, port=0)
    yield running
    await running.stop()


@pytest.fixture
async def client(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, headers=AUTH, timeout=5) as http:
        yield http


async def raw_exchange(port: int, targets: list[bytes]) -> list[tuple[int, Any]]:
    """Send several requests on ONE socket, byte for byte, and read every answer.

    Bypasses httpx, which would normalise the path before it reaches the server.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    auth = b"".join(b"%s: %s\r\n" % (name.encode(), value.encode()) for name, value in AUTH.items())
    answers = []
    try:
        for target in targets:
            writer.write(b"GET %s HTTP/1.1\r\nHost: sandbox\r\n%s\r\n" % (target, auth))
            answers.append(await read_response(reader))
    finally:
        writer.close()
    return answers


async def read_response(reader: asyncio.StreamReader) -> tuple[int, Any]:
    """Status and JSON body of one answer framed by Content-Length (all the sandbox sends)."""
    status_line, *header_lines = (await reader.readuntil(b"\r\n\r\n")).decode().splitlines()
    headers = dict(line.lower().split(": ", 1) for line in header_lines if line)
    body = await reader.readexactly(int(headers["content-length"]))
    return int(status_line.split()[1]), json.loads(body)


async def test_unknown_customer_is_404_7000(client: httpx.AsyncClient) -> None:
    response = await client.get(customer_path("nobody", "balance"))
    assert response.status_code == 404
    assert response.json()["code"] == 7000


async def test_upsert_then_balance_shows_the_welcome_bonus(client: httpx.AsyncClient) -> None:
    created = await client.post(UPSERT_PATH, json={"customerId": "srv-1"})
    balance = await client.get(customer_path("srv-1", "balance"))
    assert created.status_code == 200
    assert "gameballId" in created.json()
    assert balance.status_code == 200
    documented = set(response_schema("getCustomerBalance", 200)["properties"])
    assert set(balance.json()) == documented
    assert balance.json()["availablePointsBalance"] == 100
    assert balance.json()["nextExpiringPointsAmount"] == 100  # the bonus expires in a year


async def test_encoded_slash_and_plus_reach_the_customer(client: httpx.AsyncClient) -> None:
    assert (await client.get(customer_path("+201001234567", "details"))).status_code == 200
    await client.post(UPSERT_PATH, json={"customerId": "a/b"})
    assert (await client.get(customer_path("a/b", "balance"))).status_code == 200
    assert (await client.get("/api/v4.0/integrations/customers/a/b/balance")).json()["code"] == 4004


async def test_raw_path_is_routed_unnormalised_on_a_kept_alive_socket(
    server: SandboxServer,
) -> None:
    answers = await raw_exchange(
        server.port,
        [
            b"/api/v4.0/integrations/customers/demo-1001/balance",
            b"/api/v4.0/integrations/customers/x/../demo-1001/balance",
            b"/api/v4.0/integrations/customers/%2E%2E/balance",
        ],
    )
    assert answers[0][0] == 200
    assert (answers[1][0], answers[1][1]["code"]) == (404, 4004)
    assert (answers[2][0], answers[2][1]["code"]) == (404, 7000)


async def test_concurrent_requests_overlap_their_latency(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.latency = 0.2
    started = time.monotonic()
    responses = await asyncio.gather(
        *(client.get(customer_path("demo-1001", "balance")) for _ in range(50))
    )
    assert time.monotonic() - started < 5
    assert {response.status_code for response in responses} == {200}


async def test_holds_250_keep_alive_connections_at_once(
    sandbox: Sandbox, server: SandboxServer
) -> None:
    sandbox.latency = 0.2
    target = customer_path("demo-1001", "balance").encode()
    started = time.monotonic()
    exchanges = await asyncio.gather(
        *(raw_exchange(server.port, [target, target]) for _ in range(250))
    )
    assert time.monotonic() - started < 5
    assert {status for answers in exchanges for status, _ in answers} == {200}


async def test_status_zero_closes_the_socket_without_an_answer(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.fail_next(1, 0)
    with pytest.raises(httpx.TransportError):
        await client.get(customer_path("demo-1001", "balance"))
    assert (await client.get(customer_path("demo-1001", "balance"))).status_code == 200


async def test_malformed_request_only_closes_its_own_connection(
    server: SandboxServer, client: httpx.AsyncClient
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
    answer = await reader.read()  # read to the end: the server closes this connection
    assert answer.split(b"\r\n")[0].endswith(b" 400 Bad Request")
    writer.close()
    assert (await client.get(customer_path("demo-1001", "balance"))).status_code == 200


async def test_stop_frees_the_port_and_ends_open_connections(
    sandbox: Sandbox, client: httpx.AsyncClient, server: SandboxServer
) -> None:
    assert (await client.get(customer_path("demo-1001", "balance"))).status_code == 200
    await server.stop()
    with pytest.raises(httpx.TransportError):
        await client.get(customer_path("demo-1001", "balance"))
    again = await serve(sandbox, port=server.port)
    try:
        async with httpx.AsyncClient(base_url=again.url, headers=AUTH) as fresh:
            assert (await fresh.get(customer_path("demo-1001", "balance"))).status_code == 200
    finally:
        await again.stop()


def test_run_forever_serves_until_sigterm() -> None:
    code = "from bot.sandbox import run_forever; run_forever('127.0.0.1', 0)"
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    with subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    ) as process:
        assert process.stdout is not None
        try:
            banner = process.stdout.readline()
            assert banner.startswith("Gameball sandbox on http://127.0.0.1:")
            assert banner.rstrip().endswith("APIKey/SecretKey: sandbox/sandbox")
            url = banner.split()[3]
            response = httpx.get(url + customer_path("demo-1001", "balance"), headers=AUTH)
            assert response.status_code == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            process.kill()
        demo_list = process.stdout.read()
    assert "Gameball's documented rate limits" in demo_list
    assert "demo-1001" in demo_list
    assert "فاطمة الزهراء" in demo_list


async def test_the_served_sandbox_answers_429_beyond_a_rate_limit() -> None:
    """``checkout-bot sandbox`` enforces Gameball's documented limits (see the banner test)."""
    server = await serve(Sandbox(rate_limits={CUSTOMER_READS: [Window(3, 60.0)]}), port=0)
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=AUTH) as client:
            path = customer_path("demo-1001", "balance")
            statuses = [(await client.get(path)).status_code for _ in range(4)]
    finally:
        await server.stop()

    assert statuses == [200, 200, 200, 429]
