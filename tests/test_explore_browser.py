"""The explorer's page in a real browser (issue 16, section 5).

Headless Chromium (Debian's chromium and chromium-driver, driven by selenium; no
browser is downloaded) loads the page served by a server this module starts on a
free port of 127.0.0.1. In each view the test types a formula, clicks a start point,
moves the learning-rate slider and steps, and checks the numbers the page shows
against fastgd's own functions called here with the same inputs. A broken formula
must show an error next to its box while the page keeps working, and the browser's
console must stay free of errors. Screenshots of each view are saved under the
test's tmp dir (and copied to $FASTGD_SCREENSHOT_DIR when it is set).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fastgd

pytest.importorskip("starlette", reason="the explorer needs starlette (the explore extra)")
pytest.importorskip("uvicorn", reason="the explorer needs uvicorn (the explore extra)")
pytest.importorskip("selenium", reason="the browser tests need selenium")

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from .conftest import child_env


def _find(names: list[str]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _find(["chromium", "chromium-browser"])
CHROMEDRIVER = _find(["chromedriver"])

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no chromium and chromedriver on PATH (Debian: apt-get install chromium chromium-driver)",
)

WAIT_SECONDS = 30
"""The longest a test waits for the page (the first formula starts the parser's
child process; the ASan CI run is slow)."""
REL = 1e-12
"""The page's exact numbers (in each cell's title) against fastgd's."""


# --- the server and the browser --------------------------------------------------------


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m fastgd explore --port 0 --no-browser`` in a child process: the URL
    is its first line of output. Killed when the module ends, whatever happened."""
    env = child_env(PYTHONUNBUFFERED="1")
    # its log goes to a file: a pipe nobody reads could fill and stall the server
    log_path = tmp_path_factory.mktemp("explorer") / "stderr.txt"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fastgd", "explore", "--port", "0", "--no-browser"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        if not first.startswith("http://127.0.0.1:"):
            proc.kill()
            proc.wait()
            pytest.fail(
                f"the explorer printed {first!r} first, not its URL: {log_path.read_text()}"
            )
        yield first if first.endswith("/") else first + "/"
        assert proc.poll() is None, f"the explorer stopped: {log_path.read_text()}"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    """Headless Chromium through chromedriver, both given by path (selenium manager
    never looks anything up), started without LD_PRELOAD: CI runs the suite with
    ASan preloaded, which the browser must not inherit."""
    assert CHROMIUM is not None
    assert CHROMEDRIVER is not None
    options = Options()
    options.binary_location = CHROMIUM
    for argument in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--force-device-scale-factor=1",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER, env=env), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser: webdriver.Chrome, server_url: str) -> Iterator[webdriver.Chrome]:
    """The page freshly loaded; afterwards the console must hold no errors."""
    browser.get(server_url)
    yield browser
    assert_no_console_errors(browser)


def console_errors(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """The console's warnings and errors since the last call (reading clears them)."""
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def assert_no_console_errors(driver: webdriver.Chrome) -> None:
    entries = console_errors(driver)
    assert not entries, f"the browser console holds errors: {entries}"


def expect_refused_requests(driver: webdriver.Chrome, route: str) -> None:
    """A refused formula is a 400 answer, which Chromium itself logs as a failed
    resource: allow exactly those entries (for ``route``) and nothing else."""
    entries = console_errors(driver)
    others = [
        e
        for e in entries
        if not (f"/api/{route}" in e["message"] and "status of 400" in e["message"])
    ]
    assert not others, f"the browser console holds errors: {others}"


def wait_for(driver: webdriver.Chrome, condition: Callable[[], Any], what: str) -> Any:
    # the page rebuilds its tables: an element read a moment ago may be gone
    return WebDriverWait(
        driver,
        WAIT_SECONDS,
        poll_frequency=0.05,
        ignored_exceptions=(StaleElementReferenceException,),
    ).until(lambda _: condition(), message=f"timed out waiting for {what}")


def screenshot(driver: webdriver.Chrome, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot {path}"
    copy_to = os.environ.get("FASTGD_SCREENSHOT_DIR")
    if copy_to:
        Path(copy_to).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(copy_to) / path.name)
    return path


