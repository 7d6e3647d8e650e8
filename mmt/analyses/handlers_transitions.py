"""Handler of the rating transition analysis."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import ConfigDict, Field, StrictInt

from mmt.analyses.frames import read_frame
from mmt.analyses.transitions import TransitionOptions, analyze_rating_transitions
from mmt.api.schemas import AnalyzeBase
from mmt.errors import ValidationError
from mmt.services.analyses import AnalysisRun, register, resolve_dataset, same_content, same_content_warning
from mmt.services.datasets import latest_dataset


class TransitionAnalyzeRequest(AnalyzeBase, TransitionOptions):
    """Options of the rating transition analysis: a dataset, or two arrays of ratings."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    reference_dataset_id: StrictInt | None = Field(
        default=None,
        description="Ratings, PD or PD-baseline extract of the previous period, stacked with the analysed dataset "
        "as the earlier snapshot. When either extract has no snapshot_date column, both are dated by their "
        "upload dates. It must differ from the analysed dataset. It is ignored when the ratings are given as "
        "previous_ratings and current_ratings without dataset_id.",
    )


REQUIRED = ("obligor_id", "snapshot_date", "rating")


@register("rating_transition", ("ratings", "pd", "pd_baseline"), TransitionAnalyzeRequest)
def handle_rating_transition(state: Any, session, payload: dict[str, Any], thresholds: dict[str, float]) -> AnalysisRun:
    request = TransitionAnalyzeRequest.model_validate(payload)
    options = TransitionOptions.model_validate(request.model_dump(include=set(TransitionOptions.model_fields)))
    datasets = []
    frame = None
    arrays_given = request.previous_ratings is not None or request.current_ratings is not None
    reference = None
    if not arrays_given or request.chosen_dataset_id() is not None:
        dataset_id = request.chosen_dataset_id()
        if dataset_id is None and latest_dataset(session, ("ratings",)) is not None:
            # A rating history is what this analysis is for; PD extracts only when there is none.
            dataset = resolve_dataset(session, None, ("ratings",), label="rating transition")
        else:
            dataset = resolve_dataset(session, dataset_id, ("ratings", "pd", "pd_baseline"), label="rating transition")
        frame = read_frame(state, dataset)
        if request.reference_dataset_id is not None:
            reference = resolve_dataset(session, request.reference_dataset_id, ("ratings", "pd", "pd_baseline"),
                                        label="rating transition")
            if reference.id == dataset.id:
                raise ValidationError(
                    f"reference_dataset_id names dataset {dataset.id} itself, so every obligor would keep its rating. "
                    "Leave reference_dataset_id out to use the snapshots of a rating history, or name the extract "
                    "of the previous period.",
                    code="reference_equals_current",
                    details={"dataset_id": dataset.id, "reference_dataset_id": reference.id},
                )
            frame = _stack_snapshots(read_frame(state, reference), reference, frame, dataset)
        missing = [column for column in REQUIRED if column not in frame.columns]
        if missing:
            raise ValidationError(
                f"Dataset {dataset.id} lacks the columns a transition matrix needs: {', '.join(missing)}. "
                "Upload a rating history with obligor_id, snapshot_date and rating.",
                code="missing_column", details={"dataset_id": dataset.id, "missing": missing, "columns": list(frame.columns)},
            )
        datasets.append(dataset)
    results = analyze_rating_transitions(frame, options, thresholds)
    if reference is not None and same_content(datasets[0], reference):
        results.setdefault("warnings", []).append(same_content_warning(datasets[0], reference))
    parameters = request.model_dump(by_alias=True, exclude_none=True, exclude={"previous_ratings", "current_ratings"})
    if datasets:
        parameters["dataset_id"] = datasets[0].id
        results["dataset"] = {"id": datasets[0].id, "name": datasets[0].name, "model_type": datasets[0].model_type}
    results["thresholds"] = thresholds
    return AnalysisRun(results=results, datasets=datasets, reference=reference, parameters=parameters)


def _stack_snapshots(previous: pd.DataFrame, previous_dataset, current: pd.DataFrame, current_dataset) -> pd.DataFrame:
    """Stack two single-snapshot extracts (e.g. last quarter's and this quarter's) into one rating history.

    Extracts without a snapshot date get their upload dates, the previous one
    at least a day before the current one, so that the order is kept.
    """
    previous_date = current_date = None
    if "snapshot_date" not in previous.columns or "snapshot_date" not in current.columns:
        current_date = pd.Timestamp(current_dataset.created_at.date())
        previous_date = min(pd.Timestamp(previous_dataset.created_at.date()), current_date - pd.Timedelta(days=1))
    parts = []
    for frame, date in ((previous, previous_date), (current, current_date)):
        part = frame.copy()
        if date is not None:
            part["snapshot_date"] = date.date()
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
