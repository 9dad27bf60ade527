"""X's OpenAPI spec, as data: what each operation the fake serves accepts, checked with jsonschema.

Source: `spec/x_openapi.json`, a subset of github.com/xdevplatform/docs `openapi.json`
("X API v2", info.version 2.167, commit 2871328 of 2026-08-22; the read
operations' query parameters from 2.166, commit cb39125, because 2.167 renamed
them away from the wire names: see `spec/extract_x_openapi.py`; licence: the X
Developer Agreement and Policy) cut by `spec/extract_x_openapi.py`. The fake
refuses what the spec refuses, with X's 400 `invalid-request` problem body
(docs/platforms.md §1.5), and the conformance tests run every logged request
through `violations()` on their own.

X's spec is OpenAPI 3.0; its schemas are plain enough that a JSON Schema
(2020-12) validator reads them as written (`format` is not asserted).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

__all__ = ["REFUSED", "SPEC", "Operation", "operation", "violations", "multipart_fields_as_body"]

# Every request any X fake in this process refused on the spec's grounds: "METHOD path: messages".
# tests/x/conftest.py fails a test that leaves one here without expecting it, so every request
# the adapter makes anywhere in those tests is held to the spec, not only in the conformance test.
REFUSED: list[str] = []

SPEC: dict[str, Any] = json.loads((Path(__file__).parent / "spec" / "x_openapi.json").read_text("utf-8"))


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # e.g. /2/users/{id}/tweets
    operation_id: str
    oauth2_scopes: frozenset[str]  # what an OAuth 2 user token needs (`security` → OAuth2UserToken)
    query: dict[str, dict[str, Any]]  # query parameter → its schema
    body_schema: dict[str, Any] | None  # JSON schema of the body (any content type), or None


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    _, _, kind, name = ref.split("/")
    resolved: dict[str, Any] = SPEC["components"][kind][name]
    return resolved


@cache
def _operations() -> tuple[tuple[re.Pattern[str], Operation], ...]:
    out = []
    for template, methods in SPEC["paths"].items():
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))
        for method, op in methods.items():
            scopes: set[str] = set()
            for requirement in op.get("security") or []:
                scopes |= set(requirement.get("OAuth2UserToken") or [])
            query = {}
            for param in op.get("parameters") or []:
                param = _resolve(param)
                if param["in"] == "query":
                    query[param["name"]] = param["schema"]
            body = None
            if "requestBody" in op:
                content = op["requestBody"]["content"]
                body = next(iter(content.values()))["schema"]
            out.append((pattern, Operation(method.upper(), template, op["operationId"], frozenset(scopes), query, body)))
    return tuple(out)


def operation(method: str, path: str) -> Operation | None:
    for pattern, op in _operations():
        if op.method == method.upper() and pattern.fullmatch(path):
            return op
    return None


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    # Local "#/components/..." references resolve against this root document.
    return Draft202012Validator({**schema, "components": SPEC["components"]})


def _path(error: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def body_violations(op: Operation, body: Any) -> list[str]:
    """Messages in the style X uses (`$.media_type: is not defined in the schema ...`)."""
    if op.body_schema is None:
        return []
    out = []
    for error in sorted(_validator(op.body_schema).iter_errors(body), key=lambda e: list(e.absolute_path)):
        if error.validator == "additionalProperties":
            allowed = set(error.schema.get("properties") or {})
            for name in sorted(set(error.instance) - allowed):
                out.append(f"{_path(error)}.{name}: is not defined in the schema and the schema does not allow "
                           "additional properties")
        else:
            out.append(f"{_path(error)}: {error.message}")
    return out


def query_violations(op: Operation, query: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(parameter, message) for unknown parameters and values the parameter's schema refuses."""
    out = []
    for name, values in sorted(query.items()):
        schema = op.query.get(name)
        if schema is None:
            allowed = ",".join(sorted(op.query))
            out.append((name, f"The query parameter [{name}] is not one of [{allowed}]"))
            continue
        value: Any = values[-1]
        if schema.get("type") == "array":
            value = value.split(",")  # style form, explode false
        elif schema.get("type") == "integer":
            value = int(value) if re.fullmatch(r"-?\d+", value) else value
        for error in _validator(schema).iter_errors(value):
            out.append((name, f"The `{name}` query parameter value [{values[-1]}] is invalid: {error.message}"))
    return out


def multipart_fields_as_body(fields: dict[str, bytes]) -> dict[str, Any]:
    """A multipart form as the object the schema describes (file parts stand in as strings)."""
    return {name: (value.decode("utf-8", "replace") if name != "media" else "<binary>")
            for name, value in fields.items()}


def violations(method: str, path: str, query: dict[str, list[str]], content_type: str, body: bytes) -> list[str]:
    """Everything in one logged request that X's spec does not allow (empty: it conforms)."""
    from fakes._x_wire import parse_multipart

    op = operation(method, path)
    if op is None:
        return [f"{method} {path}: not an operation of the vendored spec"]
    found = [message for _, message in query_violations(op, query)]
    if op.body_schema is not None:
        if content_type.startswith("multipart/form-data"):
            parsed: Any = multipart_fields_as_body(parse_multipart(body, content_type))
        else:
            try:
                parsed = json.loads(body.decode("utf-8"))
            except ValueError:
                return [*found, f"{method} {path}: body is not JSON"]
        found += body_violations(op, parsed)
    return found
