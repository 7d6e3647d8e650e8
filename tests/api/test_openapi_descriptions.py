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
