"""The ``mmt`` command: serve, worker, db upgrade, upload, analyze, jobs, report, demo.

Commands other than ``serve`` run in-process against the configured database
(``DATABASE_URL``, else the SQLite file in the instance folder), or against
a running server when ``--url`` is given.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import sys
import time
from pathlib import Path
from typing import Any

import click

from mmt.security.cli import apikey

SAMPLE_UPLOADS: tuple[tuple[str, str], ...] = (
    ("pd", "pd_germancredit.csv"),
    ("pd", "pd_default_islp.csv"),
    ("pd", "pd_lendingclub.csv"),
    ("pd_baseline", "mmt_original/Data_PD_Model_pvs_qtr.csv"),
    ("pd", "mmt_original/Data_PD_Model.csv"),
    ("lgd", "lgd_synthetic.csv"),
    ("lgd", "mmt_original/lgd_mock_data.csv"),
    ("ead", "ead_synthetic.csv"),
    ("ead", "mmt_original/EAD_Mock_Data.xlsx"),
    ("macro", "macro_quarterly.csv"),
    ("macro", "mmt_original/MacroData_predicted_defaultrate.xlsx"),
    ("ratings", "rating_transitions.csv"),
)

# The analysis run on each sample upload type.
SAMPLE_ANALYSES = {"pd": "pd", "lgd": "lgd", "ead": "ead", "macro": "macro", "ratings": "rating_transition"}
# Options of the analysis of one sample file: macro_quarterly.csv is a logit satellite model of four drivers.
SAMPLE_OPTIONS: dict[str, dict[str, Any]] = {
    "macro_quarterly.csv": {
        "target": "default_rate",
        "target_transformation": "logit",
        "regressors": ["unemployment_rate_pct", "gdp_growth_yoy_pct", "interest_rate_pct", "inflation_pct"],
        "fitted": "fitted_default_rate",
    },
}
# Analyses of their own, run once on the sample file that suits them.
EXTRA_ANALYSES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("stability", "pd_default_islp.csv", {}),
    ("woe", "pd_germancredit.csv", {}),
    ("rating_transition", "mmt_original/Data_PD_Model.csv", {"reference": "mmt_original/Data_PD_Model_pvs_qtr.csv"}),
)


class Client:
    """Minimal API client: in-process through Flask's test client, or over HTTP."""

    def __init__(self, url: str | None) -> None:
        if url and not url.lower().startswith(("http://", "https://")):
            raise click.BadParameter(f"{url!r} is not an HTTP URL. Give the server's base URL with its scheme, "
                                     "such as http://127.0.0.1:5000.", param_hint="--url")
        self.url = url.rstrip("/") if url else None
        self._test_client = None
        if self.url is None:
            from mmt import create_app

            # The command prints its own outcome, so the app's start and request log lines would only repeat it.
            quiet = {} if "LOG_LEVEL" in os.environ else {"log_level": "WARNING"}
            self._test_client = create_app(quiet).test_client()

    def request(self, method: str, path: str, *, json_body: Any = None, files: dict | None = None,
                data: dict | None = None) -> tuple[int, dict]:
        if self._test_client is not None:
            if files:
                form = dict(data or {})
                form.update({name: (handle, filename) for name, (filename, handle) in files.items()})
                response = self._test_client.open(path, method=method, data=form, content_type="multipart/form-data",
                                                  headers=_key_header())
            else:
                response = self._test_client.open(path, method=method, json=json_body, headers=_key_header())
            return response.status_code, response.get_json(silent=True) or {}
        response = self._send_http(method, path, json=json_body, files=files, data=data)
        try:
            body = response.json()
        except ValueError:
            body = {"error": response.text[:500]}
        return response.status_code, body

    def download(self, path: str) -> tuple[int, bytes]:
        """Send ``GET path`` and return the status and the raw body, such as a report file or a JSON error."""
        if self._test_client is not None:
            response = self._test_client.get(path, headers=_key_header())
            return response.status_code, response.data
        response = self._send_http("GET", path)
        return response.status_code, response.content

    def _send_http(self, method: str, path: str, **arguments: Any) -> Any:
        """Send one request to the server at ``self.url``, raising a ClickException with the reason when it fails."""
        import requests

        try:
            return requests.request(method, self.url + path, timeout=3600, headers=_key_header(), **arguments)
        except requests.ConnectionError:
            raise click.ClickException(
                f"Could not connect to the MMT server at {self.url}. Start it (mmt serve) or correct --url, "
                f"which takes the server's base URL, such as http://127.0.0.1:5000."
            ) from None
        except requests.RequestException as error:
            raise click.ClickException(f"{method} {self.url}{path} failed: {error}") from None


