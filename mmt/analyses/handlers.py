"""Handlers that connect each analysis type to its datasets and options."""

from __future__ import annotations

from typing import Any

from mmt.api.schemas import PDAnalyzeRequest
from mmt.engine import get_engine
from mmt.services.analyses import AnalysisRun, register, resolve_dataset

@register("pd", ("pd", "pd_baseline"), PDAnalyzeRequest)
def handle_pd(state: Any, session, payload: dict[str, Any], thresholds: dict[str, float]) -> AnalysisRun:
    from mmt.analyses.pd import analyze_pd
    from mmt.analyses.pd_inputs import build_pd_inputs

    request = PDAnalyzeRequest.model_validate(payload)
    dataset = resolve_dataset(session, request.chosen_dataset_id(), ("pd", "pd_baseline"), label="PD")
    engine = get_engine(state.settings.engine, state.settings.spark_master)
    inputs, reference = build_pd_inputs(state, session, dataset, request, thresholds, engine)
    results = analyze_pd(inputs)
    parameters = request.model_dump(by_alias=True, exclude_none=True)
    parameters.update(dataset_id=dataset.id, score_column=inputs.score_column, grade_column=inputs.grade_column,
                      features=inputs.features, engine=engine.name)
    results["parameters"] = parameters
    results["thresholds"] = thresholds
    results["dataset"] = {"id": dataset.id, "name": dataset.name, "model_type": dataset.model_type}
    return AnalysisRun(results=results, datasets=[dataset], reference=reference, parameters=parameters)