# --- reading and driving the page ----------------------------------------------------


class Cell:
    """A table cell read at one instant: the text shown and the exact value (title)."""

    def __init__(self, text: str, title: str) -> None:
        self.text, self.title = text, title


def exact(element: WebElement | Cell) -> float:
    """The exact number of a cell (its title), checked against the digits shown."""
    text, title = (
        element.text,
        element.get_attribute("title") if isinstance(element, WebElement) else element.title,
    )
    assert title, f"cell {text!r} has no exact value"
    value = float(title)
    shown = float(text)
    assert shown == pytest.approx(value, rel=1e-9, abs=1e-300), (text, title)
    return value


def type_into(element: WebElement, text: str, enter: bool = True) -> None:
    element.clear()
    element.send_keys(text + (Keys.ENTER if enter else ""))


def click_at(driver: webdriver.Chrome, element: WebElement, fx: float, fy: float) -> None:
    """A real mouse click at the fraction (fx, fy) of an element's box."""
    width, height = element.size["width"], element.size["height"]
    ActionChains(driver).move_to_element_with_offset(
        element, int((fx - 0.5) * width), int((fy - 0.5) * height)
    ).click().perform()


def move_slider(driver: webdriver.Chrome, slider: WebElement, fraction: float, keys: int) -> None:
    """Click the range input at ``fraction`` of its width, then press the right arrow
    ``keys`` times: the slider moves as a user moves it."""
    before = slider.get_attribute("value")
    click_at(driver, slider, fraction, 0.5)
    for _ in range(keys):
        slider.send_keys(Keys.ARROW_RIGHT)
    assert slider.get_attribute("value") != before, "the slider did not move"


def number_in(element: WebElement) -> float:
    return float(element.get_attribute("value"))


# --- a. the 1-D view -----------------------------------------------------------------


def half_square_plus_sine(x: np.ndarray) -> tuple[float, np.ndarray]:
    """f(x) = 0.5 x^2 + sin(x) and f', written here (not parsed by the page's code)."""
    t = float(x[0])
    return 0.5 * t * t + math.sin(t), np.array([t + math.cos(t)])


def table_rows(driver: webdriver.Chrome) -> list[list[Cell]]:
    """The 1-D table read in one script call, so a re-render cannot tear it."""
    rows = driver.execute_script(
        "return [...document.querySelectorAll('#f1-table tbody tr')].map("
        "tr => [...tr.cells].map(td => [td.textContent, td.title]))"
    )
    return [[Cell(text, title) for text, title in row] for row in rows]


def step_1d(driver: webdriver.Chrome, times: int) -> None:
    for _ in range(times):
        before = len(table_rows(driver))
        driver.find_element(By.ID, "f1-step").click()
        wait_for(
            driver, lambda before=before: len(table_rows(driver)) > before, "a new row in the table"
        )


