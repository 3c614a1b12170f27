"""Build step: the translation catalogs are compiled into the package they ship with.

Translators edit ``locales/<lang>/LC_MESSAGES/bot.po`` at the top of the repository, but only the
``bot`` package reaches an installed copy. So every wheel (and with it every non-editable
install, ``pip install .`` included) carries the compiled ``bot/locales/<lang>/LC_MESSAGES/bot.mo``,
where ``bot/i18n.py`` looks first. An editable install reads ``locales/`` itself and builds
nothing. The rest of the packaging is declared in ``pyproject.toml``.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import FileError

DOMAIN = "bot"
SOURCES = Path("locales")


def compile_catalogs(sources: Path, target: Path) -> None:
    """Each ``<lang>/LC_MESSAGES/bot.po`` under ``sources`` as a ``.mo`` under ``target``."""
    catalogs = sorted(sources.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    if not catalogs:
        # A wheel without them installs fine and speaks English to everyone: refuse to build it.
        raise FileError(f"no translation catalogs in {sources.resolve()}")
    for source in catalogs:
        compiled = target / source.relative_to(sources).with_suffix(".mo")
        compiled.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as po:
            catalog = read_po(po, locale=source.parts[-3], domain=DOMAIN)
        with compiled.open("wb") as mo:
            write_mo(mo, catalog)


class BuildPyWithCatalogs(build_py):
    """``build_py``, plus the catalogs compiled into the built ``bot`` package."""

    def run(self) -> None:
        """Editable builds copy nothing (the checkout is imported), so they compile nothing."""
        super().run()
        if not self.editable_mode:
            compile_catalogs(SOURCES, Path(self.build_lib) / "bot" / "locales")


setup(cmdclass={"build_py": BuildPyWithCatalogs})
