"""Every route × every kind of caller gets the right 401 or 403, and nothing else gets either.

The role each route needs is written out here, not taken from
:mod:`mmt.security.roles`, so the test checks the code against the rule:
viewers read; analysts also upload, analyse and retry jobs; administrators
also change thresholds, edit, delete and read the audit trail. A route that
the table does not classify fails the test.
"""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from tests.reliability.figures import record
from tests.security.conftest import ADMIN_BOOTSTRAP_KEY, close_app, make_app

RANK = {"viewer": 0, "analyst": 1, "admin": 2}

# (method, Flask rule) -> least role; None = public.
EXPLICIT = {
    ("GET", "/api/health"): None,
    ("GET", "/api/openapi.json"): None,
    ("GET", "/api/audit"): "admin",
    ("POST", "/api/upload/<model_type>"): "analyst",
    ("POST", "/api/analyze/<analysis_type>"): "analyst",
    ("POST", "/api/jobs/<job_id>/retry"): "analyst",
    ("POST", "/api/thresholds"): "admin",
    ("POST", "/api/user-thresholds"): "admin",
}
ADMIN_WRITE_METHODS = {"PUT", "PATCH", "DELETE"}
ADMIN_WRITE_RULES = ("/api/datasets/<int:dataset_id>", "/api/database/datasets/<int:dataset_id>",
                     "/api/analyses/<int:result_id>", "/api/database/analysis-results/<int:result_id>")

EXAMPLE_VALUES = {"model_type": "pd", "analysis_type": "pd", "job_id": "0" * 32, "filename": "dashboard.css"}


def expected_role(method: str, rule: str) -> str | None:
    if (method, rule) in EXPLICIT:
        return EXPLICIT[(method, rule)]
    if not rule.startswith("/api/"):
        return None
    if method == "GET":
        return "viewer"
    if method in ADMIN_WRITE_METHODS and rule in ADMIN_WRITE_RULES:
        return "admin"
    raise AssertionError(f"{method} {rule} is not in the role matrix of this test; classify it.")


def concrete(rule) -> str:
    def value(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        return "999999" if converter == "int" else EXAMPLE_VALUES.get(name, "x")

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule.rule)


def routes(application):
    for rule in application.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule


def call(client, method: str, path: str, headers: dict):
    if method in ("POST", "PUT", "PATCH"):
        return client.open(path, method=method, json={}, headers=headers)
    return client.open(path, method=method, headers=headers)


def test_role_matrix_every_route(secured_app, keys, request):
    client = secured_app.test_client()
    callers = {
        "no key": (None, {}),
        "unknown key": (None, {"X-API-Key": "mmt_" + "A" * 43}),
        "revoked key": (None, {"X-API-Key": keys.revoked}),
        "wrong scheme": (None, {"Authorization": f"Basic {keys.admin}"}),
        "viewer": ("viewer", {"X-API-Key": keys.viewer}),
        "analyst": ("analyst", {"Authorization": f"Bearer {keys.analyst}"}),
        "admin": ("admin", {"X-API-Key": keys.admin}),
        "bootstrap admin": ("admin", {"Authorization": f"Bearer {ADMIN_BOOTSTRAP_KEY}"}),
    }
    checked = 0
    wrong = []
    for method, rule in routes(secured_app):
        needed = expected_role(method, rule.rule)
        path = concrete(rule)
        for caller, (role, headers) in callers.items():
            status = call(client, method, path, headers).status_code
            if needed is None:
                right = status not in (401, 403)
            elif role is None:
                right = status == 401
            elif RANK[role] < RANK[needed]:
                right = status == 403
            else:
                right = status not in (401, 403)
            checked += 1
            if not right:
                wrong.append((method, rule.rule, caller, status, needed))
    assert not wrong, wrong
    # 36 method-route pairs at the time of writing, 8 callers each.
    assert checked >= 8 * 30
    record(f"access_matrix_{request.node.callspec.id}",
           {"route_method_pairs": checked // len(callers), "callers": len(callers), "combinations_checked": checked,
            "wrong": len(wrong)})


def test_auth_off_needs_no_key(app):
    client = app.test_client()
    for method, rule in routes(app):
        response = call(client, method, concrete(rule), {})
        assert response.status_code not in (401, 403), (method, rule.rule, response.status_code)


