"""Rating transition analysis: migration matrices between consecutive snapshots.

Input is either a frame of rating histories with the columns ``obligor_id``,
``snapshot_date`` and ``rating`` (a PD upload with several snapshots or a
``ratings`` upload), or two equal-length lists ``previous_ratings`` and
``current_ratings`` as the original MMT front end sends them.

For every pair of consecutive snapshot dates and pooled over all pairs the
result holds the count matrix and row rates in master-scale order, the
stability, upgrade, downgrade, default and exit rates, migrations of two
notches or more, the ECB matrix weighted bandwidth (MWB) and migration
z-tests, and per grade the default rate. Consecutive pairs are compared with
a two-proportion z-test per grade and rate. See :mod:`mmt.stats.transitions`
for the formulas and the treatment of exits, new obligors and default states.

The keys ``transition_matrix``, ``stability_rate``, ``unique_ratings``,
``total_transitions`` and ``significant_migrations`` keep the response shape
of the original MMT ``/api/analyze/rating_transition`` route, with grades in
master-scale order instead of alphabetical order. ``total_transitions`` is
the denominator of ``stability_rate``: the obligors in a performing grade at
the start, with those that exit or default at the end (exits only when
``include_exits`` is true), and without obligors in default at both dates.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pydantic

from mmt.analyses.common import metric_entry, not_computable_entry
from mmt.errors import ValidationError
from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable
from mmt.stats.master_scale import GradeOrder, normalise_grade, resolve_grade_order
from mmt.stats.transitions import (
    EXIT,
    NEW,
    SUMMARY_RATES,
    TransitionCounts,
    matrix_weighted_bandwidth,
    migration_summary,
    migration_z_tests,
    rate_change_test,
    transition_counts,
)
from mmt.thresholds import DEFAULTS, status_lower_is_better, status_pvalue

REQUIRED_COLUMNS: tuple[str, ...] = ("obligor_id", "snapshot_date", "rating")

_RATE_COUNT_FIELDS: dict[str, str] = {
    "stability": "stayed",
    "upgrade": "upgraded",
    "downgrade": "downgraded",
    "default": "defaulted",
}


class TransitionOptions(pydantic.BaseModel):
    """Options of the rating transition analysis."""

    model_config = pydantic.ConfigDict(extra="forbid")

    grade_order: list[str] | None = pydantic.Field(
        default=None,
        description="Grades best to worst (the master scale). Grades absent from the data keep empty rows.",
    )
    default_states: list[str] | None = pydantic.Field(
        default=None,
        description='Grades that are default states. By default "D", "SD", "RD", "Default" and "DEF".',
    )
    previous_ratings: list[Any] | None = pydantic.Field(
        default=None, description="Rating of each obligor at the start, when no dataset is given."
    )
    current_ratings: list[Any] | None = pydantic.Field(
        default=None, description="Rating of the same obligors at the end, same length."
    )
    periods: list[str] | None = pydantic.Field(
        default=None,
        description=(
            "Snapshot dates (ISO) to compare, at least two, or all dates when omitted. "
            "With rating lists, two labels for the start and the end."
        ),
    )
    include_exits: bool = pydantic.Field(
        default=True,
        description=(
            'Count obligors without a row at the next date in an "Exit" column, '
            'and obligors without a row at the previous date in a "New" row.'
        ),
    )
    default_flag_as_state: bool = pydantic.Field(
        default=False,
        description=(
            "Treat rows with default_flag = 1 as being in the default state at that date. "
            "Use it when the flag marks obligors in default, not defaults within the next year."
        ),
    )
    significant_migration_rate: float = pydantic.Field(
        default=0.10,
        ge=0.0,
        le=1.0,
        description="Off-diagonal rates above this are listed in significant_migrations.",
    )


def analyze_rating_transitions(
    frame: pd.DataFrame | None,
    options: TransitionOptions | dict[str, Any] | None,
    thresholds: dict[str, float] | None,
) -> dict[str, Any]:
    """Analyse rating migrations between consecutive snapshots and pooled.

    Parameters
    ----------
    frame : pandas.DataFrame or None
        Columns ``obligor_id``, ``snapshot_date`` and ``rating`` (optional
        ``default_flag``). ``None`` to use ``options.previous_ratings`` and
        ``options.current_ratings``.
    options : TransitionOptions or dict or None
    thresholds : dict or None
        Thresholds in force. Missing keys take the defaults of
        :mod:`mmt.thresholds`.

    Returns
    -------
    dict
        JSON-ready results (see the module docstring).

    Raises
    ------
    mmt.errors.ValidationError
        If the input is missing or inconsistent.
    """
    if options is None:
        options = TransitionOptions()
    elif isinstance(options, dict):
        try:
            options = TransitionOptions.model_validate(options)
        except pydantic.ValidationError as error:
            raise ValidationError(
                "Invalid rating transition options.",
                code="invalid_options",
                details={"errors": error.errors(include_url=False, include_context=False)},
            ) from error
    limits = {**DEFAULTS, **(thresholds or {})}

    if frame is None:
        starts, ends, labels, period_labels = _ratings_from_lists(options)
        grade_order = _grade_order(labels, options)
        pairs = [(starts, ends, 0)]
        include_exits = False
    else:
        data = _prepare_frame(frame, options)
        labels = [label for label in data["rating"] if label is not None]
        if options.default_flag_as_state:
            data = _apply_default_flag(data, _grade_order(labels, options).default_states)
            labels = [label for label in data["rating"] if label is not None]
        grade_order = _grade_order(labels, options)
        dates = _select_periods(sorted(data["snapshot_date"].unique()), options.periods)
        pairs, period_labels = _consecutive_pairs(data, dates, set(grade_order.default_states))
        include_exits = options.include_exits

    order = list(grade_order.grades)
    defaults = list(grade_order.default_states)
    warnings = list(grade_order.warnings)

    period_counts = []
    for (start_label, end_label), (starts, ends, defaulted_leaving) in zip(period_labels, pairs):
        counts = transition_counts(
            starts, ends, order, default_states=defaults, include_exits=include_exits
        )
        period_counts.append((start_label, end_label, counts, defaulted_leaving))

    pooled_counts = period_counts[0][2]
    for _, _, counts, _ in period_counts[1:]:
        pooled_counts = pooled_counts + counts
    pooled_leaving = sum(item[3] for item in period_counts)

    periods = [
        _period_block(start, end, counts, leaving, limits)
        for start, end, counts, leaving in period_counts
    ]
    pooled = _period_block(period_labels[0][0], period_labels[-1][1], pooled_counts, pooled_leaving, limits)
    pooled["pairs_of_periods"] = len(period_counts)
    rate_changes = _rate_change_tests(period_counts, limits)

    warnings += _data_warnings(pooled_counts, pooled, limits)
    original = _original_keys(pooled_counts, labels, options.significant_migration_rate)
    if _rated_at_both_dates(pooled_counts) == 0:
        # Every obligor exited or appeared: a stability rate of 0 would read as "all migrated".
        original["stability_rate"] = None
        warnings.append(
            "No obligor has a rating at two consecutive dates, so no transition can be observed and the "
            "stability rate is null. Check that the obligor ids match between the snapshots."
        )
    results = {
        "grade_order": order,
        "default_states": defaults,
        "scale": grade_order.scale,
        "periods": periods,
        "pooled": pooled,
        "rate_change_tests": rate_changes,
        **original,
        "parameters": {
            **options.model_dump(exclude={"previous_ratings", "current_ratings"}),
            "input": "ratings_lists" if frame is None else "dataset",
            "periods_used": [start for start, _ in period_labels] + [period_labels[-1][1]],
            "include_exits": include_exits,
            "thresholds": {
                key: limits[key]
                for key in ("mwb_threshold", "pvalue_amber", "pvalue_red", "min_grade_obligors")
            },
        },
        "warnings": warnings,
        "summary_statuses": _summary_statuses(pooled, rate_changes, limits),
    }
    return to_jsonable(results)


def _ratings_from_lists(
    options: TransitionOptions,
) -> tuple[list[Any], list[Any], list[str], list[tuple[str, str]]]:
    previous, current = options.previous_ratings, options.current_ratings
    if previous is None or current is None:
        raise ValidationError(
            "Give a dataset with obligor_id, snapshot_date and rating, or both "
            "previous_ratings and current_ratings.",
            code="missing_input",
        )
    if len(previous) != len(current):
        raise ValidationError(
            f"previous_ratings has {len(previous)} values but current_ratings has {len(current)}. "
            "Give one value per obligor in both lists, in the same order.",
            code="length_mismatch",
            details={"previous_ratings": len(previous), "current_ratings": len(current)},
        )
    if not previous:
        raise ValidationError("previous_ratings and current_ratings are empty.", code="empty_input")
    for name, values in (("previous_ratings", previous), ("current_ratings", current)):
        reserved = {normalise_grade(value) for value in values} & {EXIT, NEW}
        if reserved:
            raise ValidationError(
                f"{name} contains the reserved labels {sorted(reserved)}. Rename those grades.",
                code="reserved_grade",
            )
    if options.periods is not None and len(options.periods) != 2:
        raise ValidationError(
            f"With rating lists, periods must have two labels, got {len(options.periods)}.",
            code="invalid_periods",
        )
    start_label, end_label = options.periods or ("previous", "current")
    labels = [label for label in map(normalise_grade, [*previous, *current]) if label is not None]
    return list(previous), list(current), labels, [(start_label, end_label)]


def _prepare_frame(frame: pd.DataFrame, options: TransitionOptions) -> pd.DataFrame:
    """Check the columns and return them with dates parsed and ratings normalised."""
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if options.default_flag_as_state and "default_flag" not in frame.columns:
        missing.append("default_flag")
    if missing:
        raise ValidationError(
            f"The dataset lacks the columns {missing} needed for rating transitions.",
            code="missing_column",
            details={"missing": missing, "columns": [str(column) for column in frame.columns]},
        )

    columns = [*REQUIRED_COLUMNS, *(["default_flag"] if options.default_flag_as_state else [])]
    data = frame.loc[:, columns].copy()
    if data["obligor_id"].isna().any():
        raise ValidationError(
            f"{int(data['obligor_id'].isna().sum())} rows have no obligor_id.", code="missing_values"
        )

    data["snapshot_date"] = _parse_dates(data["snapshot_date"])
    data["rating"] = pd.Series(
        [normalise_grade(value) for value in data["rating"]], index=data.index, dtype=object
    )
    reserved = set(data["rating"].dropna()) & {EXIT, NEW}
    if reserved:
        raise ValidationError(
            f"The ratings contain the reserved labels {sorted(reserved)}. Rename those grades.",
            code="reserved_grade",
        )

    duplicated = data.duplicated(["obligor_id", "snapshot_date"], keep=False)
    if duplicated.any():
        examples = data.loc[duplicated, ["obligor_id", "snapshot_date"]].head(5)
        raise ValidationError(
            f"{int(duplicated.sum())} rows repeat an obligor_id on the same snapshot_date. "
            "Keep one rating per obligor and date.",
            code="duplicate_rows",
            details={"examples": to_jsonable(examples.to_dict(orient="records"))},
        )
    return data


def _consecutive_pairs(
    data: pd.DataFrame, dates: list[pd.Timestamp], default_states: set[str]
) -> tuple[list[tuple[list[Any], list[Any], int]], list[tuple[str, str]]]:
    """Pair each obligor's rating at one date with its rating at the next date."""
    by_date = {
        date: group.set_index("obligor_id")["rating"]
        for date, group in data[data["snapshot_date"].isin(dates)].groupby("snapshot_date")
    }
    pairs = []
    period_labels = []
    for start_date, end_date in zip(dates[:-1], dates[1:]):
        start = by_date[start_date]
        end = by_date[end_date]
        both = start.index.intersection(end.index, sort=False)
        leaving = start.index.difference(end.index, sort=False)
        arriving = end.index.difference(start.index, sort=False)
        # A defaulted obligor often has no row after the default. That is the
        # absorbing state, not an exit, so such pairs are left out and counted.
        leaving_ratings = list(start.loc[leaving])
        exits = [rating for rating in leaving_ratings if rating not in default_states]
        defaulted_leaving = len(leaving_ratings) - len(exits)
        starts = list(start.loc[both]) + exits + [NEW] * len(arriving)
        ends = list(end.loc[both]) + [EXIT] * len(exits) + list(end.loc[arriving])
        pairs.append((starts, ends, defaulted_leaving))
        period_labels.append((_iso_date(start_date), _iso_date(end_date)))
    return pairs, period_labels


