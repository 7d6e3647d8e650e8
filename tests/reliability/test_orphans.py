"""Leftovers of an interrupted upload are removed on start once their writer has ended, never before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mmt.storage import owners
from mmt.storage.files import WRITER_FILE, FileStore
from tests.conftest import REPO

# A child process that writes a dataset folder and a temporary file the way an upload does,
# then exits or waits to be killed.
WRITER = """
import sys, time
from pathlib import Path
from mmt.storage.files import FileStore
store = FileStore(Path(sys.argv[1]))
source = store.new_temp_path(suffix=".parquet")
source.write_bytes(b"PAR1")
store.place_parquet(source, int(sys.argv[2]))
store.new_temp_path(suffix=".upload").write_bytes(b"partial upload")
print("written", flush=True)
if sys.argv[3] == "wait":
    time.sleep(120)
"""


def run_writer(root: Path, dataset_id: int, wait: bool) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(dataset_id), "wait" if wait else "exit"],
                               cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "written"
    return process


def age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


@pytest.fixture
def store(app):
    return app.extensions["mmt"].files


def remove(app, store: FileStore, min_age: float = 60) -> int:
    with app.extensions["mmt"].database.session() as session:
        return store.remove_orphans(session, min_age_seconds=min_age)


def test_ended_writer_leftovers_removed(app, store):
    run_writer(store.root, 41, wait=False).wait(timeout=60)
    folder = store.datasets_dir / "41"
    assert (folder / "data.parquet").exists()
    assert (folder / WRITER_FILE).exists()
    assert len(list(store.tmp_dir.iterdir())) == 1
    # Young leftovers: the old rule (60 s) would keep them; the writer is known to be gone.
    assert remove(app, store, min_age=3600) == 2
    assert not folder.exists()
    assert list(store.tmp_dir.iterdir()) == []


def test_running_writer_leftovers_kept(app, store):
    process = run_writer(store.root, 42, wait=True)
    try:
        folder = store.datasets_dir / "42"
        age(folder, 7200)
        for leftover in store.tmp_dir.iterdir():
            age(leftover, 7 * 86400)
        assert remove(app, store, min_age=0) == 0
        assert folder.exists()
        assert len(list(store.tmp_dir.iterdir())) == 1
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert remove(app, store) == 2
        assert not folder.exists()
        assert list(store.tmp_dir.iterdir()) == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_unjudged_folder_removed_only_when_old(app, store):
    unmarked = store.datasets_dir / "43"
    unmarked.mkdir()
    (unmarked / "data.parquet").write_bytes(b"x")
    other_host = store.datasets_dir / "44"
    other_host.mkdir()
    (other_host / WRITER_FILE).write_text("wdeadbeefn1p1s1")
    assert owners.writer_gone("wdeadbeefn1p1s1") is None
    assert remove(app, store, min_age=60) == 0
    age(unmarked, 61)
    age(other_host, 61)
    assert remove(app, store, min_age=60) == 2
    assert not unmarked.exists()
    assert not other_host.exists()


def test_committed_dataset_keeps_files(app, store, upload):
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    folder = store.datasets_dir / str(dataset_id)
    (folder / WRITER_FILE).write_text(f"w{owners._boot_id()}n{owners._pid_namespace()}p999999999s1")
    age(folder, 7200)
    assert remove(app, store, min_age=0) == 0
    assert (folder / "data.parquet").exists()
    assert not (folder / WRITER_FILE).exists()
    assert app.test_client().post("/api/analyze/pd", json={"dataset_id": dataset_id}).status_code == 200


def test_untokened_temp_files_age_out(app, store):
    young = store.tmp_dir / "legacy.upload"
    old = store.tmp_dir / "legacy-old.upload"
    young.write_bytes(b"a")
    old.write_bytes(b"b")
    age(old, 3601)
    assert remove(app, store, min_age=60) == 1
    assert young.exists()
    assert not old.exists()


def test_process_token_and_reused_pid():
    token = owners.process_token()
    assert owners.token_in(f"{token}.abc.upload") == token
    assert owners.token_in(f".{token}.x.parquet.1234.tmp") == token
    assert owners.writer_gone(token) is False
    boot, namespace = owners._boot_id(), owners._pid_namespace()
    # Same PID, another start time: a reused PID, so the writer is gone.
    assert owners.writer_gone(f"w{boot}n{namespace}p{os.getpid()}s1") is True
    assert owners.writer_gone("not-a-token") is None
    assert owners.writer_gone(None) is None
