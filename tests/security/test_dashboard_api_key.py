"""The dashboard under MMT_AUTH=on: a field for the API key, sent as the header the API reads."""

from __future__ import annotations

import re

import pytest

from tests.security.conftest import close_app, make_app


@pytest.fixture
def open_app(database_url, tmp_path):
    application = make_app(database_url, tmp_path)
    yield application
    close_app(application)


def _script(client) -> str:
    return client.get("/assets/dashboard.js").get_data(as_text=True)


def test_key_form_shown_under_auth(secured_app):
    page = secured_app.test_client().get("/").get_data(as_text=True)
    assert 'data-auth="on"' in page
    assert '<form id="api-key-form"' in page
    assert re.search(r'<input type="password" id="api-key"', page)
    assert 'id="api-key-forget"' in page
    assert "X-API-Key" in page
    assert "<script>" not in page


def test_key_form_absent_without_auth(open_app):
    page = open_app.test_client().get("/").get_data(as_text=True)
    assert 'data-auth="off"' in page
    assert "api-key-form" not in page


def test_script_header_is_accepted_by_api(secured_app, keys):
    client = secured_app.test_client()
    header = re.search(r'var KEY_HEADER = "([^"]+)";', _script(client)).group(1)
    assert client.get("/api/summary").status_code == 401
    assert client.get("/api/summary", headers={header: keys.viewer}).status_code == 200
    assert client.get("/api/summary", headers={header: keys.revoked}).status_code == 401


def test_script_keeps_key_in_session_storage(secured_app):
    script = _script(secured_app.test_client())
    assert "window.sessionStorage.setItem(KEY_STORAGE_NAME, key)" in script
    assert "window.sessionStorage.removeItem(KEY_STORAGE_NAME)" in script
    assert "localStorage" not in script
    assert 'getElementById("api-key-forget")' in script


def test_script_explains_401_and_403(secured_app):
    script = _script(secured_app.test_client())
    assert "error.status === 401" in script
    assert "the server requires an API key. Enter your key in the API key field above" in script
    assert "error.status === 403" in script
    assert "error.details && error.details.required_role" in script


def test_403_names_role_the_script_reads(secured_app, keys):
    # The dashboard's 403 message names details.required_role, so the API must send it.
    response = secured_app.test_client().post(
        "/api/upload/pd", data={}, headers={"X-API-Key": keys.viewer}, content_type="multipart/form-data"
    )
    assert response.status_code == 403
    assert response.get_json()["details"]["required_role"] == "analyst"
