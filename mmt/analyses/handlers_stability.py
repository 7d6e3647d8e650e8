"""Handlers of the stability (PSI/CSI) and WOE/IV analyses.

``POST /api/analyze/woe`` takes the same PD and PD-baseline dataset ids as
``POST /api/analyze/pd``, so the variable assessment of a PD model can be run
with its own binning options.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, StrictInt

from mmt.analyses.stability import StabilityOptions, analyze_stability
from mmt.analyses.woe import WOEOptions, analyze_woe
from mmt.api.schemas import MODEL_TYPES, AnalyzeBase
from mmt.errors import ValidationError
from mmt.services.analyses import AnalysisRun, register, resolve_dataset, same_content, same_content_warning
from mmt.services.datasets import get_dataset, parquet_path

WOE_DATASET_TYPES = ("pd", "pd_baseline", "ratings")


class StabilityAnalyzeRequest(AnalyzeBase, StabilityOptions):
    """Options of the stability analysis: datasets or periods, columns and bins."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    reference_dataset_id: StrictInt | None = Field(
        default=None,
        description="Dataset of any model type whose rows are the reference distribution. Only its reference_period "
        "rows are used when that option is given. The id of the analysed dataset itself needs reference_period or "
        "current_period to tell the two sides apart. Default: a period of the analysed dataset, the one labelled "
        "reference, baseline or development, else the earliest.",
    )


class WOEAnalyzeRequest(AnalyzeBase, WOEOptions):
    """Options of the WOE/IV analysis: columns, target and bins."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    reference_dataset_id: StrictInt | None = Field(
        default=None,
        description="Not accepted: WOE/IV bins one dataset against its own target, so a request with this key "
        "fails with 422. Use POST /api/analyze/stability to compare two datasets.",
    )


def _describe(dataset) -> dict[str, Any]:
    return {"id": dataset.id, "name": dataset.name, "model_type": dataset.model_type}


@register("stability", MODEL_TYPES, StabilityAnalyzeRequest)
def handle_stability(state: Any, session, payload: dict[str, Any], thresholds: dict[str, float]) -> AnalysisRun:
    request = StabilityAnalyzeRequest.model_validate(payload)
    dataset = resolve_dataset(session, request.chosen_dataset_id(), MODEL_TYPES, label="stability")
    reference = None
    reference_path = None
    reference_is_current = False
    if request.reference_dataset_id is not None:
        reference = get_dataset(session, request.reference_dataset_id)
        reference_path = parquet_path(state, reference)
        reference_is_current = reference.id == dataset.id
    options = StabilityOptions.model_validate(request.model_dump(include=set(StabilityOptions.model_fields)))
    results = analyze_stability(parquet_path(state, dataset), options, thresholds, reference_path=reference_path,
                                reference_is_current=reference_is_current)
    if reference is not None and same_content(dataset, reference):
        message = same_content_warning(dataset, reference)
        results["warnings"].append({"code": "same_content", "message": message,
                                    "details": {"dataset_id": dataset.id, "reference_dataset_id": reference.id}})
    parameters = {**request.model_dump(by_alias=True, exclude_none=True), **results["parameters"],
                  "dataset_id": dataset.id}
    if reference is not None:
        parameters["reference_dataset_id"] = reference.id
        results["reference"]["dataset"] = _describe(reference)
    results["parameters"] = parameters
    results["dataset"] = _describe(dataset)
    results["thresholds"] = thresholds
    return AnalysisRun(results=results, datasets=[dataset], reference=reference, parameters=parameters)


@register("woe", WOE_DATASET_TYPES, WOEAnalyzeRequest)
def handle_woe(state: Any, session, payload: dict[str, Any], thresholds: dict[str, float]) -> AnalysisRun:
    request = WOEAnalyzeRequest.model_validate(payload)
    if request.reference_dataset_id is not None:
        raise ValidationError(
            "WOE/IV bins one dataset against its own target, so it takes no reference_dataset_id. Remove it, "
            "or use POST /api/analyze/stability to compare two datasets.",
            code="invalid_option", details={"option": "reference_dataset_id"},
        )
    dataset = resolve_dataset(session, request.chosen_dataset_id(), WOE_DATASET_TYPES, label="WOE/IV")
    options = WOEOptions.model_validate(request.model_dump(include=set(WOEOptions.model_fields)))
    results = analyze_woe(parquet_path(state, dataset), options, thresholds)
    parameters = {**request.model_dump(by_alias=True, exclude_none=True), **results["parameters"],
                  "dataset_id": dataset.id}
    results["parameters"] = parameters
    results["dataset"] = _describe(dataset)
    return AnalysisRun(results=results, datasets=[dataset], parameters=parameters)
