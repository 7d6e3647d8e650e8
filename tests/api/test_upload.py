"""Uploads and datasets over HTTP: every broken file, storage all-or-nothing, CRUD."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest

from tests.conftest import DATA

BAD = DATA / "bad"
MANIFEST = list(csv.DictReader(open(BAD / "MANIFEST.csv", encoding="utf-8")))
REJECTED = [row["file"] for row in MANIFEST if row["mmt_expects"].startswith("reject")]
ACCEPTED = [row["file"] for row in MANIFEST if row["mmt_expects"].startswith("accept")]


def stored_state(app) -> tuple[int, list[str]]:
    """Number of dataset rows and the files under the data folder."""
    state = app.extensions["mmt"]
    with state.database.session() as session:
        from sqlalchemy import func, select

        from mmt.storage.models import Dataset

        count = session.scalar(select(func.count(Dataset.id)))
    files = sorted(str(path.relative_to(state.files.root)) for path in state.files.root.rglob("*")
                   if path.is_file() and not path.name.startswith(".migrate") and "mmt.sqlite3" not in path.name)
    return count, files


def test_manifest_covers_every_bad_file():
    files = {path.name for path in BAD.iterdir() if path.name != "MANIFEST.csv"}
    assert files == {row["file"] for row in MANIFEST}


@pytest.mark.parametrize("name", REJECTED)
def test_bad_file_rejected_and_nothing_stored(app, client, upload, name):
    upload("pd", "pd_germancredit.csv")
    before = stored_state(app)
    response = upload("pd", f"bad/{name}")
    assert 400 <= response.status_code < 500, response.get_json()
    body = response.get_json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and len(body["error"]) > 10
    assert body["code"]
    assert stored_state(app) == before


EXPECTED_CODES = {
    "missing_required_column.csv": ("missing_column", "default_flag"),
    "non_numeric_pd.csv": ("non_numeric", "pd"),
    "pd_out_of_range.csv": ("out_of_range", "pd"),
    "default_flag_invalid.csv": ("invalid_default_flag", "default_flag"),
    "empty.csv": ("empty_file", None),
    "header_only.csv": ("no_data_rows", None),
    "ragged_rows.csv": ("malformed_csv", None),
    "duplicate_column_names.csv": ("duplicate_columns", "pd"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_CODES))
def test_bad_file_message_names_problem(upload, name):
    code, column = EXPECTED_CODES[name]
    body = upload("pd", f"bad/{name}").get_json()
    assert body["code"] == code
    if column:
        assert column in body["error"] or column in str(body.get("details"))


def test_binary_file_is_unsupported_media(upload):
    response = upload("pd", "bad/binary_disguised.csv")
    assert response.status_code == 415
    assert response.get_json()["code"] == "unreadable_file"


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_bad_file_stored(client, upload, name):
    response = upload("pd", f"bad/{name}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["dataset"]["n_rows"] > 0
    assert "obligor_id" in body["dataset"]["columns"] or "obligor_id" in body["dataset"]["roles"]


def test_upload_over_limit_gives_413(tmp_path, database_url):
    from mmt import create_app

    app = create_app({"instance_dir": tmp_path / "small", "data_dir": tmp_path / "small_data",
                      "database_url": database_url, "max_upload_mb": 1, "log_level": "WARNING"})
    client = app.test_client()
    payload = b"pd,default_flag\n" + b"0.1,0\n" * 300_000
    response = client.post("/api/upload/pd", data={"file": (io.BytesIO(payload), "big.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"
    app.extensions["mmt"].database.dispose()


def test_upload_without_file_field(client):
    response = client.post("/api/upload/pd", data={"other": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.get_json()["code"] == "missing_file"


def test_upload_unknown_type(client):
    response = client.post("/api/upload/xyz", data={"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 404
    assert response.get_json()["code"] == "unknown_model_type"


def test_download_is_byte_for_byte(client, upload):
    path = DATA / "mmt_original" / "Data_PD_Model.csv"
    dataset_id = upload("pd", "mmt_original/Data_PD_Model.csv").get_json()["dataset_id"]
    for url in (f"/api/datasets/{dataset_id}/download", f"/api/database/download/{dataset_id}"):
        response = client.get(url)
        assert response.status_code == 200
        assert hashlib.sha256(response.data).hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
        assert 'filename="Data_PD_Model.csv"' in response.headers["Content-Disposition"]


def test_dataset_crud(client, upload):
    first = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    second = upload("lgd", "lgd_synthetic.csv").get_json()["dataset_id"]
    listing = client.get("/api/datasets").get_json()
    assert [item["id"] for item in listing["datasets"]] == [first, second]
    assert listing["total"] == 2
    only_pd = client.get("/api/database/datasets?model_type=pd").get_json()
    assert [item["id"] for item in only_pd["datasets"]] == [first]
    page = client.get("/api/datasets?per_page=1&page=2").get_json()
    assert [item["id"] for item in page["datasets"]] == [second]
    detail = client.get(f"/api/datasets/{first}").get_json()["dataset"]
    assert detail["quality"]
    assert detail["roles"]["pd"] == "pd"
    assert detail["file_type"] == "pd"
    updated = client.put(f"/api/database/datasets/{first}", json={"name": "German credit", "description": "sample", "is_baseline": True})
    assert updated.status_code == 200
    assert updated.get_json()["dataset"]["name"] == "German credit"
    assert updated.get_json()["dataset"]["is_baseline"] is True
    assert client.put(f"/api/datasets/{first}", json={"colour": "red"}).status_code == 400
    assert client.put(f"/api/datasets/{second}", json={"is_baseline": True}).status_code == 400
    analysis = client.post("/api/analyze/lgd", json={"dataset_id": second})
    assert analysis.status_code == 200, analysis.get_json()
    result_id = analysis.get_json()["analysis_result_id"]
    assert client.delete(f"/api/database/datasets/{second}").status_code == 200
    assert client.get(f"/api/datasets/{second}").status_code == 404
    assert client.get(f"/api/analyses/{result_id}").status_code == 404
    assert client.delete(f"/api/datasets/{second}").status_code == 404


def test_invalid_pagination(client):
    assert client.get("/api/datasets?page=0").status_code == 422
    assert client.get("/api/datasets?per_page=abc").status_code == 422


def test_deeply_nested_form_json_rejected(client):
    nested = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/upload/pd", data={"file": (io.BytesIO(b"pd,default_flag\n0.1,0\n"), "x.csv"), "options": nested},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_json"


def test_result_list_omits_result_data_unless_asked(client, upload):
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    client.post("/api/analyze/pd", json={"dataset_id": dataset_id})
    assert client.get("/api/analyses").get_json()["analysis_results"][0]["result_data"] is None
    assert client.get("/api/analyses?include_results=1").get_json()["analysis_results"][0]["result_data"]["discrimination"]
    assert client.get("/api/database/analysis-results").get_json()["analysis_results"][0]["result_data"]["discrimination"]


def test_cut_json_field_points_to_form_string(client):
    # What curl -F sends for columns={"pd": "PD", "default_flag": "DEF"; ...}: the value ends at the ";".
    data = {"file": (io.BytesIO(b"pd,default_flag\n0.1,0\n"), "cut.csv"), "columns": '{"pd": "PD'}
    response = client.post("/api/upload/pd", data=data, content_type="multipart/form-data")
    body = response.get_json()
    assert response.status_code == 400, body
    assert body["code"] == "invalid_json"
    assert "(Unterminated string starting at: character 7)" in body["error"]
    assert "--form-string" in body["error"]
    assert body["details"] == {"field": "columns", "position": 7}
