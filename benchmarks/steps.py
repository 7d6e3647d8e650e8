"""One benchmark step, run in its own process by benchmarks/run.py.

``python benchmarks/steps.py STEP --rows N --data DIR --work DIR`` runs the
step on the generated portfolio of N + N rows and prints one JSON line with
the step's own timings in seconds (imports and process start excluded). The
parent process measures the peak resident memory of this process.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.generate import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES, portfolio_paths  # noqa: E402

FLAG = "default_flag"


def _timed(function, *args, **kwargs):
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - started


def step_pyarrow_read(paths, args) -> dict:
    import pyarrow.csv as pa_csv

    started = time.perf_counter()
    rows = sum(pa_csv.read_csv(path).num_rows for path in paths.values())
    return {"seconds": time.perf_counter() - started, "rows_read": rows}


def step_pyarrow_parquet(paths, args) -> dict:
    """Read the two CSVs with pyarrow and write each as Parquet, with no check of the values.

    Close to the least work of any tool that keeps a columnar copy of an upload, as
    MMT does to analyse it again without reading the CSV.
    """
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for period, path in paths.items():
        pq.write_table(pa_csv.read_csv(path), work / f"{period}.parquet")
    return {"seconds": time.perf_counter() - started}


def step_pandas_read(paths, args) -> dict:
    import pandas as pd

    started = time.perf_counter()
    rows = sum(len(pd.read_csv(path)) for path in paths.values())
    return {"seconds": time.perf_counter() - started, "rows_read": rows}


def _mmt_app(work: Path):
    from mmt import create_app

    # Import what a running server has imported already, so that the timings leave imports out.
    import mmt.analyses.pd  # noqa: F401
    import mmt.analyses.registry  # noqa: F401
    import mmt.ingest  # noqa: F401

    return create_app({"instance_dir": work / "instance", "data_dir": work / "data",
                       "database_url": f"sqlite:///{work / 'mmt.sqlite3'}", "log_level": "WARNING",
                       "async_row_threshold": 10**12})


def step_mmt_full(paths, args) -> dict:
    """Upload bytes to stored result: ingest both files, then the PD battery, in one process."""
    import shutil

    from mmt.services.analyses import run_analysis
    from mmt.services.datasets import store_upload

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    app = _mmt_app(work)
    state = app.extensions["mmt"]
    timings = {}
    started = time.perf_counter()
    ids = {}
    for period, model_type in (("reference", "pd_baseline"), ("current", "pd")):
        with open(paths[period], "rb") as handle:
            dataset, timings[f"ingest_{period}"] = _timed(store_upload, state, handle, paths[period].name, model_type)
        ids[period] = dataset.id
    with app.app_context():
        record, timings["analysis"] = _timed(run_analysis, state, "pd", {
            "dataset_id": ids["current"], "reference_dataset_id": ids["reference"]})
    timings["seconds"] = time.perf_counter() - started
    from mmt.engine.sorted_store import STORE

    # The sorted columns are written to disk in the background after the result is stored.
    STORE.flush()
    size = sum(path.stat().st_size for path in paths.values())
    timings["ingest_mb_per_s"] = size / 1e6 / (timings["ingest_reference"] + timings["ingest_current"])
    (work / "ids.json").write_text(json.dumps({**ids, "result_id": record.id}))
    results = record.results
    timings["auc"] = results["discrimination"]["auc"]["value"]
    timings["psi"] = results["stability"]["psi"]["value"]
    timings["statuses"] = len(results["summary_statuses"])
    return timings


def _warm_up(app, work: Path) -> None:
    """Run the PD battery once on a small pair of its own, as a server that is already running has.

    A new process pays once for Arrow's thread pools and memory pool and for
    DuckDB's first queries. A running server has paid that before a user
    requests an analysis.
    """
    from benchmarks.generate import generate_portfolio
    from mmt.services.analyses import run_analysis
    from mmt.services.datasets import store_upload

    state = app.extensions["mmt"]
    ids = {}
    for period, model_type in (("reference", "pd_baseline"), ("current", "pd")):
        path = generate_portfolio(work / "warm-up" / f"{period}.csv", 2_000, period)
        with open(path, "rb") as handle:
            ids[period] = store_upload(state, handle, path.name, model_type).id
    with app.app_context():
        run_analysis(state, "pd", {"dataset_id": ids["current"], "reference_dataset_id": ids["reference"]})


def step_mmt_reanalysis(paths, args) -> dict:
    """The PD battery again on the already ingested pair, in a running server.

    Three cases, in this order: the first analysis of the pair in this
    process, which reads the sorted columns that the first analysis wrote
    beside the datasets (as after a restart, or in another worker process);
    the same with those files ignored, so that the columns are read from
    Parquet and sorted again (as the very first analysis of a pair); and the
    later runs, which find the sorted columns in memory, as when an analyst
    runs the battery again with other thresholds or options.
    """
    from mmt.engine.sorted_cache import SHARED
    from mmt.engine.sorted_store import STORE
    from mmt.services.analyses import run_analysis

    work = Path(args.work)
    ids = json.loads((work / "ids.json").read_text())
    app = _mmt_app(work)
    _warm_up(app, work)
    STORE.flush()
    SHARED.clear()
    state = app.extensions["mmt"]
    payload = {"dataset_id": ids["current"], "reference_dataset_id": ids["reference"]}
    with app.app_context():
        _, first = _timed(run_analysis, state, "pd", payload)
        SHARED.clear()
        root, STORE.root = STORE.root, None
        _, unstored = _timed(run_analysis, state, "pd", payload)
        STORE.root = root
        cached = [_timed(run_analysis, state, "pd", payload)[1] for _ in range(max(1, args.repeat - 1))]
    return {"seconds": first, "unstored_seconds": unstored, "best_seconds": min(cached),
            "runs": [first, unstored, *cached]}


def _frames(paths):
    import pandas as pd

    return pd.read_csv(paths["current"]), pd.read_csv(paths["reference"])


def step_sklearn(paths, args) -> dict:
    """AUC, ROC, KS and Brier score with scikit-learn and SciPy on the two periods."""
    from scipy import stats
    from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

    current, reference = _frames(paths)
    started = time.perf_counter()
    for frame in (current, reference):
        roc_auc_score(frame[FLAG], frame["pd"])
        roc_curve(frame[FLAG], frame["pd"])
        stats.ks_2samp(frame.loc[frame[FLAG] == 1, "pd"], frame.loc[frame[FLAG] == 0, "pd"])
        brier_score_loss(frame[FLAG], frame["pd"])
    return {"seconds": time.perf_counter() - started}


def step_toad_psi(paths, args) -> dict:
    """toad PSI of the PD, the grade and the eleven features (12 columns)."""
    import toad

    current, reference = _frames(paths)
    columns = ["pd", *FEATURES]
    started = time.perf_counter()
    toad.metrics.PSI(current[columns], reference[columns])
    return {"seconds": time.perf_counter() - started, "columns": len(columns)}


def step_toad_iv(paths, args) -> dict:
    """toad information value of the eleven features on the current period."""
    import toad

    current, _ = _frames(paths)
    started = time.perf_counter()
    toad.quality(current[[*FEATURES, FLAG]], target=FLAG, iv_only=True)
    return {"seconds": time.perf_counter() - started, "features": len(FEATURES)}


def step_optbinning(paths, args) -> dict:
    """optbinning BinningProcess (optimal binning, WOE and IV) of the eleven features."""
    from optbinning import BinningProcess

    current, _ = _frames(paths)
    started = time.perf_counter()
    process = BinningProcess(variable_names=list(FEATURES), categorical_variables=list(CATEGORICAL_FEATURES))
    process.fit(current[list(FEATURES)], current[FLAG].to_numpy())
    return {"seconds": time.perf_counter() - started, "features": len(FEATURES)}


def step_scorecardpy(paths, args) -> dict:
    """scorecardpy woebin of the eleven features on the first ``--sample`` current rows."""
    import scorecardpy

    current, _ = _frames(paths)
    sample = current.head(args.sample)[[*FEATURES, FLAG]]
    started = time.perf_counter()
    scorecardpy.woebin(sample, y=FLAG, x=list(FEATURES), no_cores=1, print_step=0)
    return {"seconds": time.perf_counter() - started, "sample_rows": len(sample)}


STEPS = {name[len("step_"):]: function for name, function in globals().items() if name.startswith("step_")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=200_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    paths = portfolio_paths(Path(args.data), args.rows)
    print(json.dumps(STEPS[args.step](paths, args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
