"""Date periods of the LGD and EAD back-tests on frames built by hand: row selection and edge cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from mmt.analyses.filters import DatePeriod, select_period
from mmt.analyses.lgd import LGDOptions, analyze_lgd, metric_differences
from mmt.errors import ValidationError
from tests.analyses.test_lgd import original_lgd_frame

PERIOD = DatePeriod(start="2022-01-01", end="2022-12-31")


def test_end_date_with_time_is_inside():
    frame = pd.DataFrame(
        {"period": pd.to_datetime(["2021-12-31 23:00", "2022-01-01 00:00", "2022-12-31 15:30", "2023-01-01 00:00"]), "row": range(4)}
    )

    selected = select_period(frame, PERIOD, "current_period", dataset_kind="LGD")

    assert selected["row"].tolist() == [1, 2]


def test_time_zone_aware_dates_are_compared_locally():
    dates = pd.to_datetime(["2021-12-31 12:00", "2022-06-30 12:00"]).tz_localize("Europe/Berlin")
    frame = pd.DataFrame({"period": dates, "row": [0, 1]})

    selected = select_period(frame, PERIOD, "current_period", dataset_kind="LGD")

    assert selected["row"].tolist() == [1]


def test_rows_without_date_are_left_out():
    frame = pd.DataFrame({"period": [dt.date(2022, 3, 31), None, dt.date(2022, 6, 30)], "row": [0, 1, 2]})

    selected = select_period(frame, PERIOD, "current_period", dataset_kind="EAD")

    assert selected["row"].tolist() == [0, 2]


def test_only_missing_dates_give_empty_period():
    frame = pd.DataFrame({"period": pd.Series([pd.NaT, pd.NaT]), "row": [0, 1]})

    with pytest.raises(ValidationError) as raised:
        select_period(frame, PERIOD, "reference_period", dataset_kind="EAD")

    assert raised.value.code == "empty_period"
    assert raised.value.status == 422
    assert raised.value.details["available"] == {"first": None, "last": None}


def test_quarter_period_equals_quarter_filter():
    original = original_lgd_frame()

    by_period = analyze_lgd(original, LGDOptions(current_period={"start": "2020-01-01", "end": "2020-03-31"}), None)
    by_quarter = analyze_lgd(original, LGDOptions(quarter="2020Q1"), None)

    assert by_period["metrics"] == by_quarter["metrics"]
    assert by_period["counts"]["facilities"] == int((original["period_label"] == "2020Q1").sum())


def test_quarter_filter_narrows_current_rows_only():
    original = original_lgd_frame()
    options = LGDOptions(
        quarter="2020Q2",
        current_period={"start": "2020-01-01", "end": "2020-06-30"},
        reference_period={"start": "2020-01-01", "end": "2020-03-31"},
    )

    results = analyze_lgd(original, options, None)

    assert results["counts"]["facilities"] == int((original["period_label"] == "2020Q2").sum())
    assert results["reference"]["counts"]["facilities"] == int((original["period_label"] == "2020Q1").sum())


def test_invalid_period_rejected_by_options():
    with pytest.raises(ValidationError) as raised:
        LGDOptions(current_period={"start": "2022-1-5", "end": "2022-12-31"})

    assert raised.value.code == "invalid_period"
    assert raised.value.status == 422
    assert raised.value.details == {"option": "current_period", "field": "start", "value": "2022-1-5"}


def test_differences_undefined_when_either_missing():
    differences = metric_differences(
        {"MAPE": 12.5, "gAUC": None, "MAE": 0.2},
        {"MAPE": 10.0, "gAUC": 0.6, "MAE": np.nan},
        ("MAPE", "gAUC", "MAE", "RMSE"),
    )

    assert differences == {"MAPE": 2.5, "gAUC": None, "MAE": None, "RMSE": None}
