"""Check bodies against Gameball's official v4.0 OpenAPI document (``contracts/`` at the top).

The document is OpenAPI 3.1, whose schemas are JSON Schema 2020-12 and whose ``$ref``s point
into the same document. So the whole document is registered as one schema resource, and an
operation's schema is validated by JSON pointer into it: every ``$ref`` then resolves exactly
as a reader of the spec would resolve it.

The documents are copied into the repository (``contracts/README.md`` names their sources), so
a fresh clone tests against them with nothing beside it.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

CONTRACTS_DIR = Path(__file__).resolve().parents[1] / "contracts"
GAMEBALL_SPEC_PATH = CONTRACTS_DIR / "gameball-openapi-v4.0.json"
JSON_MEDIA_TYPE = "application/json"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

_SPEC_URI = "urn:gameball:openapi-v4.0"


@functools.cache
def load_spec() -> dict[str, Any]:
    """The parsed spec, read once per test session. Treat it as read-only."""
    spec: dict[str, Any] = json.loads(GAMEBALL_SPEC_PATH.read_text(encoding="utf-8"))
    return spec


#: The spec gives Refund no ``operationId``; such operations are named ``"METHOD path"`` here.
REFUND = "POST /api/v4.0/integrations/transactions/refund"
#: Nor the points holds and the texted code (PRODUCT §8).
HOLD = "POST /api/v4.0/integrations/transactions/hold"
HOLD_DETAILS = "GET /api/v4.0/integrations/transactions/hold/{holdReferenceId}"
RELEASE_HOLD = "DELETE /api/v4.0/integrations/transactions/hold/{holdReferenceId}"
OTP = "POST /api/v4.0/integrations/transactions/otp"


def find_operation(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    """``(METHOD, path template, operation object)`` of the operation with that ``operationId``

    (or that ``"METHOD path"``, for operations the spec leaves without an id).
    """
    method, _, path = operation_id.partition(" ")
    if path:
        return method, path, load_spec()["paths"][path][method.lower()]
    for path, item in load_spec()["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return method.upper(), path, operation
    raise LookupError(f"the spec has no operation {operation_id!r}")


def request_schema(operation_id: str) -> dict[str, Any]:
    """The JSON request-body schema of an operation, ``$ref``s at its top level resolved."""
    return resolve(_pointee(_request_pointer(operation_id)))


def response_schema(operation_id: str, status: int) -> dict[str, Any]:
    """The JSON response schema for ``status``, ``$ref``s at its top level resolved."""
    return resolve(_pointee(_response_pointer(operation_id, status)))


def response_examples(operation_id: str, status: int) -> list[Any]:
    """Every example the spec gives for that JSON response (``example`` and ``examples``)."""
    media = _pointee(_response_pointer(operation_id, status).removesuffix("/schema"))
    examples = [media["example"]] if "example" in media else []
    examples += [entry["value"] for entry in media.get("examples", {}).values()]
    return examples


def validate_request(operation_id: str, body: Any) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``body`` fits the operation's request schema."""
    _validator(_request_pointer(operation_id)).validate(body)


def validate_response(operation_id: str, status: int, body: Any) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``body`` fits the documented response."""
    _validator(_response_pointer(operation_id, status)).validate(body)


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` chain (``#/components/...``) to the schema it names."""
    while "$ref" in schema:
        schema = _pointee(schema["$ref"].removeprefix("#"))
    return schema


def _request_pointer(operation_id: str) -> str:
    method, path, operation = find_operation(operation_id)
    if JSON_MEDIA_TYPE not in operation.get("requestBody", {}).get("content", {}):
        raise LookupError(f"{operation_id} has no {JSON_MEDIA_TYPE} request body")
    return _pointer(
        "paths", path, method.lower(), "requestBody", "content", JSON_MEDIA_TYPE, "schema"
    )


def _response_pointer(operation_id: str, status: int) -> str:
    """Pointer to the schema for ``status``: exact code first, then ``4XX``-style, then default."""
    method, path, operation = find_operation(operation_id)
    responses = operation.get("responses", {})
    for key in (str(status), f"{status // 100}XX", "default"):
        if JSON_MEDIA_TYPE in responses.get(key, {}).get("content", {}):
            return _pointer(
                "paths",
                path,
                method.lower(),
                "responses",
                key,
                "content",
                JSON_MEDIA_TYPE,
                "schema",
            )
    raise LookupError(f"{operation_id} documents no {JSON_MEDIA_TYPE} response for {status}")


def _pointer(*tokens: str) -> str:
    """An RFC 6901 JSON pointer (``/`` and ``~`` escaped) from its reference tokens."""
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)


def _pointee(pointer: str) -> Any:
    node: Any = load_spec()
    for token in pointer.split("/")[1:]:
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


@functools.cache
def _registry() -> Registry[Any]:
    registry: Registry[Any] = Registry().with_resource(
        _SPEC_URI, DRAFT202012.create_resource(load_spec())
    )
    return registry


def _validator(pointer: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{_SPEC_URI}#{pointer}"}, registry=_registry())
