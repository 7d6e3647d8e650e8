"""Every option of the analysis request bodies is described in the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

ANALYSIS_PATHS = (
    "/api/analyze/macro",
    "/api/analyze/lgd",
    "/api/analyze/ead",
    "/api/analyze/pd",
    "/api/analyze/stability",
    "/api/analyze/woe",
    "/api/analyze/rating_transition",
)


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` such as ``#/components/schemas/PDAnalyzeRequest`` to its schema."""
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def description_of(document: dict[str, Any], prop: dict[str, Any]) -> str:
    """Return a property's description, or that of the schema it only refers to."""
    if prop.get("description"):
        return prop["description"]
    return resolve(document, prop).get("description", "")


@pytest.fixture
def document(client) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.mark.parametrize("path", ANALYSIS_PATHS)
def test_analysis_options_described(document, path):
    body = document["paths"][path]["post"]["requestBody"]
    schema = resolve(document, body["content"]["application/json"]["schema"])
    properties = schema["properties"]
    assert "dataset_id" in properties
    assert "reference_dataset_id" in properties
    undescribed = sorted(name for name, prop in properties.items() if not description_of(document, prop).strip())
    assert undescribed == [], f"{path}: options without a description: {undescribed}"


def test_every_api_route_documented(app, document):
    from mmt.api.schemas import MODEL_TYPES

    # The generic upload and analysis routes are documented once per type, and the document does not list itself.
    expanded = {
        "/api/upload/{model_type}": [f"/api/upload/{model_type}" for model_type in MODEL_TYPES],
        "/api/analyze/{analysis_type}": list(ANALYSIS_PATHS),
        "/api/openapi.json": [],
    }
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = rule.rule
        for converter in ("int:", "path:", "string:"):
            path = path.replace(f"<{converter}", "<")
        path = path.replace("<", "{").replace(">", "}")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for documented_path in expanded.get(path, [path]):
                if method.lower() not in document["paths"].get(documented_path, {}):
                    missing.append(f"{method} {documented_path}")
    assert missing == [], missing