def test_401_403_envelope(secured_app, keys):
    client = secured_app.test_client()
    missing = client.get("/api/datasets")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    body = missing.get_json()
    assert body["success"] is False
    assert body["code"] == "unauthorized"
    assert body["request_id"]
    denied = client.delete("/api/datasets/1", headers={"X-API-Key": keys.analyst})
    assert denied.status_code == 403
    assert denied.get_json()["code"] == "forbidden"
    assert denied.get_json()["details"] == {"required_role": "admin", "role": "analyst"}


def test_unknown_path_needs_key(secured_app, keys):
    client = secured_app.test_client()
    assert client.get("/api/no-such-route").status_code == 401
    assert client.get("/api/no-such-route", headers={"X-API-Key": keys.viewer}).status_code == 404
    # The dashboard page and a CORS preflight need no key.
    assert client.get("/").status_code == 200
    assert client.options("/api/datasets").status_code != 401


def test_keys_stored_hashed(secured_app, keys, database_url):
    from mmt.security.models import ApiKey

    state = secured_app.extensions["mmt"]
    with state.database.session() as session:
        rows = {row.name: row for row in session.scalars(sa.select(ApiKey))}
        dumped = repr([(r.name, r.role, r.key_hash, r.prefix) for r in rows.values()])
    assert rows["viewer-key"].key_hash == hashlib.sha256(keys.viewer.encode()).hexdigest()
    assert rows["admin-key"].key_hash == hashlib.sha256(keys.admin.encode()).hexdigest()
    for key in (keys.viewer, keys.analyst, keys.admin):
        assert key not in dumped
        assert len(key) >= 40
    if database_url.startswith("sqlite"):
        raw = bytearray()
        for suffix in ("", "-wal"):
            path = database_url.removeprefix("sqlite:///") + suffix
            try:
                raw += open(path, "rb").read()
            except FileNotFoundError:
                pass
        for key in (keys.viewer, keys.analyst, keys.admin):
            assert key.encode() not in raw


def test_threshold_changed_by_key_name(secured_app, keys):
    client = secured_app.test_client()
    response = client.post("/api/thresholds", json={"psi_threshold": 0.12}, headers={"X-API-Key": keys.admin})
    assert response.status_code == 200
    history = client.get("/api/thresholds/history", headers={"X-API-Key": keys.viewer}).get_json()["history"]
    assert history[0]["changed_by"] == "admin-key"
    assert history[0]["key"] == "psi_threshold"
    assert history[0]["new_value"] == 0.12


def test_revoked_key_rejected(secured_app, keys):
    from mmt.security.apikeys import revoke_api_key

    client = secured_app.test_client()
    assert client.get("/api/summary", headers={"X-API-Key": keys.viewer}).status_code == 200
    with secured_app.extensions["mmt"].database.session() as session:
        revoke_api_key(session, "viewer-key")
    assert client.get("/api/summary", headers={"X-API-Key": keys.viewer}).status_code == 401


def test_short_bootstrap_key_rejected(tmp_path):
    with pytest.raises(RuntimeError, match="at least 20"):
        make_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path, auth_enabled=True,
                 extra={"admin_api_key": "short"})


def test_mmt_auth_setting(monkeypatch):
    from mmt.config import load_settings

    monkeypatch.setenv("MMT_AUTH", "on")
    assert load_settings({"instance_dir": "/tmp/x"}).auth_enabled is True
    monkeypatch.setenv("MMT_AUTH", "off")
    assert load_settings({"instance_dir": "/tmp/x"}).auth_enabled is False
    monkeypatch.delenv("MMT_AUTH")
    assert load_settings({"instance_dir": "/tmp/x"}).auth_enabled is False


def test_cli_apikey_create_list_revoke(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from mmt.cli import main

    monkeypatch.setenv("MMT_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MMT_DATA_DIR", raising=False)
    runner = CliRunner()
    created = runner.invoke(main, ["apikey", "create", "--role", "admin", "--name", "alice"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    assert key.startswith("mmt_")
    assert len(key) > 40
    listed = runner.invoke(main, ["apikey", "list"])
    assert "alice\tadmin" in listed.stdout
    assert key not in listed.stdout
    again = runner.invoke(main, ["apikey", "create", "--role", "viewer", "--name", "alice"])
    assert again.exit_code == 1
    application = make_app(f"sqlite:///{tmp_path / 'mmt.sqlite3'}", tmp_path, auth_enabled=True)
    try:
        client = application.test_client()
        assert client.delete("/api/datasets/5", headers={"X-API-Key": key}).status_code == 404
        assert runner.invoke(main, ["apikey", "revoke", "--name", "alice"]).exit_code == 0
        assert client.delete("/api/datasets/5", headers={"X-API-Key": key}).status_code == 401
    finally:
        close_app(application)