def test_one_d_view_steps_as_fastgd_minimize(page: webdriver.Chrome, tmp_path: Path) -> None:
    d = page
    wait_for(d, lambda: len(table_rows(d)) == 1, "the start row of the built-in x^2")

    # a typed formula; the table restarts at x0
    type_into(d.find_element(By.ID, "f1-formula"), "0.5*x^2 + sin(x)")
    wait_for(d, lambda: "sin(x)" in d.find_element(By.ID, "f1-derivative").text, "the new curve")
    assert "cos(x)" in d.find_element(By.ID, "f1-derivative").text  # f' = x + cos(x)

    # a click on the chart sets x0 (the plot spans x in [-3, 3] between its margins)
    chart = d.find_element(By.ID, "f1-chart")
    click_at(d, chart, 0.8, 0.3)
    width = chart.size["width"]
    pixel = 0.8 * width
    expected_x0 = -3 + 6 * (pixel - 58) / (width - 72)  # margins left 58, right 14
    wait_for(d, lambda: number_in(d.find_element(By.ID, "f1-x0")) != 2.5, "x0 from the click")
    x0 = number_in(d.find_element(By.ID, "f1-x0"))
    assert x0 == pytest.approx(expected_x0, abs=2 * 6 / (width - 72))

    # the slider sets the rate box
    move_slider(d, d.find_element(By.ID, "f1-lr-slider"), 0.3, keys=3)
    lr = number_in(d.find_element(By.ID, "f1-lr"))
    assert lr == float(d.find_element(By.ID, "f1-lr-slider").get_attribute("value"))
    assert 0.2 < lr < 0.7

    wait_for(d, lambda: table_rows(d) and exact(table_rows(d)[0][1]) == x0, "the row of x0")
    step_1d(d, 5)
    reference = fastgd.minimize(
        half_square_plus_sine, [x0], method="gd", lr=lr, max_iter=5, jac=True
    )
    rows = table_rows(d)
    assert len(rows) == 6 == reference.path.shape[0]
    for k, cells in enumerate(rows):
        assert cells[0].text == str(k)
        theta = float(reference.path[k, 0])
        assert exact(cells[1]) == pytest.approx(theta, rel=REL)
        value, slope = half_square_plus_sine(np.array([theta]))
        assert exact(cells[2]) == pytest.approx(reference.losses[k], rel=REL)
        assert exact(cells[2]) == pytest.approx(value, rel=REL)
        assert exact(cells[3]) == pytest.approx(slope[0], rel=REL, abs=1e-15)
    assert d.find_element(By.ID, "f1-status").text == "status: running"
    assert "max_iter=5" in d.find_element(By.ID, "f1-message").text  # fastgd's own message
    time.sleep(0.5)  # the point's glide to its new place ends; then the tangent shows
    screenshot(d, tmp_path, "explore-1d")

    # a new rate between steps: the next steps are minimize's from the current theta
    lr2 = 0.05
    type_into(d.find_element(By.ID, "f1-lr"), str(lr2), enter=False)
    step_1d(d, 2)
    theta5 = float(reference.path[5, 0])
    second = fastgd.minimize(
        half_square_plus_sine, [theta5], method="gd", lr=lr2, max_iter=2, jac=True
    )
    rows = table_rows(d)
    assert len(rows) == 8
    for k in (6, 7):
        assert exact(rows[k][1]) == pytest.approx(float(second.path[k - 5, 0]), rel=REL)
        assert exact(rows[k][4]) == lr2
    assert exact(rows[5][4]) == lr

    # fastgd's stopping rule in the status: x^2 with lr 0.5 reaches 0 in one step
    type_into(d.find_element(By.ID, "f1-formula"), "x^2")
    wait_for(d, lambda: "2*x" in d.find_element(By.ID, "f1-derivative").text, "the x^2 curve")
    type_into(d.find_element(By.ID, "f1-lr"), "0.5", enter=False)
    wait_for(d, lambda: len(table_rows(d)) == 1, "the restart at x0")
    step_1d(d, 1)
    d.find_element(By.ID, "f1-step").click()
    status = fastgd.minimize(
        lambda x: (float(x[0] ** 2), 2 * x), [x0], method="gd", lr=0.5, max_iter=2, jac=True
    ).status
    assert status == "converged"
    wait_for(d, lambda: d.find_element(By.ID, "f1-status").text == "status: converged", "converged")
    assert_no_console_errors(d)