def _key_header() -> dict[str, str]:
    """The API key from ``MMT_API_KEY``, for servers with access control on."""
    key = os.environ.get("MMT_API_KEY", "").strip()
    return {"X-API-Key": key} if key else {}


def _fail(status: int, body: dict) -> None:
    message = body.get("error") or body
    details = body.get("details")
    click.echo(f"error ({status}): {message}", err=True)
    if details:
        click.echo(json.dumps(details, indent=2, ensure_ascii=False)[:4000], err=True)
    if status == 401:
        click.echo(_api_key_hint(), err=True)
    sys.exit(1)


def _api_key_hint() -> str:
    """Return the next step after a 401, because the server's message names HTTP headers, not MMT_API_KEY."""
    if os.environ.get("MMT_API_KEY", "").strip():
        return "The server rejected the key in MMT_API_KEY. Check it, or ask an admin for a new one (mmt apikey create)."
    return "Set MMT_API_KEY to your API key and run the command again. An admin creates keys with mmt apikey create."


def _wait_for_job(client: Client, job_id: str) -> dict:
    """Follow a background job with a progress bar until it ends."""
    with click.progressbar(length=100, label=f"job {job_id[:8]}") as bar:
        done = 0
        while True:
            status, body = client.request("GET", f"/api/jobs/{job_id}")
            if status != 200:
                _fail(status, body)
            progress = int(body.get("progress") or 0)
            bar.update(max(0, progress - done))
            done = max(done, progress)
            if body.get("state") in ("completed", "failed"):
                if body.get("state") == "completed":
                    bar.update(100 - done)
                return body
            time.sleep(0.5)


@click.group()
def main() -> None:
    """MMT: monitoring of PD, LGD, EAD/CCF and macro credit-risk models."""


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default PORT or 5000).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the API with Flask's threaded server (use gunicorn in production)."""
    from mmt import create_app

    app = create_app()
    settings = app.extensions["mmt"].settings
    app.run(host=host or settings.host, port=port or settings.port, threaded=True)


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for scripts and tests).")
def worker(burst: bool) -> None:
    """Run background jobs from the Redis queue at REDIS_URL (an RQ worker).

    The worker reads the same DATABASE_URL and MMT_DATA_DIR as the server, so
    it must see the same database and data folder.
    """
    import os

    from redis import Redis
    from rq import Queue, SimpleWorker

    from mmt.jobs.runner import QUEUE_NAME
    from mmt.jobs.tasks import _worker_app

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        click.echo("error: set REDIS_URL (for example redis://127.0.0.1:6379/0) to run a worker", err=True)
        sys.exit(2)
    _worker_app()  # migrate the database and mark lost jobs before taking new ones
    connection = Redis.from_url(redis_url)
    # SimpleWorker runs jobs in this process, so the application is created once, not per job.
    SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=burst)


@main.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    from pathlib import Path as _Path

    from mmt.config import load_settings
    from mmt.storage.db import Database, upgrade_database

    settings = load_settings()
    database = Database(settings.database_url)
    upgrade_database(database.engine, _Path(settings.data_dir) / ".migrate.lock")
    click.echo(f"database at {database.engine.url.render_as_string(hide_password=True)} is up to date")


