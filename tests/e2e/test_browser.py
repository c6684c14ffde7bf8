"""End to end in a real browser: headless Chromium opens the Dagster asset graph (no dialog in
front of it on a new instance), clicks "Materialize all", and every asset then shows its
latest materialization and its checks."""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from orchestration.run_health import ensure_instance_config
from tests.conftest import REPO, recipe_dict, venv_command
from tests.e2e.test_webserver import _graphql
from tests.servers import dagster_server, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CORPORA = ("seed", "synthesized", "filtered", "decontaminated")
ASSETS = (*CORPORA, "published")
LATEST = """
{ assetNodes { assetKey { path }
    assetMaterializations(limit: 1) { runId }
    assetChecksOrError { ... on AssetChecks { checks { name
        executionForLatestMaterialization { runId status } } } } } }
"""
RUNS = "{ runsOrError { ... on Runs { results { runId status } } } }"
# The title of Dagster's onboarding dialog, which a new instance shows unless `nux` is off.
COMMUNITY_DIALOG = "Join the Dagster community"


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    """One web server for the module's tests (each test opens its own browser): starting
    one costs tens of seconds. The materializing test is the only one that launches a run."""
    tmp_path = tmp_path_factory.mktemp("webserver")
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    # The instance configuration `make ui` writes for a new home, plus: without a daemon, runs
    # must launch straight from the web server, not wait in a queue.
    config = ensure_instance_config(tmp_path / "dagster-web")
    with open(config, "a", encoding="utf-8") as handle:
        handle.write(
            "run_coordinator:\n"
            "  module: dagster._core.run_coordinator\n"
            "  class: DefaultRunCoordinator\n"
        )
    dagster_home = config.parent
    recipe = home / "recipe.yaml"
    # Embedding dispersion loads a 15 s model the UI test does not need.
    recipe.write_text(yaml.safe_dump(recipe_dict(reports={"plots": True})))
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "SYNTHFOUNDRY_HOME": str(home),
        "SYNTHFOUNDRY_RECIPE": str(recipe),
    }
    args = [venv_command("dagster-webserver"), "-w", "workspace.yaml"]
    args += ["-h", "127.0.0.1", "-p", str(port)]
    with dagster_server(args, port, env, REPO, tmp_path / "webserver.log", timeout_s=90):
        yield port


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail(
            f"{CHROMIUM} and {CHROMEDRIVER} are needed: `make browser` installs them "
            "(apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1600,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@contextmanager
def screenshot_on_failure(driver, folder: Path):
    """Keep what the browser showed when an assertion failed (pytest's tmp dir)."""
    try:
        yield
    except BaseException:
        driver.save_screenshot(str(folder / "failure.png"))
        (folder / "failure.html").write_text(driver.page_source, encoding="utf-8")
        print(f"screenshot: {folder / 'failure.png'}")
        raise


def _wait(predicate, timeout: float, what: str, interval: float = 0.5):
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        StaleElementReferenceException,
    )

    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except (StaleElementReferenceException, ElementClickInterceptedException):
            value = None  # React re-rendered the element under us: look again
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _check_passed(text: str) -> bool:
    return "expectations" in text and ("Passed" in text or "Succeeded" in text)


def test_the_first_visit_opens_on_the_asset_graph_without_a_dialog(webserver, browser, tmp_path):
    from selenium.webdriver.common.by import By

    assert _graphql(webserver, "{ shouldShowNux }") == {"shouldShowNux": False}
    with screenshot_on_failure(browser, tmp_path):
        browser.get(f"http://127.0.0.1:{webserver}/asset-groups")

        def graph_shown() -> bool:
            text = browser.find_element(By.TAG_NAME, "body").text
            return all(asset in text for asset in ASSETS) and "Materialize all" in text

        _wait(graph_shown, 45, "the asset graph with every asset")
        # Dagster opens its dialog once the page has asked the server whether to: give it time.
        time.sleep(5)
        body = browser.find_element(By.TAG_NAME, "body").text
        assert COMMUNITY_DIALOG not in body
        dialogs = browser.find_elements(By.CSS_SELECTOR, '[role="dialog"]')
        assert not [d for d in dialogs if d.is_displayed()], [d.text for d in dialogs]


def test_materialize_all_from_the_asset_graph(webserver, browser, tmp_path):
    with screenshot_on_failure(browser, tmp_path):
        _drive(webserver, browser)


def _drive(webserver: int, browser) -> None:
    from selenium.webdriver.common.by import By

    base = f"http://127.0.0.1:{webserver}"
    browser.get(f"{base}/asset-groups")

    def materialize_button():
        buttons = browser.find_elements(By.TAG_NAME, "button")
        # No dialog covers the graph (a click on a covered button raises and is retried).
        for button in buttons:
            if button.text.strip().startswith("Materialize all") and button.is_enabled():
                button.click()
                return True
        return None

    _wait(materialize_button, 45, 'clicking "Materialize all" on the asset graph')
    runs = _wait(lambda: _graphql(webserver, RUNS)["runsOrError"]["results"], 30, "a launched run")
    assert len(runs) == 1
    run_id = runs[0]["runId"]
    status = _wait(
        lambda: (
            (s := _graphql(webserver, RUNS)["runsOrError"]["results"][0]["status"])
            in ("SUCCESS", "FAILURE", "CANCELED")
            and s
        ),
        # Each step process imports great-expectations: minutes on a loaded 2-core machine.
        600,
        "the run to finish",
        interval=2,
    )
    assert status == "SUCCESS"

    # The UI: each asset's page links its latest materialization to this run; each corpus's
    # checks tab shows the blocking expectations check passed.
    for asset in ASSETS:
        browser.get(f"{base}/assets/{asset}")
        _wait(
            lambda: browser.find_elements(By.CSS_SELECTOR, f'a[href*="/runs/{run_id}"]'),
            30,
            f"{asset}'s latest materialization to link run {run_id}",
        )
        if asset in CORPORA:
            browser.get(f"{base}/assets/{asset}?view=checks")
            _wait(
                lambda: _check_passed(browser.find_element(By.TAG_NAME, "body").text),
                30,
                f"{asset}'s expectations check to show as passed",
            )

    # The quality metadata renders: the length plot opens as an inline PNG image.
    browser.get(f"{base}/assets/filtered")

    def open_plot():
        for row in browser.find_elements(By.TAG_NAME, "tr"):
            if row.text.startswith("length_distribution_plot"):
                row.find_element(By.PARTIAL_LINK_TEXT, "Show Markdown").click()
                return True
        return None

    _wait(open_plot, 30, "the length_distribution_plot metadata row")
    _wait(
        lambda: browser.find_elements(By.CSS_SELECTOR, 'img[src^="data:image/png;base64,"]'),
        30,
        "the inline length-distribution plot",
    )

    # GraphQL agrees: latest materialization from this run, its checks passed for it.
    nodes = {n["assetKey"]["path"][0]: n for n in _graphql(webserver, LATEST)["assetNodes"]}
    assert set(nodes) == set(ASSETS)
    for asset in ASSETS:
        assert nodes[asset]["assetMaterializations"][0]["runId"] == run_id
    for asset in CORPORA:
        checks = nodes[asset]["assetChecksOrError"]["checks"]
        assert [c["name"] for c in checks] == ["expectations"]
        execution = checks[0]["executionForLatestMaterialization"]
        assert execution == {"runId": run_id, "status": "SUCCEEDED"}, json.dumps(execution)