def test_one_d_broken_formula_shows_an_error_and_the_page_keeps_working(
    page: webdriver.Chrome,
) -> None:
    d = page
    wait_for(d, lambda: len(table_rows(d)) == 1, "the start row")
    box, error = d.find_element(By.ID, "f1-formula"), d.find_element(By.ID, "f1-error")
    type_into(box, "2x + ")
    wait_for(d, lambda: error.text != "", "the formula's error")
    assert "cannot read the formula" in error.text
    type_into(box, "__import__('os')")
    wait_for(d, lambda: "double underscores" in error.text, "the refusal of __")
    type_into(box, "<img src=x onerror=alert(1)>")
    wait_for(d, lambda: "cannot read" in error.text, "the refusal of markup")
    assert d.find_elements(By.CSS_SELECTOR, "#f1-error *") == []  # shown as text, not HTML
    expect_refused_requests(d, "1d/curve")

    type_into(box, "x^2 - x")
    wait_for(d, lambda: error.text == "", "the error cleared")
    wait_for(d, lambda: "2*x - 1" in d.find_element(By.ID, "f1-derivative").text, "the curve")
    x0 = number_in(d.find_element(By.ID, "f1-x0"))
    wait_for(d, lambda: [exact(r[1]) for r in table_rows(d)] == [x0], "the restart at x0")
    step_1d(d, 1)
    rows = table_rows(d)
    assert exact(rows[0][1]) == x0
    assert exact(rows[1][1]) == pytest.approx(x0 - 0.1 * (2 * x0 - 1), rel=REL)

    # play runs steps by itself until paused; the rows are still minimize's
    play = d.find_element(By.ID, "f1-play")
    play.click()
    assert play.text == "pause"
    wait_for(d, lambda: len(table_rows(d)) >= 5, "steps while playing")
    play.click()
    assert play.text == "play"
    time.sleep(1.0)  # a step asked for just before the pause may still land
    count = len(table_rows(d))
    time.sleep(1.0)
    rows = table_rows(d)
    assert len(rows) == count, "steps went on after the pause"
    ref = fastgd.minimize(
        lambda x: (float(x[0] ** 2 - x[0]), 2 * x - 1),
        [x0],
        method="gd",
        lr=0.1,
        max_iter=count - 1,
        jac=True,
    )
    assert [exact(r[1]) for r in rows] == pytest.approx(ref.path[:, 0].tolist(), rel=REL)


# --- b. the 2-D view -----------------------------------------------------------------


def bowl(x: np.ndarray) -> tuple[float, np.ndarray]:
    """f(x, y) = x^2 + 3 y^2 + x y and its gradient, written here."""
    a, b = float(x[0]), float(x[1])
    return a * a + 3 * b * b + a * b, np.array([2 * a + b, 6 * b + a])


def optimizer_rows(driver: webdriver.Chrome) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#f2-optimizers tr.opt-row")


def settings_of(row: WebElement) -> dict[str, Any]:
    name = Select(row.find_element(By.CLASS_NAME, "opt-name")).first_selected_option
    momentum = row.find_element(By.CLASS_NAME, "opt-momentum")
    return {
        "method": name.get_attribute("value"),
        "lr": number_in(row.find_element(By.CLASS_NAME, "opt-lr")),
        "momentum": None if not momentum.is_enabled() else number_in(momentum),
    }


def reference_2d(fun: Any, start: list[float], spec: dict[str, Any], steps: int) -> Any:
    extra = {} if spec["momentum"] is None else {"momentum": spec["momentum"]}
    return fastgd.minimize(
        fun, start, method=spec["method"], lr=spec["lr"], max_iter=steps, jac=True, **extra
    )


def race_shows(rows: list[WebElement], expected: list[tuple[str, str]]) -> bool:
    """Whether the rows show these (step, status) pairs: the race has ended."""
    shown = [
        (
            r.find_element(By.CLASS_NAME, "opt-step").text,
            r.find_element(By.CLASS_NAME, "opt-status").text,
        )
        for r in rows
    ]
    return shown == expected


def open_tab(driver: webdriver.Chrome, tab: str) -> None:
    driver.find_element(By.ID, tab).click()


