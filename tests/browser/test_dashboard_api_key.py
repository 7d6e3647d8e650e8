"""The dashboard in headless Chromium with MMT_AUTH=on: enter, use and forget an API key."""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import BROWSER_MISSING, console_errors, free_port, save_screenshot, serving

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402 - only once selenium is known to be installed
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(BROWSER_MISSING, reason="Debian chromium and chromium-driver are not installed"),
]

ADMIN_KEY = "dashboard-admin-key-for-browser-tests-42"


@pytest.fixture(scope="module")
def secured_server(tmp_path_factory):
    """Start ``mmt serve`` with access control on and an admin key; yield its base URL."""
    # MMT_BROWSER_PORT sets the port on machines where only some ports may be used. Otherwise any free port.
    port = int(os.environ.get("MMT_BROWSER_PORT") or free_port())
    with serving(tmp_path_factory.mktemp("secured"), port, MMT_AUTH="on", MMT_ADMIN_API_KEY=ADMIN_KEY,
                 MMT_RATE_LIMIT="off") as base:
        yield base


def _message(browser) -> str:
    return browser.find_element(By.ID, "message").text


def _wait_for_message(browser, text: str, timeout: float = 30) -> str:
    WebDriverWait(browser, timeout).until(lambda page: text in _message(page))
    return _message(browser)


def _stored_key(browser):
    return browser.execute_script('return window.sessionStorage.getItem("mmt.apiKey");')


def _enter_key(browser, key: str) -> None:
    field = browser.find_element(By.ID, "api-key")
    field.clear()
    field.send_keys(key)
    browser.find_element(By.ID, "api-key-use").click()


def test_dashboard_key_enter_use_forget(driver, secured_server):
    driver.get(secured_server + "/")
    driver.execute_script("window.sessionStorage.clear();")
    driver.refresh()
    console_errors(driver)

    # Without a key every API request gets 401, and the message states what to do next.
    _wait_for_message(driver, "requires an API key")
    assert "Enter your key in the API key field above" in _message(driver)
    assert driver.find_element(By.ID, "dashboard").get_attribute("data-loaded") is None
    save_screenshot(driver, "dashboard_auth_no_key")

    _enter_key(driver, "not-a-valid-key-0000000000")
    _wait_for_message(driver, "unknown or revoked")
    assert "Enter a valid key above" in _message(driver)

    _enter_key(driver, ADMIN_KEY)
    _wait_for_message(driver, "The API key is accepted")
    assert driver.find_element(By.ID, "dashboard").get_attribute("data-loaded") == "true"
    assert _stored_key(driver) == ADMIN_KEY
    assert driver.find_element(By.ID, "api-key-state").text == "A key is set for this tab."
    assert driver.find_element(By.ID, "api-key").get_attribute("value") == ""
    save_screenshot(driver, "dashboard_auth_key_accepted")

    # A link to an /api/ file cannot send the header, so the page fetches it with the key and saves it.
    driver.find_element(By.LINK_TEXT, "Summary JSON").click()
    _wait_for_message(driver, "Saved summary.json")

    # The key survives a reload of the tab, so the data loads without entering it again.
    driver.refresh()
    WebDriverWait(driver, 30).until(lambda page: page.find_element(By.ID, "dashboard").get_attribute("data-loaded") == "true")

    driver.find_element(By.ID, "api-key-forget").click()
    _wait_for_message(driver, "The API key is forgotten")
    assert _stored_key(driver) is None
    assert driver.find_element(By.ID, "api-key-state").text == "No key entered."
    assert "Enter an API key above" in driver.find_element(By.ID, "datasets-body").text
    save_screenshot(driver, "dashboard_auth_key_forgotten")

    # Only the expected 401 responses reach the console, and no script error does.
    errors = [entry for entry in console_errors(driver) if "401" not in entry]
    assert errors == []


def test_dashboard_key_kept_when_storage_rejects_writes(driver, secured_server):
    driver.get(secured_server + "/")
    driver.execute_script("window.sessionStorage.clear();")
    # Storage that can be read but not written, as with a full quota: the page keeps the key itself.
    driver.execute_script(
        "Storage.prototype.setItem = function () { throw new DOMException('quota', 'QuotaExceededError'); };"
    )
    _enter_key(driver, ADMIN_KEY)
    _wait_for_message(driver, "The API key is accepted")
    assert driver.find_element(By.ID, "dashboard").get_attribute("data-loaded") == "true"
    assert _stored_key(driver) is None
    assert driver.find_element(By.ID, "api-key-state").text == "A key is set for this tab."
