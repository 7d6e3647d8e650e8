"""A back-test resting on fewer than 30 facilities gets a warning, in the current and in the reference period."""

from __future__ import annotations

import pandas as pd

from mmt.analyses.lgd import LGDOptions, analyze_lgd
from tests.reports.conftest import DATA


def _frame() -> pd.DataFrame:
    raw = pd.read_csv(DATA / "lgd_synthetic.csv").rename(
        columns={"predicted_lgd": "lgd_predicted", "realised_lgd": "lgd_realised", "ead_at_default": "ead"})
    raw = raw.drop(columns=["period"])
    return raw.assign(period=pd.to_datetime(raw.pop("default_date")))


def test_small_reference_period_warns():
    frame = _frame()
    in_2018 = frame["period"].dt.year == 2018
    usable = (frame["workout_status"].str.lower() != "open") & frame["lgd_realised"].notna() & frame["lgd_predicted"].notna()
    # Five usable facilities of 2018 make the reference period.
    reference_rows = frame.index[in_2018 & usable][:5]
    frame = frame[~in_2018 | frame.index.isin(reference_rows)]
    options = LGDOptions(current_period={"start": "2022-01-01", "end": "2023-12-31"},
                         reference_period={"start": "2018-01-01", "end": "2018-12-31"})
    results = analyze_lgd(frame, options, None)
    facilities = results["reference"]["metrics"]["facilities"]
    assert facilities == 5
    assert any(text.startswith(f"Only {facilities} facilities have realised and estimated LGD")
               for text in results["reference"]["warnings"])
    assert results["metrics"]["facilities"] >= 30
    assert not any(text.startswith("Only ") for text in results["warnings"])