def test_two_d_view_races_as_fastgd_minimize(page: webdriver.Chrome, tmp_path: Path) -> None:
    d = page
    open_tab(d, "tab-2d")
    wait_for(d, lambda: len(optimizer_rows(d)) == 3, "the three default optimizers")
    wait_for(d, lambda: "himmelblau" in d.find_element(By.ID, "f2-expression").text, "himmelblau")

    type_into(d.find_element(By.ID, "f2-formula"), "x^2 + 3*y^2 + x*y")
    wait_for(d, lambda: "f(x, y)" in d.find_element(By.ID, "f2-expression").text, "the formula")
    assert d.find_element(By.ID, "f2-error").text == ""

    # the start by a click on the contour (its window is [-3, 3] x [-3, 3])
    contour = d.find_element(By.ID, "f2-contour")
    click_at(d, contour, 0.75, 0.25)
    wait_for(d, lambda: number_in(d.find_element(By.ID, "f2-x0")) > 0, "the clicked start")
    start = [number_in(d.find_element(By.ID, "f2-x0")), number_in(d.find_element(By.ID, "f2-y0"))]
    assert 0.5 < start[0] < 3, start
    assert 0.5 < start[1] < 3, start

    # the first optimizer's rate by its (log-scale) slider
    rows = optimizer_rows(d)
    before = settings_of(rows[0])["lr"]
    move_slider(d, rows[0].find_element(By.CLASS_NAME, "opt-lr-slider"), 0.35, keys=2)
    specs = [settings_of(row) for row in rows]
    assert [s["method"] for s in specs] == ["gd", "momentum", "adam"]
    assert specs[0]["lr"] != before
    assert 1e-4 <= specs[0]["lr"] <= 10

    # three steps together
    for k in (1, 2, 3):
        d.find_element(By.ID, "f2-step").click()
        wait_for(
            d,
            lambda k=k: all(r.find_element(By.CLASS_NAME, "opt-step").text == str(k) for r in rows),
            f"step {k}",
        )
    for row, spec in zip(rows, specs, strict=True):
        ref = reference_2d(bowl, start, spec, 3)
        assert exact(row.find_element(By.CLASS_NAME, "opt-x")) == pytest.approx(
            ref.path[3, 0], rel=REL
        )
        assert exact(row.find_element(By.CLASS_NAME, "opt-y")) == pytest.approx(
            ref.path[3, 1], rel=REL
        )
        assert exact(row.find_element(By.CLASS_NAME, "opt-f")) == pytest.approx(
            ref.losses[3], rel=REL
        )
        assert row.find_element(By.CLASS_NAME, "opt-status").text == "running"

    # the race: animated to its end, then each run where minimize ends
    # The long run on the server's own parse of the formula (the same function to the
    # last bit: near the minimum, rounding differences would be relative ones of 100%).
    from fastgd.explorer.formula import parse

    parsed = parse("x^2 + 3*y^2 + x*y", ("x", "y")).value_and_grad
    refs = [reference_2d(parsed, start, spec, 200) for spec in specs]
    type_into(d.find_element(By.ID, "f2-steps"), "200", enter=False)
    d.find_element(By.ID, "f2-race").click()
    wait_for(d, lambda: race_shows(rows, [(str(r.nit), r.status) for r in refs]), "the race's end")
    assert d.find_element(By.ID, "f2-race").text == "race"
    for row, ref in zip(rows, refs, strict=True):
        assert exact(row.find_element(By.CLASS_NAME, "opt-x")) == pytest.approx(
            ref.path[-1, 0], rel=REL, abs=1e-300
        )
        assert exact(row.find_element(By.CLASS_NAME, "opt-f")) == pytest.approx(
            ref.losses[-1], rel=REL, abs=1e-300
        )

    # divergence is shown: gd with lr 0.5 on 3 y^2 (curvature 6) runs away
    rate = rows[0].find_element(By.CLASS_NAME, "opt-lr")
    type_into(rate, "0.5", enter=False)
    with pytest.warns(fastgd.DivergenceWarning):
        diverged = reference_2d(parsed, start, {"method": "gd", "lr": 0.5, "momentum": None}, 200)
    assert diverged.status == "diverged"
    d.find_element(By.ID, "f2-race").click()
    # the page stays responsive while the race animates: animation frames keep coming
    # (five of them, counted without a deadline tighter than the wait below: a loaded
    # machine slows frames, a blocked page stops them)
    frames = d.execute_async_script(
        "const done = arguments[arguments.length - 1]; let n = 0; const t0 = performance.now();"
        "function tick() { n++; if (n < 5 && performance.now() - t0 < 20000)"
        " requestAnimationFrame(tick); else done(n); } requestAnimationFrame(tick);"
    )
    assert frames >= 5, f"{frames} animation frames in 20 s while the race animates"
    expected = [(str(diverged.nit), "diverged")] + [(str(r.nit), r.status) for r in refs[1:]]
    wait_for(d, lambda: race_shows(rows, expected), "the second race's end")
    status = rows[0].find_element(By.CLASS_NAME, "opt-status")
    assert "diverged" in status.get_attribute("class")

    # the wheel zooms and a drag pans: the contour is redrawn
    def picture() -> str:
        return d.execute_script("return arguments[0].toDataURL()", contour)

    shown = picture()
    ActionChains(d).scroll_from_origin(ScrollOrigin.from_element(contour), 0, -300).perform()
    wait_for(d, lambda: picture() != shown, "the zoomed contour")
    shown = picture()
    ActionChains(d).move_to_element(contour).click_and_hold().move_by_offset(
        60, 30
    ).release().perform()
    wait_for(d, lambda: picture() != shown, "the panned contour")
    assert [number_in(d.find_element(By.ID, i)) for i in ("f2-x0", "f2-y0")] == start  # no click

    d.find_element(By.ID, "f2-3d").click()
    wait_for(d, lambda: d.find_element(By.ID, "f2-surface").is_displayed(), "the 3-D surface")
    time.sleep(0.3)  # a few animation frames
    screenshot(d, tmp_path, "explore-2d")
    assert_no_console_errors(d)


