"""Fixtures for the original front end's profile: apps, uploads and the pages' requests.

Uploads are sent as the front end's Data Upload page sends them: multipart
with the single field ``file`` (the unused ``uploadMacroFile`` helper adds a
``description``, which one test sends too). Analyses are requested with the
exact JSON bodies the pages post.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conftest import DATA

ORIGINAL = DATA / "mmt_original"
PROFILE = {"api_profile": "original-frontend"}
FRONTEND_ORIGIN = "http://127.0.0.1:5173"
UPLOADS = (
    ("pd_baseline", "Data_PD_Model_pvs_qtr.csv"),
    ("pd", "Data_PD_Model.csv"),
    ("lgd", "lgd_mock_data.csv"),
    ("ead", "EAD_Mock_Data.xlsx"),
    ("macro", "MacroData_predicted_defaultrate.xlsx"),
)
MOODYS_ORDER = ["Aaa", "Aa1", "Aa2", "Aa3", "A1", "A2", "A3", "Baa1", "Baa2", "Baa3",
                "Ba1", "Ba2", "Ba3", "B1", "B2", "B3", "Caa1", "Caa2", "Caa3", "Ca", "C"]


def make_app(tmp: Path, database_url: str | None = None, **overrides: Any):
    from mmt import create_app

    settings = {
        "instance_dir": tmp / "instance",
        "data_dir": tmp / "data",
        "database_url": database_url or f"sqlite:///{tmp / 'mmt.sqlite3'}",
        "log_level": "WARNING",
        **overrides,
    }
    application = create_app(settings)
    application.config["TESTING"] = True
    return application


def close_app(application) -> None:
    application.extensions["mmt"].jobs.executor.shutdown(wait=True)
    application.extensions["mmt"].database.dispose()


def upload_file(client, model_type: str, path: Path, **form: str):
    """Post ``path`` as the Data Upload page does: multipart field ``file``."""
    with open(path, "rb") as handle:
        return client.post(f"/api/upload/{model_type}", data={"file": (handle, path.name), **form},
                           content_type="multipart/form-data")


def strict_json(response) -> Any:
    """Parse the body, failing on NaN, Infinity or any non-JSON token."""

    def reject(token: str):
        raise AssertionError(f"non-standard JSON token {token} in {response.request.path}")

    return json.loads(response.get_data(as_text=True), parse_constant=reject)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def assert_numbers(values: Any, name: str) -> None:
    assert isinstance(values, list), f"{name} is not a list"
    for index, value in enumerate(values):
        assert is_number(value), f"{name}[{index}] = {value!r} is not a finite number"


def read_pd(name: str) -> pd.DataFrame:
    """Read a PD sample with stripped column names and the canonical PD and flag names."""
    frame = pd.read_csv(ORIGINAL / name)
    frame.columns = [column.strip() for column in frame.columns]
    return frame.rename(columns={"PD_1_YR": "pd", "Def_Flag": "default_flag", "TTCReportingRating": "rating"})


def read_lgd() -> pd.DataFrame:
    frame = pd.read_csv(ORIGINAL / "lgd_mock_data.csv")
    return frame.drop(columns=[column for column in frame.columns if column.startswith("Unnamed")])


def read_ead() -> pd.DataFrame:
    return pd.read_excel(ORIGINAL / "EAD_Mock_Data.xlsx", engine="openpyxl")


def read_macro() -> pd.DataFrame:
    return pd.read_excel(ORIGINAL / "MacroData_predicted_defaultrate.xlsx", engine="openpyxl").sort_values("snapshot_ccyymm")


def floored_psi(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """PSI with empty proportions floored at 0.0001, written out."""
    reference = np.asarray(reference_counts, dtype=float) / np.sum(reference_counts)
    current = np.asarray(current_counts, dtype=float) / np.sum(current_counts)
    reference = np.where(reference == 0, 1e-4, reference)
    current = np.where(current == 0, 1e-4, current)
    return float(np.sum((current - reference) * np.log(current / reference)))


@pytest.fixture
def compat_app(database_url, tmp_path):
    """An app with the profile on a fresh database (SQLite, and PostgreSQL when configured)."""
    application = make_app(tmp_path, database_url, **PROFILE)
    yield application
    close_app(application)


@pytest.fixture
def compat_client(compat_app):
    return compat_app.test_client()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A profile app with the five sample files uploaded; its client runs each page's requests."""
    application = make_app(tmp_path_factory.mktemp("compat"), **PROFILE)
    client = application.test_client()
    for model_type, name in UPLOADS:
        form = {"description": "Macro economic data file"} if model_type == "macro" else {}
        response = upload_file(client, model_type, ORIGINAL / name, **form)
        assert response.status_code == 200, response.get_json()
    yield client
    close_app(application)


@pytest.fixture(scope="module")
def page_responses(loaded):
    """The JSON of each page's first requests, in the order the pages send them."""
    cache: dict[str, Any] = {}

    def _get(key: str):
        if key not in cache:
            method, path, body = PAGE_REQUESTS[key]
            response = loaded.open(path, method=method, json=body) if body is not None else loaded.open(path, method=method)
            assert response.status_code == 200, response.get_data(as_text=True)
            cache[key] = strict_json(response)
        return cache[key]

    return _get


PAGE_REQUESTS: dict[str, tuple[str, str, Any]] = {
    "pd": ("POST", "/api/analyze/pd", {"sortingMethod": "PD_1_YR", "request_id": "k3j2h1"}),
    "pd_rating": ("POST", "/api/analyze/pd", {"sortingMethod": "TTCReportingRating", "request_id": "k3j2h2"}),
    "lgd_options": ("GET", "/api/lgd/options", None),
    "lgd_first": ("POST", "/api/analyze/lgd", {}),
    "lgd_all_models": ("POST", "/api/analyze/lgd", {"modelName": "Advanced_LGD,Basic_LGD,LGD_v1,LGD_v2"}),
    "lgd_quarter": ("POST", "/api/analyze/lgd", {"quarter": "2020Q1", "modelName": "Advanced_LGD,Basic_LGD,LGD_v1,LGD_v2"}),
    "lgd_cell": ("POST", "/api/analyze/lgd", {"quarter": "2020Q2", "portfolio": "Retail", "modelName": "LGD_v1"}),
    "ead_first": ("POST", "/api/analyze/ead", {"request_id": "e1"}),
    "ead_model": ("POST", "/api/analyze/ead", {"modelName": "model1", "request_id": "e2"}),
    "ead_cell": ("POST", "/api/analyze/ead", {"quarter": "2024Q1", "portfolio": "retail", "modelName": "model1",
                                              "request_id": "e3"}),
    "macro": ("POST", "/api/analyze/macro", {}),
    "summary": ("GET", "/api/summary", None),
}