@main.command()
@click.argument("model_type")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="Display name of the dataset.")
@click.option("--columns", default=None, help="JSON object mapping roles to column names.")
@click.option("--options", "reading_options", default=None, help="JSON object of reading options.")
@click.option("--url", default=None, help="Base URL of a running MMT server; in-process when omitted.")
@click.option("--background", is_flag=True, help="Ingest as a job and show a progress bar.")
def upload(model_type: str, path: Path, name: str | None, columns: str | None, reading_options: str | None,
           url: str | None, background: bool) -> None:
    """Upload PATH as a MODEL_TYPE dataset (pd, pd_baseline, lgd, ead, macro, ratings)."""
    client = Client(url)
    data = {key: value for key, value in (("name", name), ("columns", columns), ("options", reading_options)) if value}
    if background:
        data["async"] = "true"
    with open(path, "rb") as handle:
        status, body = client.request("POST", f"/api/upload/{model_type}", files={"file": (path.name, handle)}, data=data)
    if status == 202:
        job = _wait_for_job(client, body["job_id"])
        if job["state"] != "completed":
            _fail(500, {"error": (job.get("error") or {}).get("message", "job failed"), "details": job.get("error")})
        status, body = client.request("GET", f"/api/datasets/{job['dataset_id']}")
        if status >= 400:
            _fail(status, body)
        dataset = body["dataset"]
        body = {"dataset_id": dataset["id"], "warnings": dataset.get("warnings", []),
                "message": f"File uploaded successfully: {dataset['n_rows']} rows, {dataset['n_columns']} columns."}
    if status >= 400:
        _fail(status, body)
    click.echo(f"dataset {body['dataset_id']}: {body['message']}")
    for warning in body.get("warnings", []):
        click.echo(f"  warning: {warning.get('message', warning)}")


@main.command()
@click.argument("analysis_type")
@click.option("--dataset-id", type=int, default=None, help="Dataset to analyse; the latest of the type when omitted.")
@click.option("--options", "analysis_options", default=None, help="JSON object of analysis options.")
@click.option("--background", is_flag=True, help="Run as a job and show a progress bar.")
@click.option("--url", default=None, help="Base URL of a running MMT server; in-process when omitted.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the full JSON result here.")
def analyze(analysis_type: str, dataset_id: int | None, analysis_options: str | None, background: bool,
            url: str | None, output: Path | None) -> None:
    """Run ANALYSIS_TYPE (pd, lgd, ead, macro, rating_transition, stability, woe) and print its statuses."""
    client = Client(url)
    payload = json.loads(analysis_options) if analysis_options else {}
    if dataset_id is not None:
        payload["dataset_id"] = dataset_id
    if background:
        payload["async"] = True
    status, body = client.request("POST", f"/api/analyze/{analysis_type}", json_body=payload)
    if status == 202:
        job = _wait_for_job(client, body["job_id"])
        if job["state"] != "completed":
            _fail(500, {"error": (job.get("error") or {}).get("message", "job failed"), "details": job.get("error")})
        status, body = client.request("GET", f"/api/analyses/{job['result_id']}")
        body = {"analysis_result_id": job["result_id"], "results": body["analysis_result"]["result_data"]}
    if status >= 400:
        _fail(status, body)
    _print_statuses(body)
    if output:
        output.write_text(json.dumps(body, indent=2, ensure_ascii=False))
        click.echo(f"full result written to {output}")


# Status lines whose value is not the figure their metric name suggests, with what the value is.
STATUS_VALUE_LABELS = {
    # The value is the p-value of test_auc_against_reference (H0: the AUC has not dropped), not an AUC.
    "discrimination.auc_vs_reference": "p-value of the one-sided ECB test that the AUC dropped below the reference AUC",
    "calibration.jeffreys": "p-value of the one-sided Jeffreys test, H0: the PD is not underestimated",
    "calibration.binomial": "p-value of the one-sided binomial test, H0: the PD is not underestimated",
    "calibration.hosmer_lemeshow": "p-value of the Hosmer-Lemeshow test, H0: every grade PD is right",
    "calibration.spiegelhalter": "p-value of the Spiegelhalter test, H0: every obligor PD is right",
}
# Per-grade lines such as calibration.grade[3].jeffreys.
GRADE_STATUS = re.compile(r"calibration\.grade\[.*\]\.jeffreys")


