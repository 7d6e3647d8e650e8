"""Request and response bodies of the API (pydantic models).

These models validate requests and generate the OpenAPI document. Request
models reject unknown keys, so a misspelt option is an error and not a
silently ignored setting.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

MODEL_TYPES = ("pd", "pd_baseline", "lgd", "ead", "macro", "ratings")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DatasetOut(BaseModel):
    """A stored dataset's metadata (the bytes are downloaded separately)."""

    id: int
    model_type: str
    file_type: str = Field(description="Model type as the original MMT front end reads it (baselines are 'pd').")
    name: str
    description: str | None
    original_filename: str
    sha256: str
    size_bytes: int
    file_size: int
    n_rows: int
    row_count: int
    n_columns: int
    columns: list[str]
    column_names: list[str]
    roles: dict[str, Any]
    source_format: dict[str, Any]
    quality: dict[str, Any] | None = None
    warnings: list[Any]
    is_baseline: bool
    created_at: str
    upload_date: str


class UploadResponse(BaseModel):
    success: bool = True
    message: str
    dataset_id: int
    dataset: DatasetOut
    warnings: list[Any] = []


class DatasetListResponse(BaseModel):
    success: bool = True
    datasets: list[DatasetOut]
    total: int
    page: int
    per_page: int


class DatasetResponse(BaseModel):
    success: bool = True
    dataset: DatasetOut


class DatasetUpdate(StrictModel):
    """Fields of a dataset that can be changed after upload."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    is_baseline: StrictBool | None = None


class MessageResponse(BaseModel):
    success: bool = True
    message: str


class AnalyzeBase(StrictModel):
    """Options every analysis accepts."""

    dataset_id: StrictInt | None = Field(default=None, description="Dataset to analyse; the latest upload of the type when omitted.")
    datasetId: StrictInt | None = Field(default=None, description="Alias of dataset_id used by the original front end.")
    reference_dataset_id: StrictInt | None = Field(
        default=None,
        description="Dataset to compare with, such as the extract of an earlier period. Each analysis request "
        "describes how it uses it.",
    )
    run_async: bool = Field(default=False, alias="async", description="Run as a background job and answer 202 with its id.")
    request_id: str | None = Field(default=None, max_length=128, description="Ignored; the original front end sends it to defeat caches.")

    def chosen_dataset_id(self) -> int | None:
        return self.dataset_id if self.dataset_id is not None else self.datasetId


class PDAnalyzeRequest(AnalyzeBase):
    """Options of the PD analysis."""

    segment: str | list[str] | None = Field(default=None, description="Keep only these values of the segment column.")
    segment_column: str | None = Field(default=None, description="Column to filter on; the segment role by default.")
    snapshot_date: str | list[str] | None = Field(default=None, description="Current period: these snapshot dates (ISO). Default: every snapshot after the reference snapshot, or all rows when the reference is another dataset.")
    reference_snapshot_date: str | list[str] | None = Field(default=None, description="Reference period snapshot dates when the reference is in the same dataset. Default: the earliest snapshot.")
    features: list[str] | None = Field(default=None, description="Feature columns for CSI and IV; every non-role column by default.")
    n_bins: int = Field(default=10, ge=2, le=100, description="Quantile bins for PD PSI, CSI and IV.")
    grade_order: list[str] | None = Field(default=None, description="Master-scale order of the grades, best first.")
    sortingMethod: str | None = Field(default=None, description="Original front end: 'PD_1_YR' or 'TTCReportingRating'.")
    reference_dataset_id: StrictInt | None = Field(
        default=None,
        description="PD or PD-baseline dataset of the reference period, the base of the PSI, CSI and other "
        "changes. Only its reference_snapshot_date rows are used when that option is given. The id of the "
        "analysed dataset itself splits it into reference_snapshot_date and snapshot_date rows, which both become "
        "required. Default: the earliest snapshot of the dataset that is not a current one. With fewer than two "
        "snapshots and no dates given, the latest baseline that has the score column and at least half of the "
        "features or grades.",
    )
    max_curve_points: int = Field(
        default=200,
        ge=10,
        le=5000,
        description="Maximum number of points on each of the ROC and CAP curves. Longer curves are thinned evenly, "
        "keeping both ends and the KS point.",
    )
    include_variable_importance: bool = Field(
        default=True,
        description="Compute the information value (IV) and WOE bins of every feature on the current rows. "
        "Set false to skip them, which saves time on wide datasets.",
    )


class AnalyzeResponse(BaseModel):
    success: bool = True
    analysis_result_id: int
    results: dict[str, Any]
    warnings: list[Any] = []


class JobAccepted(BaseModel):
    success: bool = True
    job_id: str
    status_url: str
    message: str


class AnalysisResultOut(BaseModel):
    id: int
    analysis_type: str
    dataset_id: int | None
    reference_dataset_id: int | None
    dataset_ids: list[Any]
    parameters: dict[str, Any]
    thresholds: dict[str, Any]
    statuses: list[Any]
    warnings: list[Any]
    status: str
    software_version: str
    input_sha256: str
    duration_ms: float
    created_at: str
    analysis_date: str
    result_data: dict[str, Any] | None = None


class AnalysisResultListResponse(BaseModel):
    success: bool = True
    analysis_results: list[AnalysisResultOut]
    total: int
    page: int
    per_page: int


class AnalysisResultResponse(BaseModel):
    success: bool = True
    analysis_result: AnalysisResultOut


class ThresholdsResponse(BaseModel):
    success: bool = True
    thresholds: dict[str, float]
    defaults: dict[str, float]
    specs: list[dict[str, Any]]
    warnings: list[dict[str, Any]] = []


class ThresholdsSaved(BaseModel):
    success: bool = True
    message: str
    thresholds: dict[str, float]
    changed: dict[str, dict[str, float | None]]
    warnings: list[dict[str, Any]] = []


class ThresholdHistoryResponse(BaseModel):
    success: bool = True
    history: list[dict[str, Any]]


class SummaryResponse(BaseModel):
    """Counts, the latest result per type and per dataset, and every amber or red figure."""

    success: bool = True
    counts: dict[str, Any]
    latest: dict[str, Any]
    latest_by_dataset: list[dict[str, Any]] = []
    breaches: list[dict[str, Any]]
    thresholds: dict[str, float]


class JobOut(BaseModel):
    success: bool = True
    job_id: str
    kind: str
    state: Literal["queued", "running", "completed", "failed"] | str
    progress: float
    message: str | None
    result_id: int | None
    dataset_id: int | None
    result_url: str | None
    error: dict[str, Any] | None
    retryable: bool
    created_at: str
    updated_at: str


class JobListResponse(BaseModel):
    """One page of background jobs, newest first."""

    success: bool = True
    jobs: list[JobOut]
    total: int = Field(description="Jobs that match the filters, on every page together.")
    limit: int
    next_cursor: str | None = Field(
        description="Pass as cursor to get the next, older page; null on the last page.")


def iso(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""
