"""Tests of the rating transition analysis on the sample rating histories and edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import proportions_ztest

from mmt.analyses.transitions import TransitionOptions, analyze_rating_transitions
from mmt.errors import ValidationError

DATA = Path(__file__).parents[2] / "data"
REL = 1e-9
GRADES = [str(grade) for grade in range(1, 11)]
MOODYS_IN_FILE = [
    "Aa2", "Aa3", "A1", "A2", "A3", "Baa1", "Baa2", "Baa3",
    "Ba1", "Ba2", "Ba3", "B1", "B2", "B3", "Caa1", "Caa2",
]  # fmt: skip

# Case "grade empty at the start": master scale 1, 2, 3, 4, D; nobody starts in 4.
CASE_CSV = [
    (1, "1", "1"), (2, "1", "1"), (3, "1", "1"), (4, "1", "2"), (5, "2", "2"), (6, "2", "2"),
    (7, "2", "3"), (8, "2", "D"), (9, "3", "3"), (10, "3", "D"), (11, "3", "4"), (12, "D", "D"),
]  # fmt: skip


@pytest.fixture(scope="module")
def histories() -> pd.DataFrame:
    return pd.read_csv(DATA / "rating_transitions.csv", dtype={"rating": str, "obligor_id": str})


@pytest.fixture(scope="module")
def histories_result(histories) -> dict:
    return analyze_rating_transitions(histories, TransitionOptions(), None)


@pytest.fixture(scope="module")
def true_matrices() -> dict[str, pd.DataFrame]:
    frame = pd.read_csv(DATA / "rating_transition_matrix_true.csv", dtype={"from_rating": str})
    return {name: group.set_index("from_rating").drop(columns="matrix") for name, group in frame.groupby("matrix")}


def reference_pairs(histories: pd.DataFrame, start_date: str, end_date: str) -> pd.DataFrame:
    """Pair ratings of two dates with an outer merge; Exit/New for one-sided obligors."""
    start = histories.loc[histories["snapshot_date"] == start_date, ["obligor_id", "rating"]]
    end = histories.loc[histories["snapshot_date"] == end_date, ["obligor_id", "rating"]]
    merged = start.merge(end, on="obligor_id", how="outer", suffixes=("_start", "_end"))
    # Obligors in default at the start that have no next row stay in default (absorbing).
    absorbed = (merged["rating_start"] == "D") & merged["rating_end"].isna()
    merged = merged.loc[~absorbed].copy()
    merged["rating_start"] = merged["rating_start"].fillna("New")
    merged["rating_end"] = merged["rating_end"].fillna("Exit")
    return merged


def reference_crosstab(pairs: pd.DataFrame, rows: list[str], columns: list[str]) -> pd.DataFrame:
    table = pd.crosstab(pairs["rating_start"], pairs["rating_end"])
    return table.reindex(index=rows, columns=columns, fill_value=0)


def matrix_frame(block: dict) -> pd.DataFrame:
    return pd.DataFrame(block["matrix"]["counts"], index=block["matrix"]["rows"], columns=block["matrix"]["columns"])


def test_histories_grade_order(histories_result):
    assert histories_result["grade_order"] == GRADES + ["D"]
    assert histories_result["default_states"] == ["D"]
    assert histories_result["scale"] == "numeric"


def test_histories_period_matrices_equal_crosstab(histories, histories_result):
    dates = sorted(histories["snapshot_date"].unique())
    columns = GRADES + ["D", "Exit"]

    assert len(histories_result["periods"]) == len(dates) - 1
    for block, start_date, end_date in zip(histories_result["periods"], dates[:-1], dates[1:]):
        expected = reference_crosstab(reference_pairs(histories, start_date, end_date), GRADES, columns)
        assert block["from_period"] == start_date
        assert block["to_period"] == end_date
        # Rows: the performing grades, then the absorbing default row (no obligor starts there).
        assert block["matrix"]["rows"] == GRADES + ["D"]
        assert block["matrix"]["columns"] == columns
        assert block["matrix"]["counts"][: len(GRADES)] == expected.to_numpy().tolist()
        assert block["matrix"]["counts"][len(GRADES)] == [0] * len(columns)


def test_histories_pooled_matrix_equals_crosstab(histories, histories_result):
    dates = sorted(histories["snapshot_date"].unique())
    pairs = pd.concat([reference_pairs(histories, a, b) for a, b in zip(dates[:-1], dates[1:])])
    expected = reference_crosstab(pairs, GRADES, GRADES + ["D", "Exit"])

    pooled = histories_result["pooled"]

    assert pooled["matrix"]["counts"][: len(GRADES)] == expected.to_numpy().tolist()
    assert pooled["matrix"]["row_rates"][len(GRADES)] == [0.0] * len(GRADES) + [1.0, 0.0]
    assert pooled["pairs_of_periods"] == 5
    assert pooled["from_period"] == "2019-12-31"
    assert pooled["to_period"] == "2024-12-31"


def test_histories_defaults_leaving_counted(histories, histories_result):
    # Every default row except those on the last date starts a pair with no next row.
    defaults = histories[histories["rating"] == "D"]
    expected = int((defaults["snapshot_date"] != "2024-12-31").sum())

    assert histories_result["pooled"]["excluded"]["defaulted_without_next_row"] == expected


def test_histories_pooled_close_to_true_matrix(histories, histories_result, true_matrices):
    """Each pooled count lies in the central binomial interval of probability 1 - 6.3e-5 (4 sigma).

    The expected rate of a cell mixes the stressed matrix (pair into 2020-12-31)
    and the baseline matrix (other pairs), weighted by the obligors of the grade
    that have a rating at the next date. A sum of binomials with different
    rates has at most the variance of one binomial with the mean rate, so the
    interval is conservative.
    """
    level = 1 - 2 * scipy_stats.norm.sf(4)
    columns = GRADES + ["D"]
    weights = {}
    for block in histories_result["periods"]:
        counts = matrix_frame(block)
        name = "stressed_2020" if block["to_period"] == "2020-12-31" else "baseline"
        rated = counts[columns].sum(axis=1)
        weights[name] = weights.get(name, 0) + rated
    pooled = matrix_frame(histories_result["pooled"])[columns]
    rated_total = pooled.sum(axis=1)

    for grade in GRADES:
        for column in columns:
            mixed = sum(weights[name][grade] * true_matrices[name].loc[grade, column] for name in weights)
            probability = mixed / rated_total[grade]
            low, high = scipy_stats.binom.interval(level, int(rated_total[grade]), probability)
            assert low <= pooled.loc[grade, column] <= high, (grade, column, probability)


def test_histories_exit_rate_near_attrition(histories_result):
    """Two percent of performing obligors leave each year; 4 sigma binomial interval."""
    counts = matrix_frame(histories_result["pooled"])
    obligors = int(counts.to_numpy().sum())
    exits = int(counts["Exit"].sum())

    low, high = scipy_stats.binom.interval(1 - 2 * scipy_stats.norm.sf(4), obligors, 0.02)

    assert low <= exits <= high


def test_histories_summary_by_hand(histories_result):
    counts = matrix_frame(histories_result["pooled"])
    grades_block = counts.loc[GRADES, GRADES].to_numpy()
    obligors = counts.to_numpy().sum()
    summary = histories_result["pooled"]["summary"]

    assert summary["obligors"] == obligors
    assert summary["stability_rate"] == pytest.approx(np.trace(grades_block) / obligors, rel=REL)
    assert summary["upgrade_rate"] == pytest.approx(np.tril(grades_block, -1).sum() / obligors, rel=REL)
    assert summary["downgrade_rate"] == pytest.approx(np.triu(grades_block, 1).sum() / obligors, rel=REL)
    assert summary["default_rate"] == pytest.approx(counts["D"].sum() / obligors, rel=REL)
    assert summary["exit_rate"] == pytest.approx(counts["Exit"].sum() / obligors, rel=REL)
    far = sum(grades_block[i, j] for i in range(10) for j in range(10) if abs(i - j) >= 2)
    assert summary["multi_notch"] == far
    assert histories_result["stability_rate"] == summary["stability_rate"]


def test_histories_default_rate_by_grade(histories_result):
    counts = matrix_frame(histories_result["pooled"])
    by_grade = {entry["grade"]: entry for entry in histories_result["pooled"]["summary"]["by_grade"]}

    for grade in GRADES:
        expected = counts.loc[grade, "D"] / counts.loc[grade].sum()
        assert by_grade[grade]["default_rate"] == pytest.approx(expected, rel=REL)


def test_histories_mwb_by_hand(histories_result):
    block = matrix_frame(histories_result["pooled"]).loc[GRADES, GRADES].to_numpy()
    size = len(GRADES)
    upper_numerator = upper_normaliser = lower_numerator = lower_normaliser = 0.0
    for i in range(size):
        reach = max(size - 1 - i, i)
        for j in range(size):
            if j > i:
                upper_numerator += (j - i) * block[i, j]
                upper_normaliser += reach * block[i, j]
            elif j < i:
                lower_numerator += (i - j) * block[i, j]
                lower_normaliser += reach * block[i, j]

    mwb = histories_result["pooled"]["matrix_weighted_bandwidth"]

    assert mwb["upper"]["value"] == pytest.approx(upper_numerator / upper_normaliser, rel=REL)
    assert mwb["lower"]["value"] == pytest.approx(lower_numerator / lower_normaliser, rel=REL)
    assert mwb["upper"]["status"] == "green"


def test_histories_z_test_cell_by_hand(histories_result):
    counts = matrix_frame(histories_result["pooled"])
    obligors = counts.loc["5"].sum()
    rate = counts.loc["5", "8"] / obligors
    neighbour = counts.loc["5", "7"] / obligors
    z = (neighbour - rate) / np.sqrt((rate * (1 - rate) + neighbour * (1 - neighbour) + 2 * rate * neighbour) / obligors)

    cells = histories_result["pooled"]["migration_z_tests"]["cells"]
    cell = next(item for item in cells if (item["from_grade"], item["to_grade"]) == ("5", "8"))

    assert cell["z"] == pytest.approx(z, rel=REL)
    assert cell["p_value"] == pytest.approx(scipy_stats.norm.cdf(z), rel=REL)
    assert len(cells) == 90


def test_histories_rate_change_matches_statsmodels(histories_result):
    first = matrix_frame(histories_result["periods"][0])
    second = matrix_frame(histories_result["periods"][1])
    comparison = histories_result["rate_change_tests"][0]
    test = next(item for item in comparison["tests"] if (item["grade"], item["rate"]) == ("7", "default"))

    z, p_value = proportions_ztest(
        [second.loc["7", "D"], first.loc["7", "D"]], [second.loc["7"].sum(), first.loc["7"].sum()]
    )

    assert comparison["first"] == {"from_period": "2019-12-31", "to_period": "2020-12-31"}
    assert comparison["second"] == {"from_period": "2020-12-31", "to_period": "2021-12-31"}
    assert test["z"] == pytest.approx(z, rel=REL)
    assert test["p_value"] == pytest.approx(p_value, rel=REL)
    # The stressed year has more defaults, so the default rate falls afterwards.
    assert test["z"] < 0
    assert test["status"] == "red"


def test_histories_rate_change_not_computable_cell(histories_result):
    tests = histories_result["rate_change_tests"][0]["tests"]
    # Grade 10 never upgrades: zero events in both periods.
    test = next(item for item in tests if (item["grade"], item["rate"]) == ("10", "upgrade"))

    assert test["z"] is None
    assert test["p_value"] is None
    assert test["status"] is None
    assert "0 or 1" in test["reason"]


def test_histories_original_keys(histories, histories_result):
    pooled = matrix_frame(histories_result["pooled"])
    rates = pooled.div(pooled.sum(axis=1), axis=0)

    matrix = histories_result["transition_matrix"]

    assert list(matrix) == GRADES + ["D"]
    assert list(matrix["3"]) == GRADES + ["D", "Exit"]
    assert matrix["4"]["5"] == pytest.approx(rates.loc["4", "5"], rel=REL)
    assert histories_result["unique_ratings"] == histories["rating"].nunique()
    # The stability rate's denominator: performing grades at the start, exits and defaults at the end included.
    performing = pooled.loc[GRADES, GRADES + ["D", "Exit"]].to_numpy()
    assert histories_result["total_transitions"] == int(performing.sum())
    stayers = sum(int(pooled.loc[grade, grade]) for grade in GRADES)
    assert histories_result["stability_rate"] == pytest.approx(stayers / performing.sum(), rel=REL)
    significant = {
        (row, column)
        for row in GRADES
        for column in GRADES + ["D"]
        if row != column and rates.loc[row, column] > 0.10
    }
    found = {(row, column) for row, cells in histories_result["significant_migrations"].items() for column in cells}
    assert found == significant
    assert ("10", "D") in found


def test_histories_strict_json(histories_result):
    text = json.dumps(histories_result, allow_nan=False)

    assert json.loads(text) == histories_result


def test_histories_summary_statuses(histories_result):
    statuses = {entry["metric"]: entry for entry in histories_result["summary_statuses"]}

    assert set(statuses) == {
        "mwb_upper",
        "mwb_lower",
        "migration_z_tests_significant_cells",
        "stability_rate",
        "rate_change_tests_significant",
    }
    assert statuses["mwb_upper"]["value"] == histories_result["pooled"]["matrix_weighted_bandwidth"]["upper"]["value"]
    assert statuses["mwb_upper"]["status"] == "green"
    assert statuses["rate_change_tests_significant"]["status"] == "red"


def test_mwb_threshold_applied(histories):
    result = analyze_rating_transitions(histories, None, {"mwb_threshold": 0.2})

    statuses = {entry["metric"]: entry for entry in result["summary_statuses"]}

    assert statuses["mwb_upper"]["status"] == "amber"
    assert statuses["mwb_lower"]["status"] == "amber"
    assert result["parameters"]["thresholds"]["mwb_threshold"] == 0.2


def test_periods_option_selects_dates(histories):
    result = analyze_rating_transitions(histories, {"periods": ["2024-12-31", "2022-12-31"]}, None)
    expected = reference_crosstab(
        reference_pairs(histories, "2022-12-31", "2024-12-31"), GRADES, GRADES + ["D", "Exit"]
    )

    assert len(result["periods"]) == 1
    assert result["parameters"]["periods_used"] == ["2022-12-31", "2024-12-31"]
    assert result["pooled"]["matrix"]["counts"][: len(GRADES)] == expected.to_numpy().tolist()
    assert result["rate_change_tests"] == []


def test_exits_not_counted(histories):
    result = analyze_rating_transitions(histories, {"include_exits": False}, None)
    counts = matrix_frame(result["pooled"])

    assert list(counts.columns) == GRADES + ["D"]
    assert result["pooled"]["excluded"]["exits_not_counted"] > 0


@pytest.fixture(scope="module")
def original_frame() -> pd.DataFrame:
    previous = pd.read_csv(DATA / "mmt_original" / "Data_PD_Model_pvs_qtr.csv")
    current = pd.read_csv(DATA / "mmt_original" / "Data_PD_Model.csv")
    frame = pd.concat([previous.assign(snapshot_date="2023-09-30"), current.assign(snapshot_date="2023-12-31")])
    return frame.rename(
        columns={"InstrumentID": "obligor_id", "TTCReportingRating": "rating", "Def_Flag": "default_flag"}
    )


def test_original_files_moodys_order_default_last(original_frame):
    result = analyze_rating_transitions(original_frame, {"default_flag_as_state": True}, None)
    block = result["pooled"]

    assert result["grade_order"] == MOODYS_IN_FILE + ["D"]
    assert block["matrix"]["rows"] == MOODYS_IN_FILE + ["D"]
    assert block["matrix"]["columns"] == MOODYS_IN_FILE + ["D", "Exit"]
    assert list(result["transition_matrix"]) == MOODYS_IN_FILE + ["D"]


def test_original_files_matrix_equals_crosstab(original_frame):
    frame = original_frame.copy()
    frame.loc[frame["default_flag"] == 1, "rating"] = "D"
    pairs = reference_pairs(frame, "2023-09-30", "2023-12-31")
    expected = reference_crosstab(pairs, MOODYS_IN_FILE + ["D"], MOODYS_IN_FILE + ["D", "Exit"])

    result = analyze_rating_transitions(original_frame, {"default_flag_as_state": True}, None)

    assert result["pooled"]["matrix"]["counts"] == expected.to_numpy().tolist()
    assert expected.loc["D", "D"] == 19
    assert expected.loc[MOODYS_IN_FILE, "D"].sum() == 36
    assert {"flag": "default_state_rows"}.items() <= result["pooled"]["flags"][0].items()


def test_original_files_without_default_flag(original_frame):
    result = analyze_rating_transitions(original_frame, None, None)
    counts = matrix_frame(result["pooled"])

    assert result["grade_order"] == MOODYS_IN_FILE + ["D"]
    assert counts["D"].sum() == 0
    assert result["pooled"]["summary"]["default_rate"] == 0.0


def test_original_lists_equal_crosstab(original_frame):
    previous = pd.read_csv(DATA / "mmt_original" / "Data_PD_Model_pvs_qtr.csv")
    current = pd.read_csv(DATA / "mmt_original" / "Data_PD_Model.csv")
    merged = previous.merge(current, on="InstrumentID", suffixes=("_start", "_end"))
    expected = pd.crosstab(merged["TTCReportingRating_start"], merged["TTCReportingRating_end"])
    expected = expected.reindex(index=MOODYS_IN_FILE, columns=MOODYS_IN_FILE + ["D"], fill_value=0)

    result = analyze_rating_transitions(
        None,
        {
            "previous_ratings": merged["TTCReportingRating_start"].tolist(),
            "current_ratings": merged["TTCReportingRating_end"].tolist(),
        },
        None,
    )

    counts = result["pooled"]["matrix"]["counts"]
    assert counts[: len(expected)] == expected.to_numpy().tolist()
    assert all(count == 0 for row in counts[len(expected):] for count in row)
    assert result["total_transitions"] == len(merged)
    assert result["stability_rate"] == pytest.approx(
        (merged["TTCReportingRating_start"] == merged["TTCReportingRating_end"]).mean(), rel=REL
    )
    assert result["parameters"]["input"] == "ratings_lists"
    assert result["parameters"]["periods_used"] == ["previous", "current"]
    assert "previous_ratings" not in result["parameters"]


def test_lists_unequal_lengths_rejected():
    with pytest.raises(ValidationError) as error:
        analyze_rating_transitions(None, {"previous_ratings": ["A", "B", "C"], "current_ratings": ["A"]}, None)

    assert "3" in error.value.message
    assert "1" in error.value.message
    assert error.value.details == {"previous_ratings": 3, "current_ratings": 1}
    assert error.value.code == "length_mismatch"


def case_frame() -> pd.DataFrame:
    rows = []
    for obligor, start, end in CASE_CSV:
        rows.append({"obligor_id": obligor, "snapshot_date": "2024-12-31", "rating": start})
        rows.append({"obligor_id": obligor, "snapshot_date": "2025-12-31", "rating": end})
    return pd.DataFrame(rows)


def test_case_empty_grade_through_dataset():
    result = analyze_rating_transitions(case_frame(), {"grade_order": ["1", "2", "3", "4", "D"]}, None)
    block = result["pooled"]

    assert block["matrix"]["rows"] == ["1", "2", "3", "4", "D"]
    assert block["matrix"]["columns"] == ["1", "2", "3", "4", "D", "Exit"]
    assert block["matrix"]["row_rates"][0][:5] == pytest.approx([0.75, 0.25, 0, 0, 0], rel=REL)
    assert block["matrix"]["row_rates"][1][:5] == pytest.approx([0, 0.5, 0.25, 0, 0.25], rel=REL)
    assert block["matrix"]["row_rates"][2][:5] == pytest.approx([0, 0, 1 / 3, 1 / 3, 1 / 3], rel=REL)
    assert block["matrix"]["row_rates"][3] == [None] * 6
    assert block["matrix"]["row_totals"] == [4, 4, 3, 0, 1]
    assert result["transition_matrix"]["4"] == dict.fromkeys(["1", "2", "3", "4", "D", "Exit"])
    assert json.dumps(result, allow_nan=False)


def test_case_empty_grade_flags_and_default_rates():
    result = analyze_rating_transitions(case_frame(), {"grade_order": ["1", "2", "3", "4", "D"]}, None)
    block = result["pooled"]
    by_grade = {entry["grade"]: entry for entry in block["summary"]["by_grade"]}
    flags = {flag["flag"]: flag for flag in block["flags"]}

    assert by_grade["2"]["default_rate"] == pytest.approx(0.25, rel=REL)
    assert by_grade["3"]["default_rate"] == pytest.approx(1 / 3, rel=REL)
    assert by_grade["4"]["no_observations"] is True
    assert by_grade["4"]["default_rate"] is None
    assert flags["empty_grades"]["grades"] == ["4"]
    assert flags["default_state_rows"]["grades"] == ["D"]
    assert block["summary"]["obligors"] == 11
    assert any("No obligor starts in grades ['4']" in message for message in result["warnings"])


def test_case_empty_grade_through_lists():
    starts = [start for _, start, _ in CASE_CSV]
    ends = [end for _, _, end in CASE_CSV]

    result = analyze_rating_transitions(
        None, {"previous_ratings": starts, "current_ratings": ends, "periods": ["2024", "2025"]}, None
    )

    assert result["pooled"]["matrix"]["columns"] == ["1", "2", "3", "4", "D"]
    assert result["pooled"]["matrix"]["counts"][3] == [0, 0, 0, 0, 0]
    assert result["pooled"]["from_period"] == "2024"
    assert result["pooled"]["to_period"] == "2025"


def test_ten_grades_not_sorted_as_text():
    starts = ["10", "2", "1", "9"]
    ends = ["9", "2", "10", "10"]

    result = analyze_rating_transitions(None, {"previous_ratings": starts, "current_ratings": ends}, None)

    assert result["grade_order"] == ["1", "2", "9", "10", "D"]
    assert any("absent from the data: 3, 4, 5, 6, 7, 8" in message for message in result["warnings"])


def test_missing_ratings_excluded_and_reported():
    frame = case_frame()
    frame.loc[(frame["obligor_id"] == 1) & (frame["snapshot_date"] == "2025-12-31"), "rating"] = None
    frame.loc[(frame["obligor_id"] == 5) & (frame["snapshot_date"] == "2024-12-31"), "rating"] = np.nan

    result = analyze_rating_transitions(frame, None, None)

    assert result["pooled"]["excluded"]["missing_rating"] == 2
    assert result["pooled"]["matrix"]["row_totals"][:2] == [3, 3]
    assert "nan" not in result["grade_order"]
    assert any("missing rating" in message for message in result["warnings"])


def test_new_obligors_row():
    frame = case_frame()
    frame = pd.concat(
        [frame, pd.DataFrame([{"obligor_id": 99, "snapshot_date": "2025-12-31", "rating": "2"}])]
    )

    result = analyze_rating_transitions(frame, None, None)

    assert result["pooled"]["matrix"]["rows"][-1] == "New"
    assert result["pooled"]["matrix"]["counts"][-1] == [0, 1, 0, 0, 0, 0]
    assert result["pooled"]["summary"]["new_obligors"] == 1
    assert "New" not in result["transition_matrix"]


def test_cures_warned():
    frame = case_frame()
    frame.loc[(frame["obligor_id"] == 12) & (frame["snapshot_date"] == "2025-12-31"), "rating"] = "3"

    result = analyze_rating_transitions(frame, None, None)

    assert result["pooled"]["summary"]["cures"] == 1
    assert any("back to a performing grade" in message for message in result["warnings"])


def test_letter_scale_gets_default_column():
    result = analyze_rating_transitions(
        None, {"previous_ratings": ["A", "D", "G"], "current_ratings": ["B", "E", "G"]}, None
    )

    assert result["grade_order"] == ["A", "B", "D", "E", "G", "Default"]


def test_explicit_default_states():
    result = analyze_rating_transitions(
        None, {"previous_ratings": ["1", "2"], "current_ratings": ["2", "9"], "default_states": ["9"]}, None
    )

    assert result["default_states"] == ["9"]
    assert result["pooled"]["summary"]["default_rate"] == pytest.approx(0.5, rel=REL)


def test_no_migrations_mwb_not_computable():
    result = analyze_rating_transitions(
        None, {"previous_ratings": ["1", "2", "3"], "current_ratings": ["1", "2", "3"]}, None
    )
    mwb = result["pooled"]["matrix_weighted_bandwidth"]
    statuses = {entry["metric"]: entry for entry in result["summary_statuses"]}

    assert mwb["upper"]["value"] is None
    assert mwb["upper"]["status"] == "no_migrations"
    assert "No downward" in mwb["upper"]["reason"]
    assert statuses["mwb_upper"]["value"] is None
    assert statuses["mwb_upper"]["status"] is None
    assert statuses["migration_z_tests_significant_cells"]["value"] is None


def test_small_grades_warned():
    result = analyze_rating_transitions(case_frame(), None, None)

    assert any("fewer than 30 obligors" in message for message in result["warnings"])
    assert result["pooled"]["summary"]["by_grade"][0]["small_grade"] is True


@pytest.mark.parametrize(
    ("frame", "options", "code"),
    [
        (pd.DataFrame({"obligor_id": [1], "rating": ["1"]}), None, "missing_column"),
        (case_frame(), {"default_flag_as_state": True}, "missing_column"),
        (case_frame().assign(snapshot_date="2024-12-31"), None, "duplicate_rows"),
        (case_frame().query("snapshot_date == '2024-12-31'"), None, "too_few_periods"),
        (case_frame(), {"periods": ["2024-12-31", "2026-12-31"]}, "invalid_periods"),
        (case_frame(), {"periods": ["2024-12-31"]}, "too_few_periods"),
        (case_frame(), {"periods": ["not a date"]}, "invalid_periods"),
        (case_frame(), {"periods": [""]}, "invalid_periods"),
        (case_frame(), {"periods": ["NaT", "2024-12-31"]}, "invalid_periods"),
        (case_frame(), {"periods": ["99999-12-31"]}, "invalid_periods"),
        (case_frame(), {"unknown_option": 1}, "invalid_options"),
        (case_frame().assign(snapshot_date="soon"), None, "invalid_date"),
        (case_frame().assign(obligor_id=None), None, "missing_values"),
        (case_frame().assign(rating="Exit"), None, "reserved_grade"),
        (case_frame().assign(default_flag=2), {"default_flag_as_state": True}, "invalid_default_flag"),
        (
            case_frame().assign(default_flag=0),
            {"default_flag_as_state": True, "default_states": []},
            "invalid_options",
        ),
        (None, None, "missing_input"),
        (None, {"previous_ratings": [], "current_ratings": []}, "empty_input"),
        (None, {"previous_ratings": ["1"], "current_ratings": ["New"]}, "reserved_grade"),
        (None, {"previous_ratings": ["1"], "current_ratings": ["2"], "periods": ["a"]}, "invalid_periods"),
    ],
)
def test_invalid_input_rejected(frame, options, code):
    with pytest.raises(ValidationError) as error:
        analyze_rating_transitions(frame, options, None)

    assert error.value.code == code


def test_missing_snapshot_date_rejected():
    frame = case_frame()
    frame.loc[0, "snapshot_date"] = None

    with pytest.raises(ValidationError) as error:
        analyze_rating_transitions(frame, None, None)

    assert error.value.code == "missing_values"


def test_duplicate_rows_details_json():
    frame = pd.concat([case_frame(), case_frame().head(1)])

    with pytest.raises(ValidationError) as error:
        analyze_rating_transitions(frame, None, None)

    assert error.value.details["examples"][0] == {"obligor_id": 1, "snapshot_date": "2024-12-31T00:00:00"}
    assert json.dumps(error.value.details, allow_nan=False)