def _iso_date(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat()


def _parse_dates(values: pd.Series) -> pd.Series:
    # Text dates must be ISO 8601, so that "01/02/2024" is never read as either day first or month first.
    text = not pd.api.types.is_datetime64_any_dtype(values)
    try:
        parsed = pd.to_datetime(values, errors="raise", format="ISO8601" if text else None)
    except (ValueError, TypeError) as error:
        raise ValidationError(
            f"snapshot_date has values that are not ISO dates such as 2024-12-31: {error}",
            code="invalid_date",
        ) from error
    if parsed.isna().any():
        raise ValidationError(
            f"{int(parsed.isna().sum())} rows have no snapshot_date.", code="missing_values"
        )
    return parsed.dt.normalize()


def _apply_default_flag(data: pd.DataFrame, default_states: tuple[str, ...]) -> pd.DataFrame:
    if not default_states:
        raise ValidationError(
            "default_flag_as_state needs a default state, but default_states is empty.",
            code="invalid_options",
        )
    flags = pd.to_numeric(data["default_flag"], errors="coerce")
    invalid = ~flags.isin([0, 1]) & data["default_flag"].notna()
    if invalid.any():
        raise ValidationError(
            f"default_flag must be 0 or 1, but {int(invalid.sum())} rows have other values.",
            code="invalid_default_flag",
        )
    data = data.copy()
    data.loc[flags == 1, "rating"] = default_states[0]
    return data


def _period_date(value: str) -> pd.Timestamp:
    """Return the requested snapshot date ``value`` as a timestamp at midnight, or raise ``invalid_periods``."""
    try:
        date = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError) as error:
        reason = str(error)
    else:
        # An empty text or "NaT" gives NaT rather than an error.
        if not pd.isna(date):
            return date.normalize()
        reason = "no date"
    value_start = str(value)[:40]
    raise ValidationError(
        f"periods must be ISO dates such as 2024-12-31, but {value_start!r} is not one ({reason}).",
        code="invalid_periods",
        details={"value": value_start},
    )


