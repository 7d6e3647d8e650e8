"""Handler of the macro (satellite) model analysis."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, StrictInt

from mmt.analyses.frames import read_frame
from mmt.analyses.macro import MacroOptions, analyze_macro
from mmt.api.schemas import AnalyzeBase
from mmt.services.analyses import AnalysisRun, register, resolve_dataset


class MacroAnalyzeRequest(AnalyzeBase, MacroOptions):
    """Options of the macro analysis: target, regressors, test settings, split."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    reference_dataset_id: StrictInt | None = Field(
        default=None,
        description="Not used: the macro analysis compares the model with its own development and out-of-time "
        "samples. A given id is only stored with the parameters.",
    )


@register("macro", ("macro",), MacroAnalyzeRequest)
def handle_macro(state: Any, session, payload: dict[str, Any], thresholds: dict[str, float]) -> AnalysisRun:
    request = MacroAnalyzeRequest.model_validate(payload)
    dataset = resolve_dataset(session, request.chosen_dataset_id(), ("macro",), label="macro")
    options = MacroOptions.model_validate(request.model_dump(include=set(MacroOptions.model_fields)))
    results = analyze_macro(read_frame(state, dataset), options, thresholds)
    parameters = {**request.model_dump(by_alias=True, exclude_none=True), **results.get("parameters", {})}
    parameters["dataset_id"] = dataset.id
    results["dataset"] = {"id": dataset.id, "name": dataset.name, "model_type": dataset.model_type}
    results["thresholds"] = thresholds
    return AnalysisRun(results=results, datasets=[dataset], parameters=parameters)
