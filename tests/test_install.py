"""An installed copy of the bot speaks Arabic: the catalogs travel inside the package (issue 19).

Why: every other test runs from the checkout, where ``locales/`` sits next to the code, so a
wheel without catalogs passed them all while an operator's ``pip install .`` greeted Arabic staff
with English labels around Arabic dates. Here the package is built the way a packager builds it
(an sdist from a clean copy of the project, then a wheel from that sdist, offline), installed
into a fresh virtual environment, and run from a folder that has nothing of the project in it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: What a fresh clone does not have: local builds, caches, virtual environments, compiled catalogs.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    *(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"),
    *(".coverage", "data", ".env", "*.mo"),
)
PURELIB = "import sysconfig; print(sysconfig.get_path('purelib'))"


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None, stdin: str = "") -> str:
    """Run a command; its output, or a failure that shows why."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def build_wheel(workdir: Path) -> Path:
    """An sdist from a clean copy of the project, then a wheel from that sdist."""
    clone = workdir / "clone"
    shutil.copytree(REPO, clone, ignore=NOT_IN_A_CLONE)
    dist = workdir / "dist"
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, clone, cwd=workdir)
    (wheel,) = dist.glob("*.whl")
    return wheel


def fresh_environment(home: Path, wheel: Path) -> Path:
    """A new virtual environment holding only the wheel; returns its ``bin`` folder.

    The bot's dependencies are borrowed from this environment by a ``.pth`` file that lists our
    site-packages as plain paths: Python appends such a path to ``sys.path`` without reading the
    ``.pth`` files inside it, so this checkout's editable install stays out of the new one.
    """
    venv.create(home, with_pip=False)
    python = home / "bin" / "python"
    pip = (sys.executable, "-m", "pip", "--python", python)
    run(*pip, "install", "--no-deps", "--no-index", "--quiet", wheel, cwd=home)
    site_packages = Path(run(python, "-c", PURELIB, cwd=home).strip())
    borrowed = dict.fromkeys(sysconfig.get_path(kind) for kind in ("purelib", "platlib"))
    (site_packages / "borrowed-dependencies.pth").write_text("\n".join(borrowed) + "\n")
    return home / "bin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a virtual environment where the freshly built wheel is installed."""
    workdir = tmp_path_factory.mktemp("install")
    return fresh_environment(workdir / "venv", build_wheel(workdir))


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory with nothing of the project in it (no locales/, no .env)."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def operator_env(**extra: str) -> dict[str, str]:
    """An operator's environment: no PYTHONPATH, no CHECKOUT_BOT_LOCALES."""
    return {"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8", **extra}


def test_the_installed_bot_is_the_fresh_copy(installed: Path, elsewhere: Path) -> None:
    # Guards the test below: it must exercise the wheel, not this checkout's editable install.
    code = "import bot; print(bot.__file__)"
    location = run(installed / "python", "-c", code, cwd=elsewhere, env=operator_env())
    assert Path(location.strip()).is_relative_to(installed.parent)


def test_the_installed_bot_shows_arabic_staff_an_arabic_card(
    installed: Path, elsewhere: Path
) -> None:
    arabic_staff = operator_env(LANG="ar_EG.UTF-8")

    output = run(
        installed / "checkout-bot", "console", cwd=elsewhere, env=arabic_staff, stdin="demo-1001\n"
    )

    card = output.rsplit("Omar Hassan", 1)[1]
    assert "معرّف العميل: demo-1001" in card  # Customer ID
    assert "الرصيد المتاح: 1,250 Stars" in card  # Available
    # Record purchase, Redeem points (console mode offers every till action), Refresh, Next
    assert (
        "[1] 🛒 تسجيل الشراء   [2] 🎁 استبدال النقاط   [3] 🔄 تحديث   [4] ➡️ العميل التالي" in card
    )


def test_the_installed_bot_carries_the_scanner_page(installed: Path, elsewhere: Path) -> None:
    code = "from bot.webapp import scan_page; print(b'showScanQrPopup' in scan_page())"
    shown = run(installed / "python", "-c", code, cwd=elsewhere, env=operator_env())
    assert shown.strip() == "True"