def _status_value_label(metric: str | None) -> str | None:
    """Return what the value of a status line is, when its metric name does not say so."""
    if metric is None:
        return None
    if GRADE_STATUS.fullmatch(metric):
        return "p-value of the grade's one-sided Jeffreys test, H0: the PD is not underestimated"
    return STATUS_VALUE_LABELS.get(metric)


def _print_statuses(body: dict) -> None:
    results = body.get("results", {})
    click.echo(f"analysis result {body.get('analysis_result_id')}")
    for entry in results.get("summary_statuses", [])[:60]:
        value = entry.get("value")
        shown = f"{value:.6g}" if isinstance(value, (int, float)) else "n/a"
        label = _status_value_label(entry.get("metric"))
        if label:
            shown = f"{shown} ({label})"
        click.echo(f"  {entry.get('status') or '-':6} {entry.get('metric')}: {shown}")


@main.command()
@click.option("--state", "states", multiple=True,
              help="Only jobs in this state: queued, running, completed or failed. Repeat it, or separate "
              "states with commas.")
@click.option("--kind", "kinds", multiple=True,
              help="Only jobs of this kind, such as analyze_pd or upload_lgd. Repeat it, or separate kinds with commas.")
@click.option("--dataset-id", type=int, default=None, help="Only jobs that analysed or stored this dataset.")
@click.option("--limit", type=int, default=None, help="Number of newest jobs to list (server default 50, at most 500).")
@click.option("--url", default=None, help="Base URL of a running MMT server; in-process when omitted.")
def jobs(states: tuple[str, ...], kinds: tuple[str, ...], dataset_id: int | None, limit: int | None,
         url: str | None) -> None:
    """List background jobs, newest first: id, state, progress, kind, creation time and result link."""
    from urllib.parse import urlencode

    client = Client(url)
    query = [("state", state) for state in states] + [("kind", kind) for kind in kinds]
    if dataset_id is not None:
        query.append(("dataset_id", str(dataset_id)))
    if limit is not None:
        query.append(("limit", str(limit)))
    status, body = client.request("GET", "/api/jobs" + (f"?{urlencode(query)}" if query else ""))
    if status >= 400:
        _fail(status, body)
    listed = body.get("jobs", [])
    if not listed:
        filters = [f"in state {', '.join(states)}" if states else "", f"of kind {', '.join(kinds)}" if kinds else "",
                   f"for dataset {dataset_id}" if dataset_id is not None else ""]
        click.echo(" ".join(["no jobs", *filter(None, filters)]))
        return
    click.echo(f"{'id':32}  {'state':9}  {'progress':>8}  {'kind':25}  {'created (UTC)':19}  result")
    for job in listed:
        click.echo(f"{job['job_id']:32}  {job['state']:9}  {job['progress']:7.0f}%  {job['kind']:25}  "
                   f"{job['created_at'][:19]:19}  {_job_outcome(job, client.url)}")
    if body.get("next_cursor"):
        click.echo(f"{len(listed)} newest of {body.get('total')} jobs; raise --limit to list more.")


def _job_outcome(job: dict, base_url: str | None) -> str:
    """Return the result link of a job, or for a failed job its error code and whether it can be retried."""
    if job.get("result_url"):
        return (base_url or "") + job["result_url"]
    if job.get("state") == "failed":
        code = (job.get("error") or {}).get("code", "unknown error")
        return f"{code}, retry with POST /api/jobs/{job['job_id']}/retry" if job.get("retryable") else code
    return "-"


@main.command()
@click.argument("result_id", type=int)
@click.option("--format", "report_format", type=click.Choice(["html", "xlsx"]), default=None,
              help="html: one self-contained page with charts; xlsx: one sheet per table "
              "(default xlsx when --output ends in .xlsx, else html).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--url", default=None, help="Base URL of a running MMT server; in-process when omitted.")
