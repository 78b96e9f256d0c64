"""The collector's OpenAPI document, derived from the route table and the events.v1 model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collector.protocols import Route
from lakehouse.schema import SCHEMA_ID, ClientEventV1, Protocol
from lakehouse.settings import Settings

ERROR = {
    "description": "rejected, with a reason",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
            }
        }
    },
}
OBJECT = {"type": "object"}


def _body_schema(protocol: Protocol, path: str) -> dict[str, Any]:
    event = {"$ref": "#/components/schemas/ClientEventV1"}
    if protocol is Protocol.NATIVE:
        return {"type": "array", "items": event} if path.endswith("/b") else event
    return OBJECT


def openapi_document(routes: Mapping[tuple[str, str], Route], settings: Settings) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), route in sorted(routes.items()):
        protocol = route.protocol
        operation: dict[str, Any] = {
            "summary": f"{protocol.value} events",
            "tags": [protocol.value],
            "responses": {
                "200": {"description": "accepted (counts of accepted and rejected events)"},
                "202": {"description": "accepted"},
                "204": {"description": "accepted (GA4)"},
                **{
                    code: ERROR for code in ("400", "401", "403", "404", "408", "413", "429", "503")
                },
            },
        }
        if method == "POST":
            schema = _body_schema(protocol, path)
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": schema},
                    "text/plain": {"schema": {"type": "string"}},
                },
            }
        else:
            operation["parameters"] = [
                {"name": "aid", "in": "query", "schema": {"type": "string"}},
                {"name": "e", "in": "query", "schema": {"type": "string"}},
            ]
        paths.setdefault(path, {})[method.lower()] = operation
    for path, summary in (("/health", "health"), ("/metrics", "Prometheus metrics")):
        paths[path] = {"get": {"summary": summary, "responses": {"200": {"description": "ok"}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "beacon collector", "version": SCHEMA_ID},
        "servers": [{"url": f"http://{settings.host}:{settings.ports.collector}"}],
        "paths": paths,
        "components": {
            "schemas": {
                "ClientEventV1": ClientEventV1.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                )
            }
        },
    }