def _select_periods(available: list[pd.Timestamp], requested: list[str] | None) -> list[pd.Timestamp]:
    available_dates = [_iso_date(date) for date in available]
    if requested is None:
        dates = available
    else:
        requested_dates = sorted({_period_date(value) for value in requested})
        available_set = set(available)
        unknown = [_iso_date(date) for date in requested_dates if date not in available_set]
        if unknown:
            raise ValidationError(
                f"The periods {unknown} are not snapshot dates of the dataset. "
                f"Available dates: {available_dates}.",
                code="invalid_periods",
                details={"unknown": unknown, "available": available_dates},
            )
        dates = requested_dates
    if len(dates) < 2:
        selected = [_iso_date(date) for date in dates]
        raise ValidationError(
            f"Rating transitions need at least two snapshot dates, but the selection is {selected}. "
            f"Available dates: {available_dates}.",
            code="too_few_periods",
            details={"selected": selected, "available": available_dates},
        )
    return list(dates)


def _grade_order(labels: list[str], options: TransitionOptions) -> GradeOrder:
    try:
        order = resolve_grade_order(
            labels, custom_order=options.grade_order, default_states=options.default_states
        )
    except ValueError as error:
        # A blank or repeated grade in the requested order is the request's fault.
        raise ValidationError(str(error), code="invalid_grade_order", details={"grade_order": options.grade_order}) from None
    if order.default_states or options.default_states is not None:
        return order
    # Every matrix gets a default column, so that "no defaults" is visible.
    state = "Default" if "D" in order.grades else "D"
    return resolve_grade_order(labels, custom_order=options.grade_order, default_states=[state])


