"""The dashboard and every kind of report in headless Chromium: charts drawn, console clean."""

from __future__ import annotations

import json

import pytest
import requests

from tests.browser.conftest import BROWSER_MISSING, DATA, SAMPLES, console_errors, save_screenshot

pytest.importorskip("selenium")
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402 - only once selenium is known to be installed
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(BROWSER_MISSING, reason="Debian chromium and chromium-driver are not installed"),
]

# Per chart: is an SVG drawn, does the figure hold data, and how many marks (points, bars, lines, heatmap images) are on it.
CHART_STATE = """
return Array.from(document.querySelectorAll(arguments[0])).map(function (node) {
  var traces = node.data || [];
  var withData = traces.filter(function (trace) {
    return ["x", "y", "z"].some(function (axis) { return trace[axis] && trace[axis].length > 0; });
  }).length;
  return {
    id: node.id,
    rendered: node.getAttribute("data-rendered"),
    svg: node.querySelectorAll("svg.main-svg").length,
    traces: traces.length,
    withData: withData,
    marks: node.querySelectorAll("path.point, g.point path, path.js-line, g.hm image, path.js-fill").length
  };
});
"""


def wait_for_charts(browser, selector: str = "[data-figure]", timeout: float = 90) -> list[dict]:
    WebDriverWait(browser, timeout).until(lambda page: all(
        state["rendered"] for state in page.execute_script(CHART_STATE, selector)))
    return browser.execute_script(CHART_STATE, selector)


def assert_charts_drawn(states: list[dict]) -> None:
    assert states, "no chart on the page"
    for state in states:
        assert state["rendered"] == "true", state
        assert state["svg"] >= 1, state
        assert state["withData"] >= 1, state
        assert state["marks"] >= 1, state


def test_dashboard_lists_every_sample(driver, server, sample_results):
    console_errors(driver)
    driver.get(server + "/")
    WebDriverWait(driver, 60).until(lambda page: page.find_element(By.ID, "dashboard").get_attribute("data-loaded") == "true")
    assert_charts_drawn(wait_for_charts(driver, "#status-chart"))

    datasets = requests.get(server + "/api/datasets", timeout=30).json()["datasets"]
    rows = driver.find_elements(By.CSS_SELECTOR, "#datasets-body tr[data-dataset-id]")
    assert len(rows) == len(datasets) >= len(SAMPLES)
    for row in rows:
        links = {link.text: link.get_attribute("href") for link in row.find_elements(By.CSS_SELECTOR, "td.links a")}
        assert links["HTML report"].endswith("/report.html"), links
        assert links["Excel"].endswith("/report.xlsx"), links
    result_rows = driver.find_elements(By.CSS_SELECTOR, "#results-body tr[data-result-id]")
    assert {int(row.get_attribute("data-result-id")) for row in result_rows} >= set(sample_results.values())
    cards = driver.find_elements(By.CSS_SELECTOR, "#summary-cards .summary-card")
    assert len(cards) == len(SAMPLES)
    assert driver.find_elements(By.CSS_SELECTOR, "#breaches-body tr")
    statuses = [row.get_attribute("data-status") for row in driver.find_elements(By.CSS_SELECTOR, "#breaches-body tr")]
    assert "red" in statuses
    assert statuses == sorted(statuses, key=lambda status: status != "red"), statuses
    # The LGD sample's MAPE breach carries the note on realised LGDs near 0.
    notes = [note.text for note in driver.find_elements(By.CSS_SELECTOR, "#breaches-body td.metric .note")]
    assert any("percentage errors explode" in note for note in notes), notes
    save_screenshot(driver, "dashboard")
    assert console_errors(driver) == []


@pytest.mark.parametrize("analysis", [analysis for _, _, analysis in SAMPLES])
def test_report_charts_render(driver, server, sample_results, analysis):
    console_errors(driver)
    driver.get(f"{server}/api/analyses/{sample_results[analysis]}/report.html")
    states = wait_for_charts(driver)
    assert_charts_drawn(states)
    assert not driver.find_elements(By.ID, "problems")
    figure_count = len(json.loads(driver.find_element(By.ID, "mmt-figures").get_attribute("textContent")))
    assert len(states) == figure_count
    save_screenshot(driver, f"report_{analysis}")
    assert console_errors(driver) == []


def test_report_file_opens_offline(driver, server, sample_results, tmp_path):
    page = requests.get(f"{server}/api/analyses/{sample_results['pd']}/report.html", timeout=120)
    report = tmp_path / "report.html"
    report.write_bytes(page.content)
    console_errors(driver)
    driver.get_log("performance")
    driver.get(report.as_uri())
    assert_charts_drawn(wait_for_charts(driver))
    requested = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    assert requested, "the performance log recorded no request at all"
    assert [url for url in requested if not url.startswith(("file:", "data:", "blob:", "about:"))] == []
    save_screenshot(driver, "report_offline_file")
    assert console_errors(driver) == []


def test_dashboard_upload_analyse_and_open_report(driver, server, sample_results):
    console_errors(driver)
    driver.get(server + "/")
    # The tables are rebuilt after each upload and analysis, so an element found a moment ago may be stale.
    wait = WebDriverWait(driver, 120, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))
    wait.until(lambda page: page.find_element(By.ID, "dashboard").get_attribute("data-loaded") == "true")
    name = "Browser upload <b>LGD</b>"
    Select(driver.find_element(By.ID, "upload-type")).select_by_value("lgd")
    driver.find_element(By.ID, "upload-file").send_keys(str(DATA / "mmt_original" / "lgd_mock_data.csv"))
    driver.find_element(By.ID, "upload-name").send_keys(name)
    driver.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
    wait.until(lambda page: "File uploaded" in page.find_element(By.ID, "message").text)

    def uploaded_row(page):
        for row in page.find_elements(By.CSS_SELECTOR, "#datasets-body tr[data-dataset-id]"):
            if row.find_elements(By.TAG_NAME, "td")[1].text == name:
                return row
        return False

    wait.until(uploaded_row)
    assert not driver.find_elements(By.CSS_SELECTOR, "#datasets-body b"), "a dataset name was parsed as HTML"

    def click_analyse(page):
        row = uploaded_row(page)
        if not row:
            return False
        row.find_element(By.CSS_SELECTOR, "td.analyse button").click()
        return True

    def report_link_of_row(page):
        row = uploaded_row(page)
        links = row.find_elements(By.LINK_TEXT, "HTML report") if row else []
        return links[0] if links else False

    wait.until(click_analyse)
    wait.until(lambda page: "Analysis finished" in page.find_element(By.ID, "message").text)
    report_link = wait.until(report_link_of_row)
    save_screenshot(driver, "dashboard_after_upload")
    report_link.click()
    assert_charts_drawn(wait_for_charts(driver))
    assert name in driver.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert console_errors(driver) == []
