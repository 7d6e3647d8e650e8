"""A real MMT server with the sample data, and Debian's Chromium driven headless by Selenium.

The tests are skipped when ``/usr/bin/chromium`` or ``/usr/bin/chromedriver``
is missing (``.ci/run`` installs the Debian packages ``chromium`` and
``chromium-driver``). The driver path is given explicitly, so Selenium
Manager never tries to download a browser or a driver. Screenshots go to
``test-artifacts/browser/``.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SERVER_START_SECONDS = 90

# One sample file per analysis type: (upload type, file, analysis type).
SAMPLES = (
    ("pd", "pd_germancredit.csv", "pd"),
    ("lgd", "lgd_synthetic.csv", "lgd"),
    ("ead", "ead_synthetic.csv", "ead"),
    ("macro", "macro_quarterly.csv", "macro"),
    ("ratings", "rating_transitions.csv", "rating_transition"),
)

BROWSER_MISSING = not (CHROMIUM.exists() and CHROMEDRIVER.exists())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(folder: Path, port: int, **settings: str):
    """Run ``mmt serve`` on ``port`` with an empty SQLite database in ``folder`` and ``settings``; yield its base URL."""
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "MMT_DATA_DIR")}
    environment.update(MMT_INSTANCE_DIR=str(folder), DATABASE_URL=f"sqlite:///{folder / 'mmt.sqlite3'}",
                       HOST="127.0.0.1", PORT=str(port), LOG_LEVEL="WARNING", **settings)
    log = open(folder / "server.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "mmt.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mmt serve exited with {process.returncode}: {(folder / 'server.log').read_text()[-2000:]}")
            try:
                if requests.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mmt serve did not answer within {SERVER_START_SECONDS} s")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Start ``mmt serve`` on a free port with an empty SQLite database; yield its base URL."""
    with serving(tmp_path_factory.mktemp("server"), free_port()) as base:
        yield base


@pytest.fixture(scope="session")
def sample_results(server) -> dict[str, int]:
    """Upload one sample file per analysis type through the API, analyse it; return the result ids."""
    results = {}
    for model_type, filename, analysis in SAMPLES:
        with open(DATA / filename, "rb") as handle:
            uploaded = requests.post(f"{server}/api/upload/{model_type}", files={"file": (filename, handle)}, timeout=300)
        assert uploaded.status_code == 200, uploaded.text[:500]
        dataset_id = uploaded.json()["dataset_id"]
        analysed = requests.post(f"{server}/api/analyze/{analysis}", json={"dataset_id": dataset_id}, timeout=600)
        assert analysed.status_code == 200, analysed.text[:500]
        results[analysis] = analysed.json()["analysis_result_id"]
    return results


@pytest.fixture(scope="session")
def driver():
    """Headless Chromium with console and network logging."""
    if BROWSER_MISSING:
        pytest.skip("Debian chromium and chromium-driver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="mmt-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1366,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(120)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(browser) -> list[str]:
    """Return the console messages of level SEVERE since the last call."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def save_screenshot(browser, name: str) -> Path:
    """Save a full-page PNG of the current page to test-artifacts/browser/NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    metrics = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    # Chromium cannot capture images taller than 16384 pixels.
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 16000), "scale": 1}
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