def _period_block(
    start: str, end: str, counts: TransitionCounts, defaulted_leaving: int, limits: dict[str, float]
) -> dict[str, Any]:
    summary = migration_summary(counts)
    small = limits["min_grade_obligors"]
    by_grade = []
    for grade in summary.grades:
        entry = grade.to_dict()
        entry["small_grade"] = 0 < grade.obligors < small
        by_grade.append(entry)
    flags = []
    if counts.empty_grades:
        flags.append({"flag": "empty_grades", "grades": list(counts.empty_grades)})
    if counts.default_rows:
        flags.append(
            {
                "flag": "default_state_rows",
                "grades": list(counts.default_rows),
                "note": (
                    "Obligors observed in default at both dates. The state is absorbing, "
                    "so they are left out of the statistics."
                ),
            }
        )
    if summary.cures:
        flags.append({"flag": "cures", "count": summary.cures})

    block: dict[str, Any] = {
        "from_period": start,
        "to_period": end,
        "matrix": counts.to_dict(),
        "summary": summary.to_dict(),
        "excluded": {
            "missing_rating": counts.missing_rating,
            "defaulted_without_next_row": defaulted_leaving,
            "exits_not_counted": counts.exits_dropped,
            "new_not_counted": counts.new_dropped,
        },
        "flags": flags,
        "matrix_weighted_bandwidth": _mwb_entries(counts, limits),
        "migration_z_tests": _z_test_block(counts, limits),
    }
    block["summary"]["by_grade"] = by_grade
    return block