def test_two_d_broken_formula_shows_an_error_and_the_page_keeps_working(
    page: webdriver.Chrome,
) -> None:
    d = page
    open_tab(d, "tab-2d")
    wait_for(d, lambda: len(optimizer_rows(d)) == 3, "the default optimizers")
    box, error = d.find_element(By.ID, "f2-formula"), d.find_element(By.ID, "f2-error")
    type_into(box, "x^2 + foo(y)")
    wait_for(d, lambda: "'foo' cannot be called" in error.text, "the formula's error")
    expect_refused_requests(d, "2d/surface")

    Select(d.find_element(By.ID, "f2-objective")).select_by_value("rosenbrock")
    wait_for(d, lambda: error.text == "", "the error cleared")
    wait_for(d, lambda: "rosenbrock" in d.find_element(By.ID, "f2-expression").text, "rosenbrock")
    rows = optimizer_rows(d)
    d.find_element(By.ID, "f2-step").click()
    wait_for(d, lambda: rows[0].find_element(By.CLASS_NAME, "opt-step").text == "1", "one step")
    start = [number_in(d.find_element(By.ID, i)) for i in ("f2-x0", "f2-y0")]
    ref = reference_2d("rosenbrock", start, settings_of(rows[0]), 1)
    assert exact(rows[0].find_element(By.CLASS_NAME, "opt-x")) == pytest.approx(
        ref.path[1, 0], rel=REL
    )


# --- c. the linear-regression view --------------------------------------------------


def regression_numbers(driver: webdriver.Chrome) -> dict[str, float]:
    return {
        name: exact(driver.find_element(By.ID, f"rg-{name}"))
        for name in ("w", "b", "J", "w-star", "b-star")
    }


