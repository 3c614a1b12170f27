"""Console mode: the same Application in a terminal, buttons as numbered choices."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from bot.console import chat_in_terminal
from tests.chat.harness import make_settings
from tests.images import GAMEBALL_HASH, phone_photo, qr_code

ROOT = Path(__file__).resolve().parents[1]


async def converse(tmp_path: Path, *lines: str, **overrides: object) -> str:
    """Type ``lines`` into a console session; return everything it printed."""
    settings = make_settings(tmp_path, manager_ids=[1000], **overrides)
    out = io.StringIO()
    await chat_in_terminal(settings, stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out)
    return out.getvalue()


async def test_start_lists_demo_customers_and_a_demo_id_gives_a_card(tmp_path: Path) -> None:
    output = await converse(tmp_path, "demo-1001", ":quit")
    assert "Demo customers:" in output
    assert "demo-1003" in output
    assert "Omar Hassan" in output
    assert "1,250 Stars" in output
    assert (
        "[1] 🛒 Record purchase   [2] 🎁 Redeem points   [3] 🔄 Refresh   [4] ➡️ Next customer"
        in output
    )
    assert "<b>" not in output  # HTML is rendered, not shown


async def test_a_demo_customer_redeems_points_with_the_code_the_banner_shows(
    tmp_path: Path,
) -> None:
    banner = await converse(tmp_path, ":quit", redeem_otp=True)
    (scan,) = [line for line in banner.splitlines() if ":scan demo-1001" in line]
    code = scan.rsplit(" ", 1)[-1]
    (otp,) = [line for line in banner.splitlines() if "REDEEM_OTP" in line]
    texted = otp.rstrip(".").rsplit(" ", 1)[-1]

    output = await converse(
        tmp_path, f":scan {code}", "2", "1", "200", texted, "1", "450", "1", ":quit",
        redeem_otp=True,
    )  # fmt: skip

    assert "200 Stars held for demo-1001" in output
    assert "Redeemed: 200 Stars (EGP20.00 off)" in output
    assert "New balance: 1,093 Stars" in output
    assert texted not in output.split("Ready for checkout", 1)[1]  # only the banner shows it


async def test_a_new_customer_is_created_by_typing_button_numbers(tmp_path: Path) -> None:
    output = await converse(
        tmp_path, "walk-in-1", "1", "Salma Nabil", "0100 555 1212", "1", "1", ":quit"
    )
    assert "[1] Create profile   [2] Cancel" in output
    assert "+201005551212" in output
    assert "Welcome aboard! The loyalty profile for Salma Nabil is created." in output
    assert "100 Stars" in output.rsplit("Welcome aboard", 1)[1]


async def test_a_contact_card_can_be_shared(tmp_path: Path) -> None:
    output = await converse(tmp_path, "walk-in-2", "1", "1", ":contact 201001234567", "1", ":quit")
    assert "Mobile: +201001234567" in output


async def test_a_number_without_such_a_button_says_which_numbers_exist(tmp_path: Path) -> None:
    output = await converse(tmp_path, "walk-in-3", "7", ":quit")
    assert "Type a button's number, from 1 to 2." in output


def test_the_console_command_speaks_arabic_when_asked(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "LANG": "ar_EG.UTF-8",
        "PYTHONIOENCODING": "utf-8",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input="demo-1002\n:quit\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "عملاء تجريبيون" in result.stdout
    assert "الرصيد المعلّق" in result.stdout
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # the console keeps its data in a temporary folder


async def test_a_photo_of_a_gameball_code_shows_the_card(tmp_path: Path) -> None:
    photo = tmp_path / "code.jpg"
    photo.write_bytes(phone_photo(qr_code("demo-1001" + GAMEBALL_HASH)))
    output = await converse(tmp_path, f":scan {photo}", ":quit")
    card = output.split(":scan <image file or scanned text>", 1)[1]
    assert "Omar Hassan" in card
    assert "1,250 Stars" in card
    assert GAMEBALL_HASH not in output


async def test_scanned_text_is_read_like_the_scan_button_s(tmp_path: Path) -> None:
    output = await converse(tmp_path, ":scan demo-1003" + GAMEBALL_HASH, ":quit")
    assert "Abdullah Al-Qahtani" in output


async def test_a_missing_picture_is_named_not_looked_up(tmp_path: Path) -> None:
    output = await converse(tmp_path, f":scan {tmp_path / 'nowhere.png'}", ":quit")
    assert "No such file:" in output
    assert "No customer" not in output