def _mwb_entries(counts: TransitionCounts, limits: dict[str, float]) -> dict[str, Any]:
    entries = {}
    for direction in ("upper", "lower"):
        try:
            value = matrix_weighted_bandwidth(counts.performing_block, direction)
        except NotComputable as error:
            entries[direction] = not_computable_entry(error)
            continue
        status = status_lower_is_better(value, limits["mwb_threshold"], float("inf"))
        entries[direction] = metric_entry(value, status)
    return entries


def _z_test_block(counts: TransitionCounts, limits: dict[str, float]) -> dict[str, Any]:
    tests = migration_z_tests(counts.performing_block, counts.performing_totals, counts.performing_grades)
    cells = []
    for test in tests:
        cell = test.to_dict()
        cell["status"] = status_pvalue(test.p_value, limits)
        cells.append(cell)
    p_values = [test.p_value for test in tests if test.p_value is not None]
    return {
        "cells": cells,
        "tested_cells": len(p_values),
        "significant_cells": sum(p < limits["pvalue_amber"] for p in p_values),
        "min_p_value": min(p_values) if p_values else None,
    }


def _rate_change_tests(
    period_counts: list[tuple[str, str, TransitionCounts, int]], limits: dict[str, float]
) -> list[dict[str, Any]]:
    comparisons = []
    summaries = [(start, end, migration_summary(counts)) for start, end, counts, _ in period_counts]
    for earlier, later in zip(summaries[:-1], summaries[1:]):
        (first_start, first_end, first), (second_start, second_end, second) = earlier, later
        tests = []
        for first_grade, second_grade in zip(first.grades, second.grades):
            for rate in SUMMARY_RATES:
                field = _RATE_COUNT_FIELDS[rate]
                entry: dict[str, Any] = {"grade": first_grade.grade, "rate": rate}
                try:
                    test = rate_change_test(
                        getattr(first_grade, field),
                        first_grade.obligors,
                        getattr(second_grade, field),
                        second_grade.obligors,
                    )
                except NotComputable as error:
                    entry.update(
                        {
                            "rate_first": first_grade.rate(rate),
                            "rate_second": second_grade.rate(rate),
                            "obligors_first": first_grade.obligors,
                            "obligors_second": second_grade.obligors,
                            "z": None,
                            "p_value": None,
                            "status": None,
                            "reason": error.reason,
                        }
                    )
                else:
                    entry.update(test.to_dict())
                    entry["status"] = status_pvalue(test.p_value, limits)
                tests.append(entry)
        p_values = [test["p_value"] for test in tests if test["p_value"] is not None]
        comparisons.append(
            {
                "first": {"from_period": first_start, "to_period": first_end},
                "second": {"from_period": second_start, "to_period": second_end},
                "tests": tests,
                "significant_tests": sum(p < limits["pvalue_amber"] for p in p_values),
                "min_p_value": min(p_values) if p_values else None,
            }
        )
    return comparisons


