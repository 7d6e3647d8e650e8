"""The date_format upload option: a format strptime cannot use gets 422 invalid_option, and nothing is stored."""

from __future__ import annotations

import io
import json

import pytest

CSV = b"pd,default_flag,snapshot_date\n0.1,0,03/04/2023\n0.2,1,13/04/2023\n"


def post_with_format(client, date_format: str):
    data = {"file": (io.BytesIO(CSV), "dates.csv"), "options": json.dumps({"date_format": date_format})}
    return client.post("/api/upload/pd", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("date_format", ["%d%d/%m/%Y", "%d/%m/%Y %z%z", "%Q/%m/%Y", "%d/%m/%"])
def test_unusable_date_format_rejected(client, date_format):
    response = post_with_format(client, date_format)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid_option"
    assert body["details"]["option"] == "date_format"
    assert body["details"]["value"] == date_format
    assert date_format in body["error"]
    assert client.get("/api/datasets").get_json()["total"] == 0


def test_usable_date_format_accepted(client):
    response = post_with_format(client, "%d/%m/%Y")
    assert response.status_code == 200
    assert response.get_json()["success"] is True


@pytest.mark.parametrize("date_format", [["%d/%m/%Y"], {"%d": 1}])
def test_date_format_not_string_rejected(client, date_format):
    data = {"file": (io.BytesIO(CSV), "dates.csv"), "options": json.dumps({"date_format": date_format})}
    response = client.post("/api/upload/pd", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid_option"
    assert body["details"]["option"] == "date_format"