def points_of(server_url: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The points the page's "generate" gets for (n, noise, seed), asked of the server."""
    request = urllib.request.Request(
        f"{server_url}api/regression/generate",
        data=json.dumps({"n": n, "noise": noise, "seed": seed}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as answer:
        data = json.load(answer)
    return np.array(data["x"]), np.array(data["y"])


def step_regression(driver: webdriver.Chrome, epochs: int) -> None:
    view = driver.find_element(By.ID, "view-regression")
    for _ in range(epochs):
        # a click while a fit is in flight (after a setting changed) is ignored
        wait_for(driver, lambda: view.get_attribute("data-pending") == "0", "no fit in flight")
        before = driver.find_element(By.ID, "rg-epoch").text
        driver.find_element(By.ID, "rg-step").click()
        wait_for(
            driver,
            lambda before=before: (
                driver.find_element(By.ID, "rg-epoch").text == str(int(before) + 1)
            ),
            "an epoch",
        )


def test_regression_view_fits_as_fastgd(
    page: webdriver.Chrome, server_url: str, tmp_path: Path
) -> None:
    d = page
    open_tab(d, "tab-regression")
    wait_for(d, lambda: d.find_element(By.ID, "rg-epoch").text == "0", "the generated points' fit")

    # generated points: the analytic line is the least-squares line
    n, noise, seed = 30, 0.4, 3
    type_into(d.find_element(By.ID, "rg-n"), str(n), enter=False)
    type_into(d.find_element(By.ID, "rg-noise"), str(noise), enter=False)
    type_into(d.find_element(By.ID, "rg-seed"), str(seed), enter=False)
    shown = d.find_element(By.ID, "rg-w-star").text
    d.find_element(By.ID, "rg-generate").click()
    wait_for(d, lambda: d.find_element(By.ID, "rg-w-star").text != shown, "the new points' fit")
    x, y = points_of(server_url, n, noise, seed)
    design = np.column_stack([x, np.ones_like(x)])
    (w_star, b_star), *_ = np.linalg.lstsq(design, y, rcond=None)
    numbers = regression_numbers(d)
    assert numbers["w-star"] == pytest.approx(w_star, rel=1e-10)
    assert numbers["b-star"] == pytest.approx(b_star, rel=1e-10)
    assert exact(d.find_element(By.ID, "rg-J-star")) == pytest.approx(
        np.mean((design @ [w_star, b_star] - y) ** 2), rel=1e-10
    )

    # the start (w0, b0) by a click on the J(w, b) contour
    click_at(d, d.find_element(By.ID, "rg-contour"), 0.3, 0.3)
    wait_for(d, lambda: number_in(d.find_element(By.ID, "rg-w0")) != -1, "the clicked start")
    w0, b0 = number_in(d.find_element(By.ID, "rg-w0")), number_in(d.find_element(By.ID, "rg-b0"))
    assert w0 < w_star
    assert b0 > b_star

    move_slider(d, d.find_element(By.ID, "rg-lr-slider"), 0.2, keys=4)
    lr = number_in(d.find_element(By.ID, "rg-lr"))
    assert lr == float(d.find_element(By.ID, "rg-lr-slider").get_attribute("value"))
    wait_for(d, lambda: d.find_element(By.ID, "rg-epoch").text == "0", "the restart")

    X = x.reshape(-1, 1)
    common = dict(lr=lr, tol=None, coef_init=[w0], intercept_init=b0, record=True)
    for method, extra, epochs in [
        ("gd", {}, 4),
        ("sgd", {"batch_size": 8, "random_state": seed}, 3),
        ("momentum", {"momentum": 0.9}, 3),
    ]:
        Select(d.find_element(By.ID, "rg-method")).select_by_value(method)
        wait_for(d, lambda: d.find_element(By.ID, "rg-epoch").text == "0", f"{method} at epoch 0")
        step_regression(d, epochs)
        ref = fastgd.fit_least_squares(X, y, optimizer=method, max_iter=epochs, **common, **extra)
        numbers = regression_numbers(d)
        assert numbers["w"] == pytest.approx(ref.path[epochs, 0], rel=REL), method
        assert numbers["b"] == pytest.approx(ref.path[epochs, 1], rel=REL), method
        assert numbers["J"] == pytest.approx(ref.losses[epochs], rel=REL), method
        if method == "gd":
            screenshot(d, tmp_path, "explore-regression")

    # points clicked in: the analytic line goes through two clicked points
    d.find_element(By.ID, "rg-clear").click()
    data = d.find_element(By.ID, "rg-data")
    click_at(d, data, 0.3, 0.6)
    click_at(d, data, 0.7, 0.4)
    wait_for(d, lambda: d.find_element(By.ID, "rg-epoch").text == "0", "the clicked points' fit")
    width, height = data.size["width"], data.size["height"]
    inner_w, inner_h = width - 72, height - 54  # margins: left 58, right 14, top 14, bottom 40

    def at(fx: float, fy: float) -> tuple[float, float]:
        return (-3 + 6 * (fx * width - 58) / inner_w, 6 - 12 * (fy * height - 14) / inner_h)

    (xa, ya), (xb, yb) = at(0.3, 0.6), at(0.7, 0.4)
    slope = (yb - ya) / (xb - xa)
    numbers = regression_numbers(d)
    assert numbers["w-star"] == pytest.approx(slope, abs=0.05)
    assert numbers["b-star"] == pytest.approx(ya - slope * xa, abs=0.05)
    assert_no_console_errors(d)
