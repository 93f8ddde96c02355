"""The OpenAPI schema is enough to write a client: every JSON answer is typed (bundles, receipts, trail
bundles, transaction logs), and every operation declares its error answers with the error model,
whose codes include each refusal's own code."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

UNTYPED = (
    {},
    {"type": "object"},
    {"type": "object", "additionalProperties": True},
    {"additionalProperties": True, "type": "object"},
)
NOT_JSON = {  # text, or JSON/CSV/HTML
    ("/metrics", "get"),
    ("/audit/verify", "post"),
    ("/audit/latest", "get"),
    ("/audit/consortium/latest", "get"),
}


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else node


def test_every_json_answer_is_typed_and_every_error_is_declared(api: Api) -> None:
    schema = api.client().request("GET", "/openapi.json")
    untyped, undeclared = [], []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            ok = next((op["responses"][s] for s in ("200", "201") if s in op["responses"]), None)
            if ok is not None and (path, method) not in NOT_JSON:
                body = ok.get("content", {}).get("application/json", {}).get("schema", {})
                if body in UNTYPED:
                    untyped.append(f"{method.upper()} {path}")
            for status in ("422", "500", "503"):
                content = op["responses"].get(status, {}).get("content", {}).get("application/json", {})
                if "$ref" not in content.get("schema", {}):
                    undeclared.append(f"{method.upper()} {path} {status}")
            if op.get("security") and "401" not in op["responses"]:
                undeclared.append(f"{method.upper()} {path} 401")
    assert untyped == [] and undeclared == []
    models = schema["components"]["schemas"]
    bundle = models["TrailBundle"]
    assert {"events", "anchors", "head", "contracts"} <= set(bundle["properties"])
    event = _resolve(schema, models["BundledEvent"])
    assert "null until anchored" in event["properties"]["proof"]["description"]
    read = _resolve(schema, models["ReadOut"])
    assert read["properties"]["bundle"]["$ref"].endswith("/DisclosureBundle")
    assert read["properties"]["receipt"]["$ref"].endswith("/Receipt")
    error = models["ErrorOut"]
    decisions = error["properties"]["decision"]["anyOf"][0]["enum"]
    assert {"grant_revoked", "fields_not_covered", "consent_refused", "no_grant"} <= set(decisions)
    assert "unknown_purpose" in error["properties"]["code"]["description"]
