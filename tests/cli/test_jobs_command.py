"""``mmt jobs``: the list of background jobs, in-process and over HTTP, and the labelled AUC test p-value."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from mmt.cli import _print_statuses, main
from mmt.storage.models import Job, utc_now
from tests.cli.test_report_url import serving
from tests.security.conftest import ADMIN_BOOTSTRAP_KEY, close_app, make_app

START = dt.datetime(2026, 3, 1, 9, 0, 0)


def add_job(app, job_id: str, minute: int, state: str, **fields) -> None:
    with app.extensions["mmt"].database.session() as session:
        session.add(Job(id=job_id, kind=fields.pop("kind", "analyze_pd"), state=state, request={"task": "analysis"},
                        created_at=START + dt.timedelta(minutes=minute), updated_at=utc_now(), **fields))


@pytest.fixture
def stored_jobs(app, cli_settings, monkeypatch):
    """Point the in-process CLI at the test's database and store three jobs in it."""
    monkeypatch.delenv("MMT_API_KEY", raising=False)
    add_job(app, "c" * 32, 1, "completed", progress=100.0, result_id=4)
    add_job(app, "f" * 32, 2, "failed", progress=12.0, retryable=True,
            error={"code": "interrupted", "message": "The job stopped before it finished."})
    # Owned by a live process other than this one, so that the in-process CLI's start does not mark it interrupted.
    add_job(app, "q" * 32, 3, "queued", progress=0.0, kind="upload_lgd", worker_pid=os.getppid())
    return app


def run_jobs(*arguments: str):
    return CliRunner().invoke(main, ["jobs", *arguments])


def test_jobs_lists_newest_first(stored_jobs):
    outcome = run_jobs()
    assert outcome.exit_code == 0, outcome.output
    lines = outcome.output.splitlines()
    assert lines[0].split() == ["id", "state", "progress", "kind", "created", "(UTC)", "result"]
    assert lines[1].split() == ["q" * 32, "queued", "0%", "upload_lgd", "2026-03-01T09:03:00", "-"]
    assert lines[2].split()[:5] == ["f" * 32, "failed", "12%", "analyze_pd", "2026-03-01T09:02:00"]
    assert lines[2].endswith(f"interrupted, retry with POST /api/jobs/{'f' * 32}/retry")
    assert lines[3].split() == ["c" * 32, "completed", "100%", "analyze_pd", "2026-03-01T09:01:00", "/api/analyses/4"]
    assert len(lines) == 4


def test_jobs_state_and_limit(stored_jobs):
    outcome = run_jobs("--state", "failed,completed", "--limit", "1")
    assert outcome.exit_code == 0, outcome.output
    lines = outcome.output.splitlines()
    assert lines[1].startswith("f" * 32)
    assert lines[2] == "1 newest of 2 jobs; raise --limit to list more."
    assert len(lines) == 3


def test_jobs_repeated_state(stored_jobs):
    outcome = run_jobs("--state", "queued", "--state", "completed")
    assert outcome.exit_code == 0, outcome.output
    assert [line.split()[0] for line in outcome.output.splitlines()[1:]] == ["q" * 32, "c" * 32]


def test_jobs_none_in_state(stored_jobs):
    outcome = run_jobs("--state", "running")
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output == "no jobs in state running\n"


def test_jobs_kind_and_dataset(stored_jobs):
    add_job(stored_jobs, "d" * 32, 4, "completed", progress=100.0, dataset_id=9)
    by_kind = run_jobs("--kind", "upload_lgd")
    assert by_kind.exit_code == 0, by_kind.output
    assert [line.split()[0] for line in by_kind.output.splitlines()[1:]] == ["q" * 32]
    by_dataset = run_jobs("--dataset-id", "9")
    assert by_dataset.exit_code == 0, by_dataset.output
    assert [line.split()[0] for line in by_dataset.output.splitlines()[1:]] == ["d" * 32]
    none = run_jobs("--kind", "upload_ead", "--dataset-id", "9")
    assert none.output == "no jobs of kind upload_ead for dataset 9\n"