def report(result_id: int, report_format: str | None, output: Path, url: str | None) -> None:
    """Write the HTML or Excel report of a stored analysis result."""
    if report_format is None:
        report_format = "xlsx" if output.suffix.lower() == ".xlsx" else "html"
    if not output.parent.is_dir():
        raise click.BadParameter(f"the folder {output.parent} does not exist. Create it or choose another file.",
                                 param_hint="--output")
    client = Client(url)
    status, content = client.download(f"/api/analyses/{result_id}/report.{report_format}")
    if status >= 400:
        _fail(status, _error_body(content))
    try:
        output.write_bytes(content)
    except OSError as error:
        raise click.ClickException(f"Could not write the report to {output}: {error.strerror}.") from error
    click.echo(f"report written to {output}")


def _error_body(content: bytes) -> dict:
    """Return the JSON error the server sent, or its first characters when the body is not JSON."""
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return {"error": content[:500].decode("utf-8", errors="replace")}


@main.command()
@click.option("--data-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder of the sample files (default: the repository's data/).")
@click.option("--serve/--no-serve", "serve_after", default=True, help="Serve the API after loading (default: serve).")
@click.option("--host", default=None, help="Interface to serve on (default HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to serve on (default PORT or 5000).")
def demo(data_dir: Path | None, serve_after: bool, host: str | None, port: int | None) -> None:
    """Load the bundled sample data, run every analysis and serve the API.

    Sample files already stored (same SHA-256 and type) are not uploaded again,
    and an analysis whose result the demo stored before (ids kept in
    demo_results.json in the instance folder) is not run again while
    that result exists and was computed under the current thresholds by this
    MMT version. A second run therefore stores nothing new unless thresholds
    or the software changed.
    """
    from mmt import create_app
    from mmt.storage.models import Dataset

    data_dir = data_dir or Path(__file__).resolve().parents[1] / "data"
    app = create_app()
    settings = app.extensions["mmt"].settings
    host, port = host or settings.host, port or settings.port
    if serve_after:
        _check_port_free(host, port)
    client = app.test_client()
    with app.extensions["mmt"].database.session() as session:
        stored = {(row.sha256, row.model_type): row.id for row in session.query(Dataset).order_by(Dataset.id)}
    uploaded: list[tuple[str, int, str]] = []
    for model_type, relative in SAMPLE_UPLOADS:
        path = data_dir / relative
        existing = stored.get((hashlib.sha256(path.read_bytes()).hexdigest(), model_type))
        if existing is not None:
            uploaded.append((model_type, existing, relative))
            click.echo(f"{relative} is already stored as dataset {existing}")
            continue
        with open(path, "rb") as handle:
            response = client.post(f"/api/upload/{model_type}", data={"file": (handle, path.name)},
                                   content_type="multipart/form-data")
        body = response.get_json(silent=True) or {}
        if response.status_code != 200:
            click.echo(f"upload of {relative} failed ({response.status_code}): {body.get('error')}", err=True)
            continue
        uploaded.append((model_type, body["dataset_id"], relative))
        click.echo(f"uploaded {relative} as {model_type}: dataset {body['dataset_id']} ({body['dataset']['n_rows']} rows)")
    runs = [(SAMPLE_ANALYSES[model_type], dataset_id, relative, SAMPLE_OPTIONS.get(relative, {}))
            for model_type, dataset_id, relative in uploaded if model_type in SAMPLE_ANALYSES]
    ids = {relative: dataset_id for _, dataset_id, relative in uploaded}
    for analysis_type, relative, options in EXTRA_ANALYSES:
        if relative not in ids:
            continue
        options = dict(options)
        reference = options.pop("reference", None)
        if reference is not None:
            if reference not in ids:
                continue
            options["reference_dataset_id"] = ids[reference]
        runs.append((analysis_type, ids[relative], relative, options))
    results_file = settings.instance_dir / DEMO_RESULTS_FILE
    try:
        recorded = json.loads(results_file.read_text())
    except (OSError, ValueError):
        recorded = {}
    if not isinstance(recorded, dict):
        recorded = {}
    for analysis_type, dataset_id, relative, options in runs:
        key = _demo_key(analysis_type, relative, options)
        with app.extensions["mmt"].database.session() as session:
            reused = _reusable_result_id(session, recorded.get(key), analysis_type, dataset_id, options)
        if reused is not None:
            click.echo(f"{analysis_type} analysis of {relative} is already stored as result {reused}")
            continue
        response = client.post(f"/api/analyze/{analysis_type}", json={"dataset_id": dataset_id, **options})
        body = response.get_json(silent=True) or {}
        if response.status_code != 200:
            click.echo(f"{analysis_type} analysis of {relative} failed ({response.status_code}): {body.get('error')}", err=True)
            continue
        recorded[key] = body["analysis_result_id"]
        _write_demo_results(results_file, recorded)
        statuses = body["results"].get("summary_statuses", [])
        red = sum(1 for entry in statuses if entry.get("status") == "red")
        amber = sum(1 for entry in statuses if entry.get("status") == "amber")
        click.echo(f"analysed {relative} ({analysis_type}): result {body['analysis_result_id']}, {red} red, {amber} amber")
    base = f"http://{host}:{port}"
    click.echo("")
    click.echo(f"database: {app.extensions['mmt'].database.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"dashboard: {base}/   summary: {base}/api/summary   results: {base}/api/analyses   API: {base}/api/openapi.json")
    if serve_after:
        app.run(host=host, port=port, threaded=True)


#: File in the instance folder that maps each demo analysis to the id of the result it stored.
DEMO_RESULTS_FILE = "demo_results.json"


def _demo_key(analysis_type: str, relative: str, options: dict[str, Any]) -> str:
    return f"{analysis_type} {relative} {json.dumps(options, sort_keys=True)}"


#: Largest id of an integer primary key on PostgreSQL. A larger number in the hand-editable results
#: file would make the database raise instead of finding nothing.
_MAX_RESULT_ID = 2**31 - 1


def _reusable_result_id(
    session: Any, recorded: Any, analysis_type: str, dataset_id: int, options: dict[str, Any]
) -> int | None:
    """Return ``recorded`` when that stored result is still the demo's analysis under the current thresholds.

    ``recorded`` comes from a file that may have been edited by hand, so
    anything but a positive integer id is ignored. The result must still
    exist with the same type, dataset and demo options, and every dataset
    it read (a reference included) must still exist, because a new run would
    pick another reference. It must also have been computed under the
    current thresholds by this MMT version, because otherwise its statuses
    could differ from a new run.
    """
    import sqlalchemy as sa

    from mmt import __version__
    from mmt.services.thresholds import current_thresholds
    from mmt.storage.models import AnalysisResult, Dataset

    if isinstance(recorded, bool) or not isinstance(recorded, int) or not 0 < recorded <= _MAX_RESULT_ID:
        return None
    record = session.get(AnalysisResult, recorded)
    if record is None or record.analysis_type != analysis_type or record.dataset_id != dataset_id:
        return None
    # NOTE: only the options the demo sets are compared, so a result of the same analysis run with
    # another option (say n_bins) under a recorded id is still reused.
    parameters = record.parameters or {}
    if any(name not in parameters or parameters[name] != value for name, value in options.items()):
        return None
    used = {int(used_id) for used_id in record.dataset_ids or [dataset_id]}
    existing = set(session.scalars(sa.select(Dataset.id).where(Dataset.id.in_(used))))
    if existing != used:
        return None
    if record.software_version != __version__ or record.thresholds != current_thresholds(session):
        return None
    return record.id


def _write_demo_results(results_file: Path, recorded: dict[str, Any]) -> None:
    """Replace the results file in one step, so an interrupted demo leaves the previous file readable."""
    results_file.parent.mkdir(parents=True, exist_ok=True)
    partial = results_file.with_name(results_file.name + ".partial")
    partial.write_text(json.dumps(recorded, indent=1, sort_keys=True))
    os.replace(partial, results_file)


def _check_port_free(host: str, port: int) -> None:
    """Stop before loading anything when the port to serve on is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise click.ClickException(
                f"Port {port} on {host} is in use. Stop the program using it, or choose another port "
                f"with PORT={port + 1} ./run.sh demo (or mmt demo --port {port + 1})."
            ) from None


main.add_command(apikey)


if __name__ == "__main__":
    main()
