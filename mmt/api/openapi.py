"""OpenAPI 3.1 document generated from the pydantic request and response models.

Each route declares its models with :func:`documented`; the document served
at ``/api/openapi.json`` is assembled from that registry, so the schemas the
API validates against are the schemas it publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import BaseModel

from mmt import __version__


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    multipart: dict[str, Any] | None = None
    query: list[dict[str, Any]] = field(default_factory=list)
    responses: dict[int, str] = field(default_factory=dict)
    raw_response: str | None = None


REGISTRY: list[Operation] = []


def documented(method: str, path: str, summary: str, tag: str, **kwargs: Any) -> Callable:
    """Register an operation of the OpenAPI document (decorator, returns the view unchanged).

    ``path`` uses OpenAPI braces, e.g. ``/api/datasets/{dataset_id}``.
    """

    def decorator(view: Callable) -> Callable:
        REGISTRY.append(Operation(method.lower(), path, summary, tag, **kwargs))
        return view

    return decorator


class ErrorBody(BaseModel):
    """The JSON error envelope."""

    success: bool = False
    error: str
    code: str
    details: dict[str, Any] | None = None
    request_id: str | None = None


def _schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def build_document() -> dict[str, Any]:
    """Assemble the OpenAPI document from the registry."""
    components: dict[str, Any] = {}
    error_ref = _schema_ref(ErrorBody, components)
    paths: dict[str, Any] = {}
    for operation in REGISTRY:
        item: dict[str, Any] = {
            "summary": operation.summary,
            "tags": [operation.tag],
            "operationId": f"{operation.method}_{operation.path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
        }
        parameters = []
        for segment in operation.path.split("/"):
            if segment.startswith("{"):
                name = segment.strip("{}")
                parameters.append({"name": name, "in": "path", "required": True,
                                   "schema": {"type": "integer" if name.endswith("_id") and name != "job_id" else "string"}})
        parameters.extend(operation.query)
        if parameters:
            item["parameters"] = parameters
        if operation.request is not None:
            item["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": _schema_ref(operation.request, components)}},
            }
        if operation.multipart is not None:
            item["requestBody"] = {
                "required": True,
                "content": {"multipart/form-data": {"schema": operation.multipart}},
            }
        responses: dict[str, Any] = {}
        if operation.response is not None:
            responses["200"] = {
                "description": "Success",
                "content": {"application/json": {"schema": _schema_ref(operation.response, components)}},
            }
        elif operation.raw_response is not None:
            responses["200"] = {"description": "Success", "content": {operation.raw_response: {"schema": {"type": "string", "format": "binary"}}}}
        else:
            responses["200"] = {"description": "Success"}
        for status, description in (operation.responses or {}).items():
            responses[str(status)] = {"description": description}
        for status in ("400", "404", "422"):
            responses.setdefault(status, {"description": "Error", "content": {"application/json": {"schema": error_ref}}})
        item["responses"] = responses
        paths.setdefault(operation.path, {})[operation.method] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MMT - Model Monitoring Tool API",
            "version": __version__,
            "description": "Upload monitoring extracts of PD, LGD, EAD/CCF and macro models, run the supervisory test battery and compare figures with thresholds.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components},
    }
