"""The explorer's JSON API: each handler's numbers against fastgd's own functions, the
per-request caps, every route's 400 on bad input, and a real server (in a thread,
and `python -m fastgd explore` as a child process) spoken to over HTTP with urllib."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import io
import json
import math
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the explorer needs the explore extra (starlette)")
pytest.importorskip("uvicorn", reason="the explorer needs the explore extra (uvicorn)")
pytest.importorskip("sympy", reason="the explorer needs the explore extra (sympy)")

import fastgd
from fastgd import objectives as registry
from fastgd.explorer import limits, one_d, regression, server, two_d
from fastgd.explorer.app import HANDLERS
from fastgd.explorer.payload import BadRequest

from .conftest import child_env, child_process

SIX = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]


# --- the handlers' numbers --------------------------------------------------------


def test_1d_step_is_fastgd_minimize_with_gd():
    answer = one_d.step({"formula": "x^2 - 3*sin(x)", "theta": 2.5, "lr": 0.2, "steps": 40})

    def f(x: np.ndarray) -> tuple[float, np.ndarray]:
        return x[0] ** 2 - 3 * math.sin(x[0]), np.array([2 * x[0] - 3 * math.cos(x[0])])

    expected = fastgd.minimize(f, [2.5], method="gd", lr=0.2, max_iter=40, jac=True)
    np.testing.assert_allclose(answer["theta"], expected.path[:, 0], rtol=1e-12)
    np.testing.assert_allclose(answer["f"], expected.losses, rtol=1e-12)
    theta = np.array(answer["theta"])
    np.testing.assert_allclose(answer["df"], 2 * theta - 3 * np.cos(theta), rtol=1e-12)
    assert answer["status"] == expected.status
    assert answer["nit"] == expected.nit
    assert answer["message"] == expected.message


def test_1d_step_reports_divergence_by_fastgd_rules():
    answer = one_d.step({"formula": "x^2", "theta": 1.0, "lr": 1.5, "steps": 3000})
    with pytest.warns(fastgd.DivergenceWarning):  # the explorer silences it
        expected = fastgd.minimize(
            lambda x: (x[0] ** 2, 2 * x), [1.0], method="gd", lr=1.5, max_iter=3000, jac=True
        )
    assert answer["status"] == expected.status == "diverged"
    assert len(answer["theta"]) == len(expected.path) < 3001  # stopped when it diverged
    json.dumps(answer, allow_nan=False)  # what the server sends must be strict JSON


@pytest.mark.parametrize(
    ("formula", "theta"), [("1/x", 0.0), ("sqrt(x)", -1.0), ("exp(x)", 800.0), ("log(x)", 0.0)]
)
def test_1d_step_refuses_a_start_where_f_is_not_finite(formula, theta):
    with pytest.raises(ValueError, match="not defined \\(or not finite\\) at the start x = "):
        one_d.step({**STEP, "formula": formula, "theta": theta})


def test_steps_that_leave_the_domain_end_as_diverged_without_warnings():
    # log(x) from 0.5 with lr 1 jumps to x = -1.5, where log is nan: fastgd's rules
    # stop the run there (the suite turns any RuntimeWarning into an error).
    answer = one_d.step({"formula": "log(x)", "theta": 0.5, "lr": 1.0, "steps": 5})
    assert answer["status"] == "diverged"
    assert answer["theta"] == [0.5, -1.5]
    assert answer["f"][1] is None
    race = two_d.race({**RACE, "objective": None, "formula": "exp(x*y)", "x0": [5.0, 5.0]})
    assert race["runs"][0]["status"] == "diverged"
    with pytest.raises(ValueError, match="at the start x = 0, y = 1"):
        two_d.race({**RACE, "objective": None, "formula": "1/(x*y)", "x0": [0.0, 1.0]})


def test_1d_curve_samples_f_and_names_the_derivative():
    answer = one_d.curve({"formula": "x^3 - x", "lo": -2, "hi": 2, "n": 41})
    x = np.linspace(-2, 2, 41)
    np.testing.assert_allclose(answer["x"], x)
    np.testing.assert_allclose(answer["f"], x**3 - x, atol=1e-12)
    assert answer["derivative"] == "3*x**2 - 1"
    undefined = one_d.curve({"formula": "log(x)", "lo": -1, "hi": 1, "n": 3})
    assert undefined["f"] == [None, None, 0.0]


def test_2d_race_is_fastgd_race_each_with_its_own_rate():
    optimizers = [
        {"name": "gd", "lr": 1e-3},
        {"name": "momentum", "lr": 5e-4, "momentum": 0.8},
        {"name": "adam", "lr": 0.05},
    ]
    body = {"objective": "rosenbrock", "x0": [-1.0, 1.0], "steps": 300, "optimizers": optimizers}
    answer = two_d.race(body)
    expected = [
        fastgd.minimize("rosenbrock", [-1.0, 1.0], optimizer=opt, max_iter=300)
        for opt in (
            fastgd.SGD(lr=1e-3),
            fastgd.SGD(lr=5e-4, momentum=0.8),
            fastgd.Adam(lr=0.05),
        )
    ]
    assert [run["name"] for run in answer["runs"]] == ["gd", "momentum", "adam"]
    for run, result in zip(answer["runs"], expected, strict=True):
        np.testing.assert_allclose(run["x"], result.path[:, 0], rtol=1e-12)
        np.testing.assert_allclose(run["y"], result.path[:, 1], rtol=1e-12)
        np.testing.assert_allclose(run["loss"], result.losses, rtol=1e-12)
        assert (run["status"], run["nit"]) == (result.status, result.nit)
    assert [run["lr"] for run in answer["runs"]] == [1e-3, 5e-4, 0.05]


def test_2d_race_on_a_typed_formula_matches_the_registered_objective():
    base = {"x0": [-1.0, 1.0], "steps": 200, "optimizers": [{"name": "adam", "lr": 0.02}]}
    typed = two_d.race({**base, "formula": "(1-x)^2 + 100*(y-x^2)^2"})["runs"][0]
    built_in = two_d.race({**base, "objective": "rosenbrock"})["runs"][0]
    np.testing.assert_allclose(typed["x"], built_in["x"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(typed["loss"], built_in["loss"], rtol=1e-9, atol=1e-12)


def test_2d_contour_is_the_registered_surface_on_the_grid():
    answer = two_d.contour({"objective": "himmelblau", "window": [-5, 5, -4, 4], "n": 30})
    gx, gy = np.meshgrid(answer["x"], answer["y"])
    values = registry.get("himmelblau").values(np.column_stack([gx.ravel(), gy.ravel()]))
    np.testing.assert_allclose(np.array(answer["z"]), values.reshape(30, 30), rtol=1e-12)
    typed = two_d.contour({"formula": "x + 10*y", "window": [0, 1, 0, 1], "n": 2})
    assert typed["z"] == [[0.0, 1.0], [10.0, 11.0]]  # z[i][j] = f(x[j], y[i])


def test_2d_objectives_and_surface():
    listed = two_d.objectives({})
    names = [o["name"] for o in listed["objectives"]]
    assert "rosenbrock" in names
    assert "beale" in names
    assert set(SIX) <= set(listed["optimizers"])
    rosen = next(o for o in listed["objectives"] if o["name"] == "rosenbrock")
    assert rosen["minima"] == [[1.0, 1.0]]
    assert two_d.surface({"formula": "x*y"})["expression"] == "x*y"


def test_regression_fit_is_fit_least_squares_beside_the_analytic_line():
    points = regression.generate({"n": 40, "noise": 0.3, "seed": 3})
    assert points == regression.generate({"n": 40, "noise": 0.3, "seed": 3})
    x, y = np.array(points["x"]), np.array(points["y"])
    for method, extra in [("gd", {}), ("momentum", {"momentum": 0.5}), ("sgd", {"batch_size": 8})]:
        body = {**points, "method": method, "lr": 0.05, "epochs": 30, "w0": -1.0, "b0": 2.0}
        answer = regression.fit({**body, **extra})
        expected = fastgd.fit_least_squares(
            x.reshape(-1, 1),
            y,
            optimizer=method,
            lr=0.05,
            batch_size=extra.get("batch_size"),
            max_iter=30,
            tol=None,
            momentum=extra.get("momentum"),
            random_state=0,
            coef_init=[-1.0],
            intercept_init=2.0,
            record=True,
        )
        np.testing.assert_allclose(answer["w"], expected.path[:, 0], rtol=1e-12)
        np.testing.assert_allclose(answer["b"], expected.path[:, 1], rtol=1e-12)
        np.testing.assert_allclose(answer["loss"], expected.losses, rtol=1e-12)
        assert len(answer["w"]) == 31
    slope, intercept = np.polyfit(x, y, 1)
    assert answer["analytic"]["w"] == pytest.approx(slope, rel=1e-10)
    assert answer["analytic"]["b"] == pytest.approx(intercept, rel=1e-10)


def test_regression_loss_grid_is_the_loss_the_fit_reports():
    points = regression.generate({"n": 25, "noise": 0.5})
    x, y = np.array(points["x"]), np.array(points["y"])
    grid = regression.loss_grid({**points, "window": [-1, 3, -2, 1], "n": 9})
    w, b = np.meshgrid(grid["w"], grid["b"])
    direct = ((w[..., None] * x + b[..., None] - y) ** 2).mean(axis=-1)
    np.testing.assert_allclose(np.array(grid["z"]), direct, rtol=1e-10)
    fit = regression.fit({**points, "method": "gd", "lr": 0.1, "epochs": 1, "w0": 0.5, "b0": 0})
    at_start = regression.loss_grid({**points, "window": [0.5, 1, 0, 1], "n": 2})["z"][0][0]
    assert at_start == pytest.approx(fit["loss"][0], rel=1e-10)


# --- caps and refusals, handler by handler -----------------------------------------

STEP = {"formula": "x^2", "theta": 1.0, "lr": 0.1, "steps": 5}
RACE = {
    "objective": "beale",
    "x0": [1.0, 1.0],
    "steps": 5,
    "optimizers": [{"name": "gd", "lr": 1e-3}],
}
CONTOUR = {"objective": "beale", "window": [-1, 1, -1, 1], "n": 5}
POINTS = {"x": [0.0, 1.0, 2.0], "y": [1.0, 2.0, 2.5]}
FIT = {**POINTS, "method": "gd", "lr": 0.1, "epochs": 3, "w0": 0.0, "b0": 0.0}


@pytest.mark.parametrize(
    ("handler", "body", "says"),
    [
        (one_d.step, {**STEP, "steps": limits.MAX_STEPS + 1}, "steps must be in"),
        (one_d.curve, {"formula": "x", "lo": 0, "hi": 1, "n": limits.MAX_GRID + 1}, "n must be in"),
        (two_d.race, {**RACE, "steps": limits.MAX_STEPS + 1}, "steps must be in"),
        (
            two_d.race,
            {**RACE, "optimizers": RACE["optimizers"] * (limits.MAX_OPTIMIZERS + 1)},
            f"at most {limits.MAX_OPTIMIZERS}",
        ),
        (two_d.contour, {**CONTOUR, "n": limits.MAX_GRID + 1}, "n must be in"),
        (regression.generate, {"n": limits.MAX_POINTS + 1, "noise": 1}, "n must be in"),
        (regression.fit, {**FIT, "epochs": limits.MAX_REGRESSION_EPOCHS + 1}, "epochs must be"),
        (
            regression.fit,
            {**FIT, "x": [0.0] * (limits.MAX_POINTS + 1), "y": [0.0] * (limits.MAX_POINTS + 1)},
            f"at most {limits.MAX_POINTS}",
        ),
        (regression.loss_grid, {**POINTS, "window": [0, 1, 0, 1], "n": 10**6}, "n must be in"),
    ],
)
def test_caps_per_request(handler, body, says):
    with pytest.raises(BadRequest, match=says):
        handler(body)


@pytest.mark.parametrize(
    ("handler", "body", "says"),
    [
        (one_d.step, {**STEP, "lr": -1}, "lr must be > 0"),
        (one_d.step, {**STEP, "lr": "0.1"}, "lr must be a number"),
        (one_d.step, {**STEP, "steps": 2.5}, "steps must be an integer"),
        (one_d.step, {**STEP, "steps": True}, "steps must be an integer"),
        (one_d.step, {k: v for k, v in STEP.items() if k != "theta"}, "theta is missing"),
        (one_d.curve, {"formula": "x", "lo": 1, "hi": 0, "n": 5}, "lo must be below hi"),
        (two_d.race, {**RACE, "optimizers": [{"name": "nope", "lr": 1}]}, "name must be one of"),
        (two_d.race, {**RACE, "optimizers": []}, "non-empty list"),
        (two_d.race, {**RACE, "x0": [1.0]}, "x0 must hold 2 numbers"),
        (two_d.race, {**RACE, "objective": "nope"}, "nope"),
        (two_d.contour, {**CONTOUR, "window": [1, 0, 0, 1]}, "low < high"),
        (regression.fit, {**FIT, "method": "sgd"}, "batch_size is missing"),
        (regression.fit, {**FIT, "y": [1.0]}, "y must hold 3 numbers"),
        (regression.fit, {**FIT, "x": [0.0], "y": [1.0]}, "at least 2 points"),
    ],
)
def test_bad_fields_are_refused_by_name(handler, body, says):
    with pytest.raises(BadRequest, match=says):
        handler(body)


# --- a real server, spoken to over HTTP -------------------------------------------


def request(url: str, data: bytes | None = None, method: str = "POST") -> tuple[int, Any]:
    """(status, decoded JSON answer) of one request; 4xx/5xx answers too."""
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def post(base: str, route: str, body: Any) -> tuple[int, Any]:
    return request(f"{base}api/{route}", json.dumps(body).encode())


@pytest.fixture(scope="module")
def base_url():
    out = io.StringIO()
    running = server.start(0, "127.0.0.1", open_browser=False, block=False, out=out)
    try:
        assert out.getvalue().splitlines()[0] == running.url
        yield running.url
    finally:
        running.stop()


GOOD: dict[str, Any] = {
    "1d/curve": {"formula": "x^2", "lo": -1, "hi": 1, "n": 5},
    "1d/step": STEP,
    "2d/objectives": {},
    "2d/surface": {"objective": "beale"},
    "2d/contour": CONTOUR,
    "2d/race": RACE,
    "regression/generate": {"n": 5, "noise": 0.1},
    "regression/fit": FIT,
    "regression/loss": {**POINTS, "window": [0, 1, 0, 1], "n": 3},
}


def test_every_route_is_covered_here():
    assert set(GOOD) == set(HANDLERS)


@pytest.mark.parametrize("route", sorted(GOOD))
def test_every_route_answers_its_handler_and_refuses_bad_json(base_url, route):
    status, answer = post(base_url, route, GOOD[route])
    assert status == 200, answer
    assert answer == json.loads(json.dumps(HANDLERS[route](dict(GOOD[route]))))
    for bad in (b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"[" * 100_000):
        status, answer = request(f"{base_url}api/{route}", bad)
        assert status == 400
        assert "JSON" in answer["error"]
    if route != "2d/objectives":  # the only route without input
        status, answer = post(base_url, route, {})
        assert status == 400
        assert "is missing" in answer["error"]
        wrong = {k: ([v] if not isinstance(v, list) else "text") for k, v in GOOD[route].items()}
        status, answer = post(base_url, route, wrong)
        assert status == 400
        assert answer["error"]


def test_a_formula_error_names_the_field_and_the_server_keeps_serving(base_url):
    for formula in ("__import__('os').system('true')", "x.__class__", "lambda: 0", "2x", "y"):
        status, answer = post(base_url, "1d/step", {**STEP, "formula": formula})
        assert status == 400
        assert answer["field"] == "formula"
        assert answer["error"]
    status, answer = post(base_url, "1d/step", {**STEP, "formula": "999999**999999*x"})
    assert (status, answer["field"]) == (400, "formula")
    assert "longer than" in answer["error"]
    status, answer = post(base_url, "1d/step", STEP)
    assert status == 200
    assert answer["theta"][1] == pytest.approx(0.8)


def test_oversized_bodies_unknown_routes_and_wrong_methods(base_url):
    # Just over the cap (small enough for the socket buffers: the server refuses it
    # from its Content-Length without reading it, and closes the connection).
    huge = json.dumps({"x": [0.5] * (limits.MAX_BODY_BYTES // 5 + 10)}).encode()
    assert limits.MAX_BODY_BYTES < len(huge) < limits.MAX_BODY_BYTES + 1000
    status, answer = request(f"{base_url}api/regression/fit", huge)
    assert status == 400
    assert str(limits.MAX_BODY_BYTES) in answer["error"]
    status, answer = post(base_url, "nope", {})
    assert status == 404
    assert "api/nope" in answer["error"]
    status, answer = request(f"{base_url}api/1d/step", None, method="GET")
    assert status == 405
    assert "use POST" in answer["error"]
    status, answer = request(f"{base_url}api/2d/objectives", None, method="GET")
    assert status == 200
    assert answer["objectives"]


def test_a_body_without_length_is_cut_at_the_cap(base_url):
    # Chunked transfer: no Content-Length to refuse it by, so the server counts.
    host, port = base_url.removeprefix("http://").rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        chunk = b" " * (limits.MAX_BODY_BYTES // 4 + 1)
        connection.request(
            "POST",
            "/api/regression/fit",
            body=iter([b"{", chunk, chunk, chunk, chunk, b"}"]),
            encode_chunked=True,
        )
        answer = connection.getresponse()
        assert answer.status == 400
        assert str(limits.MAX_BODY_BYTES) in json.loads(answer.read())["error"]
    finally:
        connection.close()
    assert post(base_url, "regression/fit", FIT)[0] == 200


def test_server_timing_header(base_url):
    req = urllib.request.Request(
        f"{base_url}api/2d/race", data=json.dumps(RACE).encode(), method="POST"
    )
    with urllib.request.urlopen(req, timeout=60) as answer:
        timing = answer.headers["Server-Timing"]
    assert timing.startswith("app;dur=")
    assert float(timing.split("=")[1]) > 0


# --- starting it: fastgd.explore(), python -m fastgd explore ----------------------


def test_importing_fastgd_does_not_import_the_web_stack():
    code = (
        "import sys, fastgd; "
        "heavy = [m for m in ('starlette', 'uvicorn', 'sympy', 'fastgd.explorer') "
        "if m in sys.modules]; "
        "assert not heavy, heavy; "
        "assert 'explore' in dir(fastgd); "
        "assert callable(fastgd.explore); assert 'starlette' not in sys.modules"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, timeout=120, env=child_env(PYTHONUNBUFFERED="1")
    )


def test_fastgd_explore_in_a_thread_serves_and_stops():
    running = fastgd.explore(port=0, open_browser=False, block=False)
    try:
        assert running.running
        assert running.url == f"http://127.0.0.1:{running.port}/"
        assert post(running.url, "1d/step", STEP)[0] == 200
        assert "running" in repr(running)
        assert running.url in running._repr_html_()
    finally:
        running.stop()
    assert not running.running
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{running.url}api/2d/objectives", timeout=5)
    running.stop()  # twice is harmless


def test_fastgd_explore_does_not_block_inside_an_event_loop():
    async def in_a_notebook_cell() -> server.ExplorerServer:
        return fastgd.explore(open_browser=False)  # block=None: a loop runs, so a thread

    with asyncio.run(in_a_notebook_cell()) as running:
        assert running.running
        assert post(running.url, "2d/objectives", {})[0] == 200
    assert not running.running


def test_fastgd_explore_is_the_function_after_a_submodule_import():
    import fastgd.explorer.app  # binds fastgd.explorer, not fastgd.explore

    assert fastgd.explore is fastgd.explorer.explore
    with fastgd.explore(open_browser=False, block=False) as running:
        assert post(running.url, "2d/objectives", {})[0] == 200


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match="port must be <= 65535"):
        fastgd.explore(port=70000, open_browser=False, block=False)
    with pytest.raises(TypeError, match="port must be an integer"):
        fastgd.explore(port="8000", open_browser=False, block=False)
    with pytest.raises(TypeError, match="host must be a string"):
        fastgd.explore(host=127001, open_browser=False, block=False)
    with pytest.raises(ValueError, match="host must be a host name"):
        fastgd.explore(host=" ", open_browser=False, block=False)
    with pytest.raises(TypeError, match="open_browser must be True or False"):
        fastgd.explore(open_browser="no", block=False)
    with pytest.raises(TypeError, match="block must be True or False"):
        fastgd.explore(open_browser=False, block=0)
    with pytest.raises(ValueError, match="cannot be resolved"):
        fastgd.explore(host="no-such-host.invalid", open_browser=False, block=False)


def test_is_loopback():
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert server.is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.org"):
        assert not server.is_loopback(host), host


def _cli(*args: str) -> contextlib.AbstractContextManager[subprocess.Popen]:
    """``python -m fastgd explore ARGS``, killed and reaped when the block ends."""
    return child_process(
        [sys.executable, "-m", "fastgd", "explore", *args], env=child_env(PYTHONUNBUFFERED="1")
    )


def test_the_command_prints_its_url_first_serves_and_stops_on_ctrl_c():
    with _cli("--port", "0", "--no-browser") as child:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        assert url.endswith("/"), url
        assert int(url.rsplit(":", 1)[1].rstrip("/")) > 0
        status, answer = post(url, "1d/step", STEP)
        assert status == 200
        assert answer["theta"][:3] == pytest.approx([1.0, 0.8, 0.64])
        assert post(url, "1d/step", {**STEP, "lr": "fast"})[0] == 400
        assert post(url, "2d/race", RACE)[0] == 200  # still serving after the 400
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert out == ""  # the URL was the only line
    assert "stopped" in err
    assert "warning" not in err  # loopback: no network warning
    assert "Traceback" not in err


def test_the_command_warns_when_the_host_is_not_loopback():
    # 192.0.2.1 (TEST-NET-1, RFC 5737) is never a local address: the warning is
    # printed, then the bind fails, so nothing is exposed to the network.
    with _cli("--host", "192.0.2.1", "--port", "0", "--no-browser") as child:
        _, err = child.communicate(timeout=60)
    assert "warning: the explorer listens on 192.0.2.1" in err
    assert "network" in err
    assert "cannot listen on 192.0.2.1" in err
    assert child.returncode == 1
    assert "Traceback" not in err


def test_the_command_refuses_a_bad_port():
    with _cli("--port", "99999", "--no-browser") as child:
        _, err = child.communicate(timeout=60)
    assert child.returncode == 2
    assert "--port" in err


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=child_env(PYTHONUNBUFFERED="1"),
    )


def test_a_missing_extra_says_how_to_install_it():
    done = _python(
        "import sys; sys.modules['uvicorn'] = None; "
        "from fastgd.__main__ import main; sys.exit(main(['explore', '--no-browser']))"
    )
    assert done.returncode == 1
    assert "pip install 'fastgd[explore]'" in done.stderr
    assert done.stdout == ""
    done = _python(
        "import sys; sys.modules['sympy'] = None; import fastgd\n"
        "try:\n    fastgd.explore(open_browser=False)\n"
        "except ModuleNotFoundError as e:\n    print(e)\n"
    )
    assert "pip install 'fastgd[explore]'" in done.stdout


def test_a_handler_that_fails_answers_500_and_the_server_keeps_serving(monkeypatch, caplog):
    def broken(body: dict[str, Any]) -> dict[str, Any]:
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(HANDLERS, "1d/curve", broken)
    with server.start(0, open_browser=False, block=False, out=io.StringIO()) as running:
        status, answer = post(running.url, "1d/curve", GOOD["1d/curve"])
        assert status == 500
        assert answer["error"] == "internal error: ZeroDivisionError: a bug"
        assert post(running.url, "1d/step", STEP)[0] == 200
    assert "api/1d/curve failed" in caplog.text


def test_the_page_is_served_at_the_root_when_installed(base_url):
    from fastgd.explorer.app import _static_dir

    page = _static_dir() / "index.html"
    if page.is_file():  # the wheel, or a tree with the page
        with urllib.request.urlopen(base_url, timeout=60) as answer:
            assert answer.status == 200
            assert answer.headers["Content-Type"].startswith("text/html")
            assert answer.read() == page.read_bytes()
    else:  # a tree without it: the API works, the root says what is missing
        status, answer = request(base_url, None, method="GET")
        assert status == 404
        assert "page is missing" in answer["error"]
    status, answer = request(f"{base_url}static/../../app.py", None, method="GET")
    assert status == 404
