"""Handlers of the LGD and EAD/CCF back-tests."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, StrictInt

from mmt.analyses.ead import EADOptions, analyze_ead
from mmt.analyses.frames import read_frame
from mmt.analyses.lgd import LGDOptions, analyze_lgd
from mmt.api.schemas import AnalyzeBase
from mmt.errors import MMTError
from mmt.ingest.specs import article
from mmt.services.analyses import AnalysisRun, register, resolve_dataset, same_content, same_content_warning
from mmt.services.datasets import get_dataset


class LGDAnalyzeRequest(AnalyzeBase, LGDOptions):
    """Options of the LGD analysis: filters by quarter, portfolio and model name."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    reference_dataset_id: StrictInt | None = Field(
        default=None,
        description="LGD dataset of the initial validation. Its gAUC on the rows of the portfolio and modelName "
        "filters is the reference of the gAUC test, unless reference_gauc is given.",
    )


class EADAnalyzeRequest(AnalyzeBase, EADOptions):
    """Options of the EAD/CCF analysis: filters by quarter, portfolio and model name."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    reference_dataset_id: StrictInt | None = Field(
        default=None,
        description="EAD dataset of the initial validation. Its CCF gAUC on the rows of the portfolio and modelName "
        "filters is the reference of the CCF gAUC test, unless reference_gauc is given.",
    )


def _reference(state: Any, session, request: AnalyzeBase, model_type: str):
    if request.reference_dataset_id is None:
        return None, None
    reference = get_dataset(session, request.reference_dataset_id)
    if reference.model_type != model_type:
        raise MMTError(
            f"Reference dataset {reference.id} is {article(reference.model_type)} '{reference.model_type}' upload, not {model_type}.",
            code="wrong_dataset_type", details={"reference_dataset_id": reference.id, "model_type": reference.model_type},
        )
    return reference, read_frame(state, reference)


def _run(state, session, payload, thresholds, *, kind: str) -> AnalysisRun:
    request_model = LGDAnalyzeRequest if kind == "lgd" else EADAnalyzeRequest
    options_model = LGDOptions if kind == "lgd" else EADOptions
    analyze = analyze_lgd if kind == "lgd" else analyze_ead
    request = request_model.model_validate(payload)
    dataset = resolve_dataset(session, request.chosen_dataset_id(), (kind,), label=kind.upper())
    reference, reference_frame = _reference(state, session, request, kind)
    options = options_model.model_validate(request.model_dump(include=set(options_model.model_fields)))
    reference_is_current = reference is not None and reference.id == dataset.id
    results = analyze(read_frame(state, dataset), options, thresholds, reference_frame=reference_frame,
                      reference_is_current=reference_is_current)
    if reference is not None and options.reference_gauc is None and same_content(dataset, reference):
        results["warnings"].append(same_content_warning(dataset, reference))
    parameters = request.model_dump(by_alias=True, exclude_none=True)
    parameters["dataset_id"] = dataset.id
    results["dataset"] = {"id": dataset.id, "name": dataset.name, "model_type": dataset.model_type}
    results["thresholds"] = thresholds
    return AnalysisRun(results=results, datasets=[dataset], reference=reference, parameters=parameters)


@register("lgd", ("lgd",), LGDAnalyzeRequest)
def handle_lgd(state: Any, session, payload: dict[str, Any], thresholds: dict[str, float]) -> AnalysisRun:
    return _run(state, session, payload, thresholds, kind="lgd")


@register("ead", ("ead",), EADAnalyzeRequest)
def handle_ead(state: Any, session, payload: dict[str, Any], thresholds: dict[str, float]) -> AnalysisRun:
    return _run(state, session, payload, thresholds, kind="ead")
