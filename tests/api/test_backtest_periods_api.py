"""Reference and current periods of the LGD and EAD/CCF back-tests, through the HTTP layer.

The sample files are uploaded as a user would. Ingest stores their default
date as the ``period`` column, so the rows of a period are selected here
with pandas on ``default_date`` and every figure is recomputed with NumPy,
SciPy and scikit-learn.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from sklearn import metrics as skm

from tests.conftest import DATA

RTOL = 1e-9
ECB_EDGES = [-np.inf, 0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 1.00, np.inf]

LGD_CURRENT = {"start": "2022-01-01", "end": "2023-12-31"}
LGD_REFERENCE = {"start": "2018-01-01", "end": "2021-12-31"}
EAD_CURRENT = {"start": "2022-01-01", "end": "2023-12-31"}
EAD_REFERENCE = {"start": "2019-01-01", "end": "2020-12-31"}


# --------------------------------------------------------------------------- helpers


def in_period(dates: pd.Series, period: dict[str, str]) -> pd.Series:
    return dates.between(pd.Timestamp(period["start"]), pd.Timestamp(period["end"]))


def ecb_gauc(predicted: np.ndarray, realised: np.ndarray) -> float:
    """gAUC on the twelve ECB segments: (Somers' D of the contingency table + 1) / 2."""
    rows = pd.cut(predicted, ECB_EDGES, right=False, labels=False)
    columns = pd.cut(realised, ECB_EDGES, right=False, labels=False)
    table = pd.crosstab(rows, columns).reindex(index=range(12), columns=range(12), fill_value=0).to_numpy()
    return (sps.somersd(table).statistic + 1) / 2


def error_figures(predicted: np.ndarray, realised: np.ndarray) -> dict[str, float]:
    non_zero = realised != 0
    return {
        "MAPE": 100 * np.mean(np.abs(realised[non_zero] - predicted[non_zero]) / np.abs(realised[non_zero])),
        "R-squared": skm.r2_score(realised, predicted),
        "MAE": skm.mean_absolute_error(realised, predicted),
        "RMSE": skm.root_mean_squared_error(realised, predicted),
        "Bias": np.mean(realised - predicted),
    }


def lgd_reference_figures(raw: pd.DataFrame, period: dict[str, str]) -> dict[str, float]:
    dates = pd.to_datetime(raw["default_date"])
    rows = raw[in_period(dates, period) & (raw["workout_status"] != "open")]
    rows = rows.dropna(subset=["realised_lgd", "predicted_lgd"])
    predicted = rows["predicted_lgd"].to_numpy()
    realised = rows["realised_lgd"].to_numpy()
    figures = error_figures(predicted, realised)
    t_test = sps.ttest_rel(realised, predicted, alternative="greater")
    figures.update(
        {
            "facilities": len(rows),
            "mean_predicted": predicted.mean(),
            "mean_realised": realised.mean(),
            "weighted_mean_realised": np.average(realised, weights=rows["ead_at_default"]),
            "gAUC": ecb_gauc(predicted, realised),
            "spearman": sps.spearmanr(predicted, realised).statistic,
            "t_statistic": t_test.statistic,
            "t_pvalue": t_test.pvalue,
        }
    )
    return figures


def ead_reference_figures(raw: pd.DataFrame, period: dict[str, str]) -> dict[str, float]:
    rows = raw[in_period(pd.to_datetime(raw["default_date"]), period)]
    complete = rows.dropna(subset=["ead_at_default", "predicted_ead"])
    predicted = complete["predicted_ead"].to_numpy()
    realised = complete["ead_at_default"].to_numpy()
    figures = error_figures(predicted, realised)
    figures["facilities"] = len(complete)
    figures["ead_ratio"] = realised.sum() / predicted.sum()

    # CCF figures cover lines with an undrawn amount. A missing realised CCF is derived from the amounts.
    undrawn = rows["limit_amount"] - rows["drawn_amount_ref"]
    from_amounts = (rows["ead_at_default"] - rows["drawn_amount_ref"]) / undrawn.where(undrawn > 0)
    ccf_realised = rows["realised_ccf"].fillna(from_amounts)
    usable = (undrawn > 0) & ccf_realised.notna() & rows["predicted_ccf"].notna()
    ccf_predicted = rows.loc[usable, "predicted_ccf"].to_numpy()
    ccf_values = ccf_realised[usable].to_numpy()
    for name, value in error_figures(ccf_predicted, ccf_values).items():
        figures[f"ccf_{name}"] = value
    figures["ccf_facilities"] = int(usable.sum())
    figures["ccf_gAUC"] = ecb_gauc(ccf_predicted, ccf_values)
    return figures


def assert_figures(metrics: dict, expected: dict, label: str) -> None:
    for name, value in expected.items():
        assert metrics[name] == pytest.approx(value, rel=RTOL), f"{label} {name}"


def assert_differences(results: dict, current: dict, reference: dict, names: tuple[str, ...]) -> None:
    difference = results["reference"]["difference"]
    assert set(difference) == set(names)
    for name in names:
        assert difference[name] == pytest.approx(current[name] - reference[name], rel=RTOL, abs=1e-12), name


def upload_frame(client, model_type: str, frame: pd.DataFrame, name: str):
    content = frame.to_csv(index=False).encode()
    data = {"file": (io.BytesIO(content), name)}
    return client.post(f"/api/upload/{model_type}", data=data, content_type="multipart/form-data")


def assert_error(response, code: str, option: str, value: str) -> dict:
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["success"] is False
    assert body["code"] == code
    assert option in body["error"]
    assert value in body["error"]
    assert body["details"]["option"] == option
    return body


@pytest.fixture
def lgd_uploaded(upload):
    response = upload("lgd", "lgd_synthetic.csv")
    assert response.status_code == 200, response.get_json()
    return pd.read_csv(DATA / "lgd_synthetic.csv")


@pytest.fixture
def ead_uploaded(upload):
    response = upload("ead", "ead_synthetic.csv")
    assert response.status_code == 200, response.get_json()
    return pd.read_csv(DATA / "ead_synthetic.csv")


# --------------------------------------------------------------------------- LGD


def test_lgd_current_and_reference_periods(client, lgd_uploaded):
    body = {"current_period": LGD_CURRENT, "reference_period": LGD_REFERENCE}

    response = client.post("/api/analyze/lgd", json=body)

    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    current = lgd_reference_figures(lgd_uploaded, LGD_CURRENT)
    reference = lgd_reference_figures(lgd_uploaded, LGD_REFERENCE)
    assert current["facilities"] > 100
    assert reference["facilities"] > 100
    assert_figures(results["metrics"], current, "current")
    assert_figures(results["reference"]["metrics"], reference, "reference")
    assert_differences(results, current, reference, ("MAPE", "R-squared", "MAE", "RMSE", "Bias", "gAUC"))
    assert results["reference"]["period"] == LGD_REFERENCE
    assert results["reference"]["counts"]["facilities"] == reference["facilities"]
    assert results["parameters"]["current_period"] == LGD_CURRENT
    assert results["parameters"]["reference_period"] == LGD_REFERENCE
    current_rows = in_period(pd.to_datetime(lgd_uploaded["default_date"]), LGD_CURRENT)
    assert results["counts"]["rows_selected"] == int(current_rows.sum())


def test_lgd_current_period_alone(client, lgd_uploaded):
    response = client.post("/api/analyze/lgd", json={"current_period": LGD_REFERENCE})

    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert "reference" not in results
    assert_figures(results["metrics"], lgd_reference_figures(lgd_uploaded, LGD_REFERENCE), "current")
    assert results["parameters"]["reference_period"] is None


def test_lgd_portfolio_filter_applies_to_both_periods(client, lgd_uploaded):
    body = {"portfolio": "SME", "current_period": LGD_CURRENT, "reference_period": LGD_REFERENCE}

    response = client.post("/api/analyze/lgd", json=body)

    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    sme = lgd_uploaded[lgd_uploaded["segment"] == "SME"]
    assert_figures(results["metrics"], lgd_reference_figures(sme, LGD_CURRENT), "current SME")
    assert_figures(results["reference"]["metrics"], lgd_reference_figures(sme, LGD_REFERENCE), "reference SME")


def test_lgd_overlapping_periods_warn(client, lgd_uploaded):
    body = {"current_period": LGD_CURRENT, "reference_period": {"start": "2021-01-01", "end": "2022-06-30"}}

    response = client.post("/api/analyze/lgd", json=body)

    assert response.status_code == 200, response.get_json()
    warnings = response.get_json()["results"]["warnings"]
    assert any("overlap" in warning and "2022-01-01 to 2022-06-30" in warning for warning in warnings)


# --------------------------------------------------------------------------- EAD


def test_ead_current_and_reference_periods(client, ead_uploaded):
    body = {"current_period": EAD_CURRENT, "reference_period": EAD_REFERENCE}

    response = client.post("/api/analyze/ead", json=body)

    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    current = ead_reference_figures(ead_uploaded, EAD_CURRENT)
    reference = ead_reference_figures(ead_uploaded, EAD_REFERENCE)
    assert current["facilities"] > 100
    assert reference["facilities"] > 100
    assert_figures(results["metrics"], current, "current")
    assert_figures(results["reference"]["metrics"], reference, "reference")
    compared = (
        "MAPE", "R-squared", "MAE", "RMSE", "Bias", "ead_ratio",
        "ccf_MAPE", "ccf_R-squared", "ccf_MAE", "ccf_RMSE", "ccf_Bias", "ccf_gAUC",
    )
    assert_differences(results, current, reference, compared)
    assert results["reference"]["counts"]["ccf_facilities"] == reference["ccf_facilities"]
    assert results["reference"]["period"] == EAD_REFERENCE


# --------------------------------------------------------------------------- invalid periods


def test_end_before_start_is_422(client, lgd_uploaded):
    period = {"start": "2023-12-31", "end": "2022-01-01"}

    response = client.post("/api/analyze/lgd", json={"current_period": period})

    body = assert_error(response, "invalid_period", "current_period", "2022-01-01")
    assert body["details"]["value"] == period


def test_unknown_date_format_is_422(client, ead_uploaded):
    body = {"current_period": EAD_CURRENT, "reference_period": {"start": "31/12/2019", "end": "2020-12-31"}}

    response = client.post("/api/analyze/ead", json=body)

    error = assert_error(response, "invalid_period", "reference_period", "31/12/2019")
    assert "YYYY-MM-DD" in error["error"]
    assert error["details"]["field"] == "start"


def test_impossible_calendar_date_is_422(client, lgd_uploaded):
    response = client.post("/api/analyze/lgd", json={"current_period": {"start": "2022-02-30", "end": "2022-12-31"}})

    assert_error(response, "invalid_period", "current_period", "2022-02-30")


def test_period_without_rows_is_422(client, lgd_uploaded):
    response = client.post("/api/analyze/lgd", json={"current_period": {"start": "2030-01-01", "end": "2030-12-31"}})

    body = assert_error(response, "empty_period", "current_period", "2030-01-01")
    assert body["details"]["available"] == {"first": "2018-01-31", "last": "2023-12-31"}
    assert "2018-01-31 to 2023-12-31" in body["error"]


def test_reference_period_without_rows_is_422(client, ead_uploaded):
    body = {"current_period": EAD_CURRENT, "reference_period": {"start": "2010-01-01", "end": "2010-12-31"}}

    response = client.post("/api/analyze/ead", json=body)

    assert_error(response, "empty_period", "reference_period", "2010-01-01")


def test_reference_period_needs_current_period(client, lgd_uploaded):
    response = client.post("/api/analyze/lgd", json={"reference_period": LGD_REFERENCE})

    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "missing_option"
    assert "reference_period" in body["error"]
    assert "current_period" in body["error"]


def test_dataset_without_period_column_is_422(client):
    raw = pd.read_csv(DATA / "lgd_synthetic.csv").drop(columns=["default_date", "period"])
    assert upload_frame(client, "lgd", raw, "lgd_without_dates.csv").status_code == 200

    response = client.post("/api/analyze/lgd", json={"current_period": LGD_CURRENT})

    body = assert_error(response, "missing_date_column", "current_period", "current_period")
    assert "no period column" in body["error"]


def test_period_labels_are_not_dates_422(client):
    # Without default_date the text column "period" (reference/current) takes the role period.
    raw = pd.read_csv(DATA / "ead_synthetic.csv").drop(columns=["default_date"])
    assert upload_frame(client, "ead", raw, "ead_labelled_periods.csv").status_code == 200

    response = client.post("/api/analyze/ead", json={"current_period": EAD_CURRENT})

    body = assert_error(response, "missing_date_column", "current_period", "current_period")
    assert "labels" in body["error"]


def test_invalid_period_rejected_before_job(client, lgd_uploaded):
    body = {"async": True, "current_period": {"start": "2022-01-01", "end": "2021-01-01"}}

    response = client.post("/api/analyze/lgd", json=body)

    assert_error(response, "invalid_period", "current_period", "2021-01-01")


# --------------------------------------------------------------------------- documentation


def test_openapi_documents_period_options(client):
    document = client.get("/api/openapi.json").get_json()

    schemas = document["components"]["schemas"]
    for request_model in ("LGDAnalyzeRequest", "EADAnalyzeRequest"):
        properties = schemas[request_model]["properties"]
        assert "current_period" in properties, request_model
        assert "reference_period" in properties, request_model
    period = schemas["DatePeriod"]
    assert set(period["required"]) == {"start", "end"}
    assert period["properties"]["start"]["format"] == "date"


def test_misspelt_period_option_gets_suggestion(client, lgd_uploaded):
    response = client.post("/api/analyze/lgd", json={"current_periods": LGD_CURRENT})

    assert response.status_code == 400
    body = response.get_json()
    assert "did you mean current_period?" in body["error"]
    assert "reference_period" in body["details"]["accepted"]


@pytest.mark.parametrize("kind", ["lgd", "ead"])
def test_identical_periods_are_422(client, lgd_uploaded, ead_uploaded, kind):
    body = {"current_period": LGD_CURRENT, "reference_period": dict(LGD_CURRENT)}

    response = client.post(f"/api/analyze/{kind}", json=body)

    assert response.status_code == 422, response.get_json()
    answer = response.get_json()
    assert answer["code"] == "reference_equals_current"
    assert "2022-01-01 to 2023-12-31" in answer["error"]
    assert answer["details"]["reference_period"] == LGD_CURRENT


def test_periods_selecting_same_rows_are_422(client, lgd_uploaded):
    dates = pd.to_datetime(lgd_uploaded["default_date"])
    first, last = dates.min().date().isoformat(), dates.max().date().isoformat()
    body = {"current_period": {"start": first, "end": last}, "reference_period": {"start": "1990-01-01",
                                                                                   "end": "2099-12-31"}}

    response = client.post("/api/analyze/lgd", json=body)

    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "reference_equals_current"
    assert response.get_json()["details"]["rows"] == len(lgd_uploaded)


@pytest.mark.parametrize(("kind", "name"), [("lgd", "lgd_synthetic.csv"), ("ead", "ead_synthetic.csv")])
def test_dataset_as_own_reference_is_422(client, upload, kind, name):
    dataset_id = upload(kind, name).get_json()["dataset_id"]

    response = client.post(f"/api/analyze/{kind}", json={"dataset_id": dataset_id,
                                                         "reference_dataset_id": dataset_id})

    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "reference_equals_current"
    assert f"reference {kind.upper()} dataset contains the current data" in response.get_json()["error"]


def test_second_upload_as_reference_warned(client, upload):
    first = upload("lgd", "lgd_synthetic.csv").get_json()["dataset_id"]
    second = upload("lgd", "lgd_synthetic.csv").get_json()["dataset_id"]

    response = client.post("/api/analyze/lgd", json={"dataset_id": second, "reference_dataset_id": first})

    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert results["parameters"]["gauc_initial"] == results["metrics"]["gAUC"]
    warnings = [warning for warning in results["warnings"] if "has the same content" in warning]
    assert len(warnings) == 1
    assert f"Reference dataset {first} has the same content as dataset {second}" in warnings[0]


def test_dataset_as_own_reference_for_one_quarter_warns(client, upload):
    dataset_id = upload("lgd", "lgd_synthetic.csv").get_json()["dataset_id"]
    raw = pd.read_csv(DATA / "lgd_synthetic.csv")
    expected = raw[pd.PeriodIndex(pd.to_datetime(raw["default_date"]), freq="Q").astype(str) == "2022Q1"]

    response = client.post("/api/analyze/lgd", json={"dataset_id": dataset_id, "reference_dataset_id": dataset_id,
                                                     "quarter": "2022Q1"})

    assert response.status_code == 200, response.get_json()
    warnings = response.get_json()["results"]["warnings"]
    assert f"so {len(expected)} current rows are also in the sample" in " ".join(warnings)