def _original_keys(counts: TransitionCounts, labels: list[str], significant_rate: float) -> dict[str, Any]:
    """Build the keys of the original MMT response from the pooled counts.

    ``transition_matrix[start][end]`` is the row rate, with an ``"Exit"`` key
    when exits are counted. The original returned the pandas crosstab
    column-oriented (``[end][start]``), alphabetically sorted. Significant
    migrations are off-diagonal rates between grades above
    ``significant_rate``, as in the original. The stability rate is that of
    :func:`mmt.stats.transitions.migration_summary`, and ``total_transitions``
    its denominator: the performing obligors at the start, exits included.
    """
    rates = counts.row_rates()
    matrix: dict[str, dict[str, float | None]] = {}
    significant: dict[str, dict[str, float]] = {}
    grade_columns = [label for label in counts.column_labels if label != EXIT]
    for row_label, row_rates in zip(counts.row_labels, rates):
        if row_label == NEW:
            continue
        matrix[row_label] = dict(zip(counts.column_labels, row_rates))
        for column_label in grade_columns:
            rate = matrix[row_label][column_label]
            if column_label != row_label and rate is not None and rate > significant_rate:
                significant.setdefault(row_label, {})[column_label] = rate
    summary = migration_summary(counts)
    return {
        "transition_matrix": matrix,
        "stability_rate": summary.total.rate("stability"),
        "unique_ratings": len(set(labels)),
        "total_transitions": summary.total.obligors,
        "significant_migrations": significant,
    }


def _rated_at_both_dates(counts: TransitionCounts) -> int:
    """Return the obligors with a rating or default state at both dates of a pair."""
    columns = [position for position, label in enumerate(counts.column_labels) if label != EXIT]
    rows = [position for position, label in enumerate(counts.row_labels) if label != NEW]
    return int(counts.counts[rows][:, columns].sum())


def _data_warnings(counts: TransitionCounts, pooled: dict[str, Any], limits: dict[str, float]) -> list[str]:
    messages = []
    if counts.empty_grades:
        messages.append(
            f"No obligor starts in grades {list(counts.empty_grades)}. Their rows are kept with rates null."
        )
    small = [
        entry["grade"]
        for entry in pooled["summary"]["by_grade"]
        if entry["small_grade"]
    ]
    if small:
        messages.append(
            f"Grades {small} have fewer than {limits['min_grade_obligors']:g} obligors at the start, "
            "so their rates and tests are imprecise."
        )
    if pooled["summary"]["cures"]:
        messages.append(
            f"{pooled['summary']['cures']} obligors moved from a default state back to a performing "
            "grade, although default states are treated as absorbing."
        )
    if counts.missing_rating:
        messages.append(
            f"{counts.missing_rating} obligor pairs have a missing rating at one of the two dates "
            "and are left out."
        )
    return messages


def _summary_statuses(
    pooled: dict[str, Any], rate_changes: list[dict[str, Any]], limits: dict[str, float]
) -> list[dict[str, Any]]:
    statuses = []
    for direction in ("upper", "lower"):
        entry = pooled["matrix_weighted_bandwidth"][direction]
        # A not computable entry carries its reason code as status, which is no traffic light.
        status = entry["status"] if entry["value"] is not None else None
        statuses.append({"metric": f"mwb_{direction}", "value": entry["value"], "status": status})
    z_tests = pooled["migration_z_tests"]
    statuses.append(
        {
            "metric": "migration_z_tests_significant_cells",
            "value": z_tests["significant_cells"] if z_tests["tested_cells"] else None,
            "status": status_pvalue(z_tests["min_p_value"], limits),
        }
    )
    statuses.append(
        {"metric": "stability_rate", "value": pooled["summary"]["stability_rate"], "status": None}
    )
    if rate_changes:
        p_values = [item["min_p_value"] for item in rate_changes if item["min_p_value"] is not None]
        statuses.append(
            {
                "metric": "rate_change_tests_significant",
                "value": sum(item["significant_tests"] for item in rate_changes) if p_values else None,
                "status": status_pvalue(min(p_values), limits) if p_values else None,
            }
        )
    return statuses
