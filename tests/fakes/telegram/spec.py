"""The Bot API contract (``contracts/telegram-bot-api.json``): which methods exist, their
parameters and types, and how a parameter sent as a form field becomes a JSON value; and what a
call is to the fake, and how it refuses one (Telegram's status and error text).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tests.contract import CONTRACTS_DIR

DEFAULT_SPEC_PATH = CONTRACTS_DIR / "telegram-bot-api.json"

_INTEGER = re.compile(r"-?\d+")


@dataclass
class BotApiCall:
    """One Bot API request as Telegram understood it: parameters decoded to JSON values."""

    method: str
    params: dict[str, Any]


class BotApiError(Exception):
    """A refusal; :meth:`FakeTelegram.handle` turns it into Telegram's error envelope."""

    def __init__(self, error_code: int, description: str) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description

    def envelope(self) -> dict[str, Any]:
        return {"ok": False, "error_code": self.error_code, "description": self.description}


def bad_request(detail: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {detail}")


class BotApiSpec:
    """The Bot API contract, indexed for the questions the fake asks of it."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self._methods: dict[str, dict[str, Any]] = {
            name.lower(): method for name, method in raw["methods"].items()
        }
        self._types: dict[str, dict[str, Any]] = raw["types"]
        # Asked on every call, so indexed once rather than read off the field lists each time.
        self._parameter_types = {
            name: {field["name"]: field["types"] for field in method.get("fields", [])}
            for name, method in self._methods.items()
        }
        self._required = {
            name: tuple(field["name"] for field in method.get("fields", []) if field["required"])
            for name, method in self._methods.items()
        }

    def method(self, name: str) -> dict[str, Any] | None:
        """Telegram matches method names case-insensitively."""
        return self._methods.get(name.lower())

    def call(self, method: str, params: dict[str, Any]) -> BotApiCall:
        """The call as Telegram understands it (canonical name, decoded parameters), or the
        refusal: 404 for an unknown method, 400 for a missing or unreadable parameter.
        """
        spec = self.method(method)
        if spec is None:
            raise BotApiError(404, "Not Found")
        decoded = decode_params(self.parameter_types(method), params)
        for name in self.required_parameters(method):
            if name not in decoded:
                raise bad_request(f"{name} is required")
        return BotApiCall(spec["name"], decoded)

    def parameter_types(self, method: str) -> dict[str, list[str]]:
        """The declared types of each of ``method``'s parameters, by parameter name."""
        return self._parameter_types[method.lower()]

    def required_parameters(self, method: str) -> tuple[str, ...]:
        return self._required[method.lower()]

    def field_names(self, type_name: str) -> list[str]:
        return [field["name"] for field in self._types[type_name].get("fields", [])]

    def required_fields(self, type_name: str) -> list[str]:
        fields = self._types[type_name].get("fields", [])
        return [field["name"] for field in fields if field["required"]]

    def subtypes(self, type_name: str) -> list[str]:
        return list(self._types[type_name].get("subtypes", []))


@cache
def load_spec(path: Path) -> BotApiSpec:
    """Parsed once per process: the contract is ~1 MB and every test builds a fresh fake."""
    return BotApiSpec(json.loads(path.read_text(encoding="utf-8")))


def decode_params(declared: dict[str, list[str]], params: dict[str, Any]) -> dict[str, Any]:
    """Turn wire values into JSON values, the way Telegram reads form fields by declared type."""
    return {name: _decode_value(name, value, declared.get(name)) for name, value in params.items()}


def _decode_value(name: str, value: Any, types: list[str] | None) -> Any:
    if types is None:  # unknown parameter: Telegram ignores it; keep it for the record
        return value
    if isinstance(value, str):
        if "String" not in types:
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        if "Integer" in types and _INTEGER.fullmatch(value):
            return int(value)
        return value
    if types == ["String"] and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value