def test_jobs_unknown_state(stored_jobs):
    outcome = run_jobs("--state", "done")
    assert outcome.exit_code == 1
    assert "error (400): Unknown state 'done'. Use one or more of: queued, running, completed, failed." in outcome.output


def test_jobs_limit_out_of_range(stored_jobs):
    outcome = run_jobs("--limit", "501")
    assert outcome.exit_code == 1
    assert "error (400): limit must be an integer from 1 to 500; got '501'." in outcome.output


def test_jobs_over_http(stored_jobs):
    with serving(stored_jobs) as base:
        outcome = run_jobs("--url", base, "--state", "completed")
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.splitlines()[1].endswith(f"{base}/api/analyses/4")


def test_jobs_over_http_needs_key(database_url, tmp_path, monkeypatch):
    from mmt.security.apikeys import create_api_key

    application = make_app(database_url, tmp_path, auth_enabled=True, extra={"admin_api_key": ADMIN_BOOTSTRAP_KEY})
    try:
        with application.extensions["mmt"].database.session() as session:
            viewer_key = create_api_key(session, "viewer-key", "viewer")[1]
        add_job(application, "v" * 32, 1, "completed", progress=100.0, dataset_id=2, kind="upload_pd")
        monkeypatch.delenv("MMT_API_KEY", raising=False)
        with serving(application) as base:
            without_key = run_jobs("--url", base)
            monkeypatch.setenv("MMT_API_KEY", viewer_key)
            listed = run_jobs("--url", base)
    finally:
        close_app(application)
    assert without_key.exit_code == 1
    assert "Set MMT_API_KEY" in without_key.output
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[1].endswith(f"{base}/api/datasets/2")


def test_auc_vs_reference_labelled_pvalue(capsys):
    _print_statuses({"analysis_result_id": 9, "results": {"summary_statuses": [
        {"metric": "discrimination.auc", "value": 0.8125, "status": "green"},
        {"metric": "discrimination.auc_vs_reference", "value": 0.0312, "status": "amber"},
    ]}})
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "  green  discrimination.auc: 0.8125"
    assert lines[2] == ("  amber  discrimination.auc_vs_reference: 0.0312 (p-value of the one-sided ECB test "
                        "that the AUC dropped below the reference AUC)")


def test_calibration_pvalues_labelled(capsys):
    _print_statuses({"analysis_result_id": 9, "results": {"summary_statuses": [
        {"metric": "calibration.grade[3].jeffreys", "value": 0.0786, "status": "green"},
        {"metric": "calibration.binomial", "value": 0.4337, "status": "green"},
        {"metric": "calibration.hosmer_lemeshow", "value": 0.9943, "status": "green"},
        {"metric": "calibration.herfindahl", "value": 0.3097, "status": "amber"},
    ]}})
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].endswith("0.0786 (p-value of the grade's one-sided Jeffreys test, H0: the PD is not underestimated)")
    assert lines[2].endswith("0.4337 (p-value of the one-sided binomial test, H0: the PD is not underestimated)")
    assert lines[3].endswith("0.9943 (p-value of the Hosmer-Lemeshow test, H0: every grade PD is right)")
    # The Herfindahl line is the index itself, so it has no label.
    assert lines[4] == "  amber  calibration.herfindahl: 0.3097"


def test_in_process_command_prints_no_log_lines(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key not in ("LOG_LEVEL", "MMT_API_KEY")}
    environment.update(MMT_INSTANCE_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'mmt.sqlite3'}")
    quiet = subprocess.run([sys.executable, "-m", "mmt.cli", "jobs"], env=environment, capture_output=True,
                           text=True, timeout=120)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "no jobs\n"
    assert quiet.stderr == ""
    # LOG_LEVEL set by the user still applies.
    environment["LOG_LEVEL"] = "INFO"
    logged = subprocess.run([sys.executable, "-m", "mmt.cli", "jobs"], env=environment, capture_output=True,
                            text=True, timeout=120)
    assert "path=/api/jobs status=200" in logged.stderr
