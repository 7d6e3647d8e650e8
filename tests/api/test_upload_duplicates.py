"""POST /api/upload/<type> with bytes already stored as a dataset of the same type: stored, with a warning."""

from __future__ import annotations

import hashlib
import io

CONTENT = b"obligor_id,pd,default_flag\n1,0.1,0\n2,0.2,1\n3,0.05,0\n"


def _upload(client, model_type: str = "pd", content: bytes = CONTENT, **form) -> dict:
    data = {"file": (io.BytesIO(content), "extract.csv"), **form}
    response = client.post(f"/api/upload/{model_type}", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _duplicate_warnings(body: dict) -> list[dict]:
    return [warning for warning in body["warnings"] if warning["code"] == "duplicate_upload"]


def test_first_upload_has_no_duplicate_warning(client):
    body = _upload(client)

    assert _duplicate_warnings(body) == []


def test_same_content_warns_with_existing_dataset(client):
    first = _upload(client, name="Q4 extract")
    second = _upload(client)

    [warning] = _duplicate_warnings(second)
    assert second["dataset_id"] != first["dataset_id"]
    assert warning["details"]["existing_dataset_ids"] == [first["dataset_id"]]
    assert warning["details"]["existing_names"] == ["Q4 extract"]
    assert warning["details"]["dataset_id"] == second["dataset_id"]
    assert warning["details"]["model_type"] == "pd"
    assert f'dataset {first["dataset_id"]} ("Q4 extract")' in warning["message"]
    assert f'DELETE /api/datasets/{second["dataset_id"]}' in warning["message"]
    assert second["dataset"]["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert first["dataset"]["sha256"] == second["dataset"]["sha256"]


def test_warning_lists_every_earlier_copy(client):
    ids = [_upload(client)["dataset_id"] for _ in range(2)]
    third = _upload(client)

    [warning] = _duplicate_warnings(third)
    assert warning["details"]["existing_dataset_ids"] == ids
    assert "datasets" in warning["message"]


def test_warning_stored_with_dataset(client):
    _upload(client)
    second = _upload(client)

    response = client.get(f"/api/datasets/{second['dataset_id']}")
    assert response.status_code == 200
    codes = [warning["code"] for warning in response.get_json()["dataset"]["warnings"]]
    assert codes.count("duplicate_upload") == 1


def test_other_model_type_not_warned(client):
    _upload(client, "pd")
    baseline = _upload(client, "pd_baseline")

    assert _duplicate_warnings(baseline) == []


def test_other_content_not_warned(client):
    _upload(client)
    changed = _upload(client, content=CONTENT.replace(b"0.05", b"0.06"))

    assert _duplicate_warnings(changed) == []


def test_deleted_copy_not_warned(client):
    first = _upload(client)
    response = client.delete(f"/api/datasets/{first['dataset_id']}")
    assert response.status_code == 200
    again = _upload(client)

    assert _duplicate_warnings(again) == []
