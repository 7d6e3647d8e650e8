"""Results of every analysis type on the sample data, computed by calling the analyses directly.

The report builders only read a result's JSON, so these tests need no
database: each fixture runs the analysis on a file of ``data/`` with its
columns renamed to the canonical roles, as ingest would.
"""

from __future__ import annotations

import types
from pathlib import Path

import pandas as pd
import pytest

from mmt.reports import ReportInput
from mmt.thresholds import DEFAULTS

DATA = Path(__file__).resolve().parents[2] / "data"


def report_input(analysis_type: str, results: dict, *, name: str = "sample.csv", statuses: list | None = None) -> ReportInput:
    """Wrap analysis results as a stored result would be read for a report."""
    return ReportInput(
        result_id=7,
        analysis_type=analysis_type,
        created_at="2026-01-02 03:04:05",
        software_version="0.1.0",
        input_sha256="0" * 64,
        duration_ms=1500.0,
        parameters=dict(results.get("parameters") or {}),
        thresholds=dict(DEFAULTS),
        statuses=list(statuses if statuses is not None else results.get("summary_statuses") or []),
        warnings=list(results.get("warnings") or []),
        results=results,
        dataset={"id": 3, "name": name, "model_type": analysis_type, "original_filename": name, "n_rows": 1000},
    )


def pd_frame(filename: str) -> pd.DataFrame:
    frame = pd.read_csv(DATA / filename).rename(columns={"rating_grade": "rating"})
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"]).dt.date
    return frame


def run_pd(frame: pd.DataFrame, folder: Path) -> dict:
    """Run the PD analysis on ``frame`` through the DuckDB engine, as the PD handler does."""
    from mmt.analyses.pd import analyze_pd
    from mmt.analyses.pd_inputs import build_pd_inputs
    from mmt.api.schemas import PDAnalyzeRequest
    from mmt.engine import get_engine
    from mmt.jsonsafe import to_jsonable

    path = folder / "pd.parquet"
    frame.to_parquet(path)
    state = types.SimpleNamespace(files=types.SimpleNamespace(absolute=lambda relative: folder / relative))
    dataset = types.SimpleNamespace(id=3, parquet_path=path.name, columns=list(frame.columns))
    inputs, _ = build_pd_inputs(state, None, dataset, PDAnalyzeRequest(), dict(DEFAULTS), get_engine())
    return to_jsonable(analyze_pd(inputs))


@pytest.fixture(scope="session")
def german_frame() -> pd.DataFrame:
    return pd_frame("pd_germancredit.csv")


@pytest.fixture(scope="session")
def pd_results(german_frame, tmp_path_factory) -> dict:
    return run_pd(german_frame, tmp_path_factory.mktemp("pd"))


@pytest.fixture(scope="session")
def lgd_frame() -> pd.DataFrame:
    return pd.read_csv(DATA / "lgd_synthetic.csv").rename(
        columns={"predicted_lgd": "lgd_predicted", "realised_lgd": "lgd_realised", "ead_at_default": "ead"})


@pytest.fixture(scope="session")
def lgd_results(lgd_frame) -> dict:
    from mmt.analyses.lgd import LGDOptions, analyze_lgd

    return analyze_lgd(lgd_frame, LGDOptions(), None)


@pytest.fixture(scope="session")
def ead_results() -> dict:
    from mmt.analyses.ead import EADOptions, analyze_ead

    frame = pd.read_csv(DATA / "ead_synthetic.csv").rename(columns={
        "limit_amount": "limit", "drawn_amount_ref": "drawn", "ead_at_default": "ead_realised",
        "realised_ccf": "ccf_realised", "predicted_ccf": "ccf_predicted", "predicted_ead": "ead_predicted"})
    return analyze_ead(frame, EADOptions(), None)


@pytest.fixture(scope="session")
def transition_frame() -> pd.DataFrame:
    return pd.read_csv(DATA / "rating_transitions.csv")


@pytest.fixture(scope="session")
def transition_results(transition_frame) -> dict:
    from mmt.analyses.transitions import analyze_rating_transitions

    return analyze_rating_transitions(transition_frame, None, None)


@pytest.fixture(scope="session")
def macro_frame() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "macro_quarterly.csv")
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


@pytest.fixture(scope="session")
def macro_results(macro_frame) -> dict:
    from mmt.analyses.macro import analyze_macro

    options = {"target": "default_rate", "regressors": ["gdp_growth_yoy_pct", "unemployment_rate_pct"],
               "fitted": "fitted_default_rate", "target_transformation": "logit", "sample_column": "sample"}
    return analyze_macro(macro_frame, options, None)
