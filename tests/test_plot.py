"""Pictures: each function checked for what it drew, not just for running."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # headless; before pyplot is first imported
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from fastgd import plot
from fastgd.plot._animation import _ffmpeg
from fastgd.plot._common import _lr_text
from fastgd.plot._regression import _cost


@pytest.fixture(autouse=True)
def close_figures():
    """With ax=None the pictures are pyplot figures: close them after each test, so
    the suite does not pile them up (pyplot warns beyond 20)."""
    yield
    plt.close("all")


def _with_lr(r, lr):
    """The result with its learning rate, as the legends read it: a field of
    MinimizeResult once it carries one, noted on the result until then."""
    object.__setattr__(r, "lr", lr)
    return r


@pytest.fixture
def runs():
    return [
        _with_lr(
            fastgd.minimize("beale", [1.0, 1.0], optimizer=fastgd.Adam(lr=0.05), max_iter=300),
            0.05,
        ),
        _with_lr(
            fastgd.minimize("beale", [1.0, 1.0], optimizer="momentum", lr=1e-3, max_iter=300),
            1e-3,
        ),
    ]


def test_contour_draws_every_path_with_markers_and_minima(runs):
    ax = plot.contour("beale", runs)
    lines = ax.get_lines()
    # per run: the path, a start marker, an end marker; plus the known minima
    assert len(lines) == 3 * len(runs) + 1
    path_line = lines[0]
    np.testing.assert_array_equal(path_line.get_xdata(), runs[0].path[:, 0])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    r = runs[0]
    assert labels[0] == f"adam lr=0.05 ({r.status}, {r.nit} steps)"
    assert labels[1] == f"momentum lr=0.001 ({runs[1].status}, 300 steps)"
    assert "known minima" in labels
    assert ax.get_xlabel()
    assert ax.get_ylabel()
    assert ax.get_xlim() == (-4.5, 4.5)
    assert ax.collections  # the contour lines


def test_contour_composes_on_a_given_axes(runs):
    from matplotlib.figure import Figure

    fig = Figure()
    axes = fig.subplots(1, 2)
    assert plot.contour("beale", runs[0], ax=axes[0]) is axes[0]
    assert plot.losses(runs, ax=axes[1]) is axes[1]


def test_contour_rejects_what_it_cannot_draw(runs):
    with pytest.raises(ValueError, match="no path"):
        plot.contour("beale", fastgd.minimize("beale", [1.0, 1.0], record=False, max_iter=3))
    with pytest.raises(TypeError, match="MinimizeResult"):
        plot.contour("beale", [1, 2])


def test_losses_log_scale_and_one_line_per_run(runs):
    ax = plot.losses(runs)
    assert len(ax.get_lines()) == 2
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), runs[0].losses)
    assert ax.get_xlabel() == "step"


def test_losses_of_a_fit():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 2))
    fit = fastgd.fit_least_squares(X, X @ [1.0, 2.0], lr="auto", max_iter=20)
    ax = plot.losses(fit)
    assert ax.get_xlabel() == "epoch"
    assert len(ax.get_lines()[0].get_ydata()) == fit.n_iter + 1


def test_losses_of_an_unbounded_run_use_a_symmetric_log_scale():
    r = fastgd.minimize("dome", [0.5, 0.5], lr=0.1, max_iter=50)
    assert plot.losses(r).get_yscale() == "symlog"
    assert plot.losses(r, log=False).get_yscale() == "linear"


def test_losses_take_labels(runs):
    ax = plot.losses(runs, labels=["first", "second"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["first", "second"]
    with pytest.raises(ValueError, match="labels must be 2 strings"):
        plot.losses(runs, labels=["only one"])


def _line_fit():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 10, 50)
    y = 2.0 * x + 1.0 + rng.standard_normal(50)
    fits = [
        fastgd.fit_least_squares(x[:, None], y, optimizer="gd", lr="auto", max_iter=50),
        fastgd.fit_least_squares(x[:, None], y, optimizer="momentum", lr="auto", max_iter=500),
    ]
    return x, y, fits


def test_regression_draws_the_data_each_fit_and_the_analytic_line():
    x, y, fits = _line_fit()
    exact = fastgd.normal_equations(x[:, None], y, fit_intercept=True)
    ax = plot.regression(x[:, None], y, fits, exact=exact, labels=["GD", "momentum"])
    data, gd, mom, analytic = ax.get_lines()
    np.testing.assert_array_equal(data.get_xdata(), x)
    np.testing.assert_array_equal(data.get_ydata(), y)
    # Each fit is its line w x + b over the data's range.
    xs = gd.get_xdata()
    assert (xs[0], xs[-1]) == (x.min(), x.max())
    np.testing.assert_allclose(gd.get_ydata(), fits[0].coef[0] * xs + fits[0].intercept)
    np.testing.assert_allclose(mom.get_ydata(), fits[1].coef[0] * xs + fits[1].intercept)
    np.testing.assert_allclose(analytic.get_ydata(), exact[0][0] * xs + exact[1])
    assert analytic.get_linestyle() == "--"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["data", "GD", "momentum"]
    assert labels[3].startswith("analytic")


def test_regression_subsamples_many_points_and_checks_its_input():
    x, y, fits = _line_fit()
    big = np.repeat(x, 100)
    ax = plot.regression(big, np.repeat(y, 100), fits, max_points=1000)
    assert len(ax.get_lines()[0].get_xdata()) <= 1000
    with pytest.raises(ValueError, match="one feature"):
        plot.regression(np.ones((50, 2)), y, fits)
    with pytest.raises(ValueError, match="one value per row"):
        plot.regression(x, y[:-1], fits)
    two = fastgd.fit_least_squares(np.ones((10, 2)), np.ones(10), max_iter=2)
    with pytest.raises(TypeError, match="one-feature fits"):
        plot.regression(x, y, [two])


def test_curve_draws_the_function_the_iterates_and_tangents():
    r = fastgd.minimize("sphere", [1.8], lr=0.2, max_iter=30)
    ax = plot.curve("sphere", r, tangents=4)
    lines = ax.get_lines()
    assert len(lines) == 2 + 4  # the function, the iterates, four tangents
    np.testing.assert_allclose(lines[1].get_xdata(), r.path[:, 0])
    # The first tangent has the slope f'(x0) = 2 x0.
    tx, ty = lines[2].get_xdata(), lines[2].get_ydata()
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(2 * 1.8)


def test_curve_needs_a_1d_run(runs):
    with pytest.raises(ValueError, match="curve draws a 1-D objective; beale is 2-dimensional"):
        plot.curve("beale", runs[0])
    with pytest.raises(
        ValueError, match="curve draws 1-D runs; the adam run on beale is 2-dimensional"
    ):
        plot.curve("sphere", runs[0])


def test_an_explicit_axes_keeps_pyplot_out(runs):
    """An Axes of a plain Figure: no pyplot figure is made (the server/thread path)."""
    before = plt.get_fignums()
    fig = Figure()
    plot.contour("beale", runs, ax=fig.add_subplot(1, 2, 1))
    plot.losses(runs, ax=fig.add_subplot(1, 2, 2))
    assert plt.get_fignums() == before


def test_surface_draws_the_surface_and_the_paths(runs):
    ax = plot.surface("beale", runs, resolution=30)
    assert ax.name == "3d"
    assert len(ax.get_lines()) == len(runs)
    assert ax.collections  # the surface
    assert ax.get_zlabel()


def test_animate_writes_a_gif_with_the_frames(runs, tmp_path):
    from PIL import Image

    out = plot.animate("beale", runs, str(tmp_path / "race.gif"), frames=12, resolution=40)
    with Image.open(out) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == 12


def test_animate_checks_its_arguments(runs, tmp_path):
    with pytest.raises(ValueError, match=r"must end in \.gif or \.mp4"):
        plot.animate("beale", runs, str(tmp_path / "race.png"))
    with pytest.raises(ValueError, match="frames must be an integer >= 2"):
        plot.animate("beale", runs, str(tmp_path / "race.gif"), frames=1)
    with pytest.raises(ValueError, match="fps must be an integer >= 1"):
        plot.animate("beale", runs, str(tmp_path / "race.gif"), fps=0)
    with pytest.raises(ValueError, match="bounds must be"):
        plot.animate("beale", runs, str(tmp_path / "race.gif"), bounds=((1, 0), (0, 1)))
    assert not list(tmp_path.iterdir())  # nothing written on a bad argument


def test_animate_frames_show_the_paths_growing(runs, tmp_path):
    from PIL import Image, ImageChops

    out = plot.animate("beale", runs, str(tmp_path / "race.gif"), frames=10, resolution=40)
    with Image.open(out) as gif:
        gif.seek(0)
        first = gif.convert("RGB")
        gif.seek(gif.n_frames - 1)
        last = gif.convert("RGB")
    # The last frame has the whole paths drawn: a large region changed.
    box = ImageChops.difference(first, last).getbbox()
    assert box is not None
    assert (box[2] - box[0]) * (box[3] - box[1]) > 400


def test_animate_writes_an_mp4(runs, tmp_path):
    if _ffmpeg() is None:
        pytest.skip("no ffmpeg: install the test extra (imageio-ffmpeg)")
    out = plot.animate("beale", runs, str(tmp_path / "race.mp4"), frames=8, resolution=30)
    head = (tmp_path / "race.mp4").read_bytes()[:12]
    assert out.endswith(".mp4")
    assert head[4:8] == b"ftyp"


def test_contour_window_can_be_set(runs):
    ax = plot.contour("beale", runs, bounds=((0.0, 4.0), (-1.0, 2.0)))
    assert ax.get_xlim() == (0.0, 4.0)
    assert ax.get_ylim() == (-1.0, 2.0)


def test_sweep_marks_the_diverged_rates():
    result = fastgd.sweep_lr("bowl", [1.0, 1.0], [0.01, 0.1, 0.5, 1.5, 3.0], max_iter=100)
    ax = plot.sweep(result)
    finals, crosses = ax.get_lines()
    np.testing.assert_array_equal(finals.get_xdata(), [0.01, 0.1, 0.5])
    np.testing.assert_array_equal(crosses.get_xdata(), [1.5, 3.0])
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["final value", "diverged"]
    with pytest.raises(TypeError, match="SweepResult"):
        plot.sweep([1, 2])


# --- issue 11: runs of the wrong dimension, empty results -------------------------


def _run(d: int) -> fastgd.MinimizeResult:
    return fastgd.minimize("sphere", np.ones(d), lr=0.1, max_iter=5)


@pytest.mark.parametrize("d", [1, 3, 5])
def test_surface_pictures_refuse_runs_that_are_not_2d(d, tmp_path):
    r = _run(d)
    for draw in (
        lambda: plot.contour("sphere", r),
        lambda: plot.surface("sphere", r),
        lambda: plot.animate("sphere", r, str(tmp_path / "race.gif")),
        lambda: plot.contour("sphere", [_run(2), r]),
    ):
        with pytest.raises(
            ValueError, match=f"draws 2-D runs; the gd run on sphere is {d}-dimensional"
        ):
            draw()
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("d", [2, 5])
def test_curve_refuses_runs_that_are_not_1d(d):
    with pytest.raises(
        ValueError, match=f"curve draws 1-D runs; the gd run on sphere is {d}-dimensional"
    ):
        plot.curve("sphere", _run(d))


def test_empty_results_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="results is empty"):
        plot.losses([])
    with pytest.raises(ValueError, match="results is empty"):
        plot.animate("beale", [], str(tmp_path / "race.gif"))
    with pytest.raises(ValueError, match="curve draws one run, got 0"):
        plot.curve("sphere", [])
    unrecorded = fastgd.minimize("beale", [1.0, 1.0], max_iter=5, record=False)
    for draw in (
        lambda: plot.contour("beale", unrecorded),
        lambda: plot.surface("beale", unrecorded),
        lambda: plot.losses(unrecorded),
    ):
        with pytest.raises(ValueError, match="record=True"):
            draw()
    with pytest.raises(ValueError, match="X is empty"):
        plot.regression(np.ones((0, 1)), np.ones(0))
    with pytest.raises(ValueError, match="one feature; X has shape"):
        plot.regression(np.ones((5, 5)), np.ones(5))
    # Contour with no runs is the surface alone, as before.
    assert plot.contour("beale").collections


def test_results_of_a_strange_shape_are_value_errors(runs):
    import dataclasses

    flat = dataclasses.replace(runs[0], path=runs[0].path.ravel())
    with pytest.raises(ValueError, match=r"path must be 2-D \(steps, d\)"):
        plot.contour("beale", flat)
    with pytest.raises(TypeError, match="results must be a MinimizeResult"):
        plot.contour("beale", 3)


def test_animate_draws_no_more_frames_than_rows(runs, tmp_path):
    from PIL import Image

    short = fastgd.minimize("beale", [1.0, 1.0], optimizer=fastgd.Adam(lr=0.05), max_iter=9)
    out = plot.animate("beale", short, str(tmp_path / "race.gif"), frames=10**9, resolution=30)
    with Image.open(out) as gif:
        assert gif.n_frames == 10  # x0 and 9 steps: a huge frames asks for nothing more


def test_animate_titles_count_steps_of_a_strided_recording(tmp_path, monkeypatch):
    titles: list[str] = []
    from matplotlib.text import Text

    original = Text.set_text

    def spy(self, s):
        titles.append(str(s))
        return original(self, s)

    monkeypatch.setattr(Text, "set_text", spy)
    r = fastgd.minimize(
        "beale", [1.0, 1.0], optimizer=fastgd.Adam(lr=0.05), max_iter=95, record_every=10
    )
    assert r.path.shape == (11, 2)  # x0, steps 10..90, step 95
    plot.animate("beale", r, str(tmp_path / "race.gif"), frames=11, resolution=30)
    steps = [t for t in titles if t.startswith("step ") and t != "step 0000000"]
    assert steps == [f"step {k}" for k in (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95)]


# --- issue 12: plots as the ecosystem expects ---------------------------------------


def _sphere_run():
    return _with_lr(fastgd.minimize("sphere", [1.8], lr=0.2, max_iter=30), 0.2)


def _regression_data():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, 10.0, 60)
    return x, 2.5 * x + 4.0 + rng.standard_normal(60)


class _FitLike:
    """What regression_contour reads of a FitResult: path (rows of (coef,
    intercept), the start first; None when nothing was recorded), optimizer,
    status, n_iter, lr."""

    def __init__(self, path, optimizer="gd", status="max_iter", lr=0.01):
        self.path = None if path is None else np.asarray(path, dtype=np.float64)
        self.optimizer, self.status, self.lr = optimizer, status, lr
        self.n_iter = 0 if path is None else len(self.path) - 1


def _gd_path(x, y, lr, steps):
    """Plain NumPy gradient descent on J(w, b) = mean((w x + b - y)^2) from (0, 0):
    the oracle's path."""
    theta = np.zeros(2)
    rows = [theta.copy()]
    for _ in range(steps):
        r = theta[0] * x + theta[1] - y
        theta = theta - lr * np.array([2 * np.mean(r * x), 2 * np.mean(r)])
        rows.append(theta.copy())
    return np.array(rows)


def _every_picture(runs, tmp_path):
    """Each plot function with ax=None, by name."""
    x, y = _regression_data()
    fit = fastgd.fit_least_squares(x[:, None], y, optimizer="gd", lr="auto", max_iter=20)
    sweep = fastgd.sweep_lr("bowl", [1.0, 1.0], [0.1, 0.5, 1.5], max_iter=20)
    return {
        "contour": lambda: plot.contour("beale", runs),
        "surface": lambda: plot.surface("beale", runs, resolution=20),
        "curve": lambda: plot.curve("sphere", _sphere_run()),
        "losses": lambda: plot.losses(runs),
        "regression": lambda: plot.regression(x, y, fit),
        "regression_contour": lambda: plot.regression_contour(x, y, _FitLike([[0, 0], [1, 1]])),
        "sweep": lambda: plot.sweep(sweep),
    }


@pytest.mark.parametrize(
    "name",
    ["contour", "surface", "curve", "losses", "regression", "regression_contour", "sweep"],
)
def test_with_ax_none_the_picture_is_a_pyplot_figure(name, runs, tmp_path):
    draw = _every_picture(runs, tmp_path)[name]
    before = set(plt.get_fignums())
    ax = draw()
    made = set(plt.get_fignums()) - before
    assert len(made) == 1  # one new figure, in pyplot: plt.show() and notebooks show it
    assert ax.figure is plt.figure(made.pop())
    assert plt.gca() is ax


def test_an_explicit_axes_never_imports_pyplot():
    """In a fresh interpreter, every picture drawn on Axes of plain Figures, and an
    animation, leave matplotlib.pyplot unimported: safe on servers and threads."""
    from tests.conftest import python_child

    code = """
import sys, tempfile, os
import numpy as np
import fastgd
from fastgd import plot
from matplotlib.figure import Figure

r = fastgd.minimize("beale", [1.0, 1.0], lr=1e-3, max_iter=30)
one = fastgd.minimize("sphere", [1.0], lr=0.2, max_iter=10)
x = np.linspace(0, 10, 30); y = 2 * x + 1
fit = fastgd.fit_least_squares(x[:, None], y, lr="auto", max_iter=10)
class F: pass
f = F(); f.path = np.array([[0.0, 0.0], [1.0, 0.5]]); f.optimizer = "gd"
f.status = "max_iter"; f.n_iter = 1
sw = fastgd.sweep_lr("bowl", [1.0, 1.0], [0.1, 1.5], max_iter=10)
fig = Figure()
plot.contour("beale", r, ax=fig.add_subplot(2, 4, 1))
plot.surface("beale", r, ax=fig.add_subplot(2, 4, 2, projection="3d"), resolution=10)
plot.curve("sphere", one, ax=fig.add_subplot(2, 4, 3))
plot.losses(r, ax=fig.add_subplot(2, 4, 4))
plot.regression(x, y, fit, ax=fig.add_subplot(2, 4, 5))
plot.regression_contour(x, y, f, ax=fig.add_subplot(2, 4, 6))
plot.sweep(sw, ax=fig.add_subplot(2, 4, 7))
plot.animate("beale", r, os.path.join(tempfile.mkdtemp(), "r.gif"), frames=3, resolution=10)
print("pyplot imported:", "matplotlib.pyplot" in sys.modules)
"""
    with python_child(code, env={**__import__("os").environ, "MPLBACKEND": "Agg"}) as proc:
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "pyplot imported: False" in out


def test_a_refused_call_leaves_no_pyplot_figure(runs):
    before = plt.get_fignums()
    with pytest.raises(ValueError, match="bounds must be"):
        plot.contour("beale", runs, bounds=((1, 0), (0, 1)))
    with pytest.raises(ValueError, match="bounds is required"):
        plot.surface(lambda x: float(x @ x), runs)
    with pytest.raises(ValueError, match="labels must be 2 strings"):
        plot.losses(runs, labels=["one"])
    with pytest.raises(ValueError, match="no \\(coef, intercept\\) path"):
        plot.regression_contour([1.0, 2.0], [1.0, 2.0], _FitLike(None))
    assert plt.get_fignums() == before


def test_ax_must_be_an_axes(runs):
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes or None"):
        plot.contour("beale", runs, ax="left")
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes or None"):
        plot.losses(runs, ax=Figure())
    with pytest.raises(ValueError, match="ax must be a 3-D Axes for a surface"):
        plot.surface("beale", runs, ax=Figure().add_subplot())


# --- a Python callable with bounds=, as minimize takes one --------------------------


def _bowl_pair(x):
    return float(x @ x), 2 * x


def _bowl_value(x):
    return float(x @ x)


def _contour_lines(ax):
    cs = ax.collections[0]
    return cs.levels, [p.vertices for p in cs.get_paths()]


@pytest.mark.parametrize("fn", [_bowl_pair, _bowl_value], ids=["value_and_grad", "value"])
def test_contour_of_a_callable_is_the_contour_of_the_same_registered_function(fn):
    window = ((-2.0, 2.0), (-1.0, 3.0))
    r = fastgd.minimize(_bowl_pair, [1.5, 2.5], lr=0.1, max_iter=20)
    mine = plot.contour(fn, r, bounds=window, resolution=40, ax=Figure().add_subplot())
    oracle = plot.contour("bowl", (), bounds=window, resolution=40, ax=Figure().add_subplot())
    levels, paths = _contour_lines(mine)
    oracle_levels, oracle_paths = _contour_lines(oracle)
    np.testing.assert_array_equal(levels, oracle_levels)
    assert len(paths) == len(oracle_paths)
    for a, b in zip(paths, oracle_paths, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert mine.get_xlim() == (-2.0, 2.0)
    assert mine.get_ylim() == (-1.0, 3.0)
    np.testing.assert_array_equal(mine.get_lines()[0].get_xdata(), r.path[:, 0])
    assert mine.get_title() == fn.__name__


@pytest.mark.parametrize(
    ("fn", "rtol"), [(_bowl_pair, 1e-12), (_bowl_value, 1e-6)], ids=["grad", "differences"]
)
def test_curve_of_a_callable_draws_its_tangents(fn, rtol):
    r = fastgd.minimize(_bowl_pair, [1.8], lr=0.2, max_iter=10)
    ax = plot.curve(fn, r, bounds=(-2.0, 2.0), tangents=2)
    assert ax.get_xlim() == (-2.0, 2.0)
    curve_line = ax.get_lines()[0]
    np.testing.assert_allclose(curve_line.get_ydata(), curve_line.get_xdata() ** 2)
    tx, ty = ax.get_lines()[2].get_xdata(), ax.get_lines()[2].get_ydata()
    # The tangent at x0 = 1.8 has the slope f'(x0) = 3.6: analytic, or by differences.
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(3.6, rel=rtol)


def test_surface_and_animate_take_a_callable_with_bounds(tmp_path):
    from PIL import Image

    r = fastgd.minimize(_bowl_pair, [1.5, 1.0], lr=0.1, max_iter=20)
    ax = plot.surface(_bowl_pair, r, bounds=((-2, 2), (-2, 2)), resolution=15)
    assert ax.name == "3d"
    oracle = plot.surface("bowl", r, bounds=((-2, 2), (-2, 2)), resolution=15)
    # The same surface as the registered bowl: the same limits, 0 .. 8 on z.
    assert ax.get_zlim() == oracle.get_zlim()
    assert ax.get_zlim()[0] <= 0.0
    assert ax.get_zlim()[1] >= 8.0
    assert ax.get_xlim() == oracle.get_xlim()
    out = plot.animate(
        _bowl_pair, r, str(tmp_path / "r.gif"), bounds=((-2, 2), (-2, 2)), frames=4, resolution=15
    )
    with Image.open(out) as gif:
        assert gif.n_frames == 4


@pytest.mark.parametrize("what", ["contour", "surface", "curve", "animate"])
def test_a_callable_without_bounds_is_a_value_error_naming_bounds(what, tmp_path):
    r2 = fastgd.minimize(_bowl_pair, [1.0, 1.0], lr=0.1, max_iter=5)
    r1 = fastgd.minimize(_bowl_pair, [1.0], lr=0.1, max_iter=5)
    calls = {
        "contour": lambda: plot.contour(_bowl_pair, r2),
        "surface": lambda: plot.surface(_bowl_pair, r2),
        "curve": lambda: plot.curve(_bowl_pair, r1),
        "animate": lambda: plot.animate(_bowl_pair, r2, str(tmp_path / "r.gif")),
    }
    with pytest.raises(ValueError, match=r"bounds is required with a callable objective.*bounds="):
        calls[what]()
    assert not list(tmp_path.iterdir())


def test_callable_objectives_that_cannot_be_drawn():
    with pytest.raises(
        TypeError, match="objective must be a registered name, an Objective, or a callable"
    ):
        plot.contour(3, bounds=((0, 1), (0, 1)))
    with pytest.raises(
        TypeError, match="returns a value or a tuple \\(value, grad\\), got a tuple of 3"
    ):
        plot.contour(lambda x: (1.0, x, x), bounds=((0, 1), (0, 1)))
    with pytest.raises(TypeError, match="the value must be a real number"):
        plot.contour(lambda x: "high", bounds=((0, 1), (0, 1)))
    with pytest.raises(ValueError, match=r"bounds must be \(low, high\) or \(\(low, high\),\)"):
        plot.curve(_bowl_value, _sphere_run(), bounds=(2.0, -2.0))
    with pytest.raises(ValueError, match=r"bounds must be \(\(x0, x1\), \(y0, y1\)\)"):
        plot.contour(_bowl_pair, bounds=(-2, 2))
    with pytest.raises(ValueError, match="bounds must be"):
        plot.contour(_bowl_pair, bounds="wide")


# --- legends: each run's lr ----------------------------------------------------------


def test_lr_text_of_numbers_schedules_and_results_without_one(runs):
    assert _lr_text(runs[0]) == " lr=0.05"
    assert _lr_text(_with_lr(runs[1], fastgd.schedules.cosine(0.1, t_max=100))) == (
        " lr=cosine(0.1)"
    )
    assert _lr_text(object()) == ""  # a result without its lr: the name alone


def test_fit_legends_give_the_lr_the_fit_used():
    x, y = _regression_data()
    fit = fastgd.fit_least_squares(x[:, None], y, optimizer="gd", lr="auto", max_iter=20)
    ax = plot.losses(fit)
    assert ax.get_legend().get_texts()[0].get_text() == (
        f"gd lr={fit.lr:g} ({fit.status}, {fit.n_iter} epochs)"
    )


def test_the_gif_legend_shows_a_status_only_once_the_run_has_ended(tmp_path, monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    quick = _with_lr(fastgd.minimize("bowl", [1.5, 1.0], lr=0.1, max_iter=500, grtol=1e-3), 0.1)
    slow = _with_lr(fastgd.minimize("bowl", [1.5, 1.0], lr=0.001, max_iter=100), 0.001)
    assert quick.status == "converged"
    assert len(quick.path) < 60 < len(slow.path)
    shown: list[list[str]] = []
    blit = FigureCanvasAgg.blit

    def spy(self, bbox=None):
        shown.append([t.get_text() for t in self.figure.legends[0].get_texts()])
        return blit(self, bbox)

    monkeypatch.setattr(FigureCanvasAgg, "blit", spy)
    plot.animate("bowl", [quick, slow], str(tmp_path / "r.gif"), frames=11, resolution=20)
    rows = np.unique(np.linspace(1, len(slow.path), 11).astype(int))
    assert len(shown) == len(rows)
    for k, texts in zip(rows, shown, strict=True):
        ended_quick = k >= len(quick.path)
        assert texts[0] == (
            f"gd lr=0.1 (converged, {quick.nit} steps)" if ended_quick else "gd lr=0.1"
        )
        assert texts[1] == (
            "gd lr=0.001 (max_iter, 100 steps)" if k == len(slow.path) else "gd lr=0.001"
        )
    assert "(" not in " ".join(shown[0][:2])  # nothing is over in the first frame
    assert shown[0][2] == "known minima"


# --- the lecture's J(w, b) contour with the (coef, intercept) path --------------------


def test_regression_cost_is_the_mean_squared_error():
    x, y = _regression_data()
    J, w_star, b_star, j_star = _cost(x, y)
    rng = np.random.default_rng(0)
    W, B = rng.uniform(-5, 5, (2, 40))
    direct = np.array([np.mean((w * x + b - y) ** 2) for w, b in zip(W, B, strict=True)])
    np.testing.assert_allclose(J(W, B), direct, rtol=1e-12)
    coef, intercept = fastgd.normal_equations(x[:, None], y, fit_intercept=True)
    assert (w_star, b_star) == pytest.approx((coef[0], intercept), rel=1e-10)
    assert j_star == pytest.approx(np.mean((coef[0] * x + intercept - y) ** 2), rel=1e-10)


def test_regression_contour_draws_each_path_and_the_minimum():
    x, y = _regression_data()
    lr = 1.0 / (
        2
        * max(
            np.linalg.eigvalsh(
                np.cov(np.vstack([x, np.ones_like(x)]), bias=True)
                + np.outer([x.mean(), 1.0], [x.mean(), 1.0])
            )
        )
    )
    gd = _FitLike(_gd_path(x, y, lr, 200), optimizer="gd", lr=lr)
    fast = _FitLike(_gd_path(x, y, 0.9 * lr, 50), optimizer="momentum", lr=0.9 * lr)
    ax = plot.regression_contour(x[:, None], y, [gd, fast])
    lines = ax.get_lines()
    # per fit: the path, its start and its end; then the minimum
    assert len(lines) == 3 * 2 + 1
    np.testing.assert_array_equal(lines[0].get_xdata(), gd.path[:, 0])
    np.testing.assert_array_equal(lines[0].get_ydata(), gd.path[:, 1])
    np.testing.assert_array_equal(lines[3].get_xdata(), fast.path[:, 0])
    assert (lines[1].get_xdata()[0], lines[1].get_ydata()[0]) == (0.0, 0.0)  # the start
    coef, intercept = fastgd.normal_equations(x[:, None], y, fit_intercept=True)
    star = lines[-1]
    assert star.get_marker() == "*"
    assert (star.get_xdata()[0], star.get_ydata()[0]) == pytest.approx((coef[0], intercept))
    # The window holds every path and the minimum.
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for p in (gd.path, fast.path, [[coef[0], intercept]]):
        p = np.asarray(p)
        assert x0 < p[:, 0].min()
        assert p[:, 0].max() < x1
        assert y0 < p[:, 1].min()
        assert p[:, 1].max() < y1
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == f"gd lr={lr:g} (max_iter, 200 epochs)"
    assert labels[-1].startswith("minimum: w = ")
    assert ax.get_xlabel().startswith("w")
    assert ax.get_ylabel().startswith("b")
    # Levels above the minimum, log-spaced: the lowest close to J*, each above it.
    levels = ax.collections[0].levels
    _, _, _, j_star = _cost(x, y)
    assert np.all(levels > j_star)
    assert np.all(np.diff(np.log(levels - j_star)) > 0)


def test_regression_contour_with_a_real_fit_when_fits_carry_their_path():
    x, y = _regression_data()
    fit = fastgd.fit_least_squares(x[:, None], y, optimizer="gd", lr="auto", max_iter=50)
    if getattr(fit, "path", None) is None:
        pytest.skip("FitResult.path is not on this branch yet (it lands with the fit-plan work)")
    ax = plot.regression_contour(x, y, fit)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), fit.path[:, 0])
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), fit.path[:, -1])
    assert (fit.path[-1, 0], fit.path[-1, -1]) == pytest.approx((fit.coef[0], fit.intercept))


def test_regression_contour_refuses_what_it_cannot_draw():
    x, y = _regression_data()
    with pytest.raises(ValueError, match=r"no \(coef, intercept\) path: fit with record=True"):
        plot.regression_contour(x, y, _FitLike(None))
    unrecorded = fastgd.fit_least_squares(x[:, None], y, lr="auto", max_iter=5, record=False)
    with pytest.raises(ValueError, match=r"no \(coef, intercept\) path: fit with record=True"):
        plot.regression_contour(x, y, [unrecorded])
    with pytest.raises(ValueError, match=r"each path must have shape \(rows, 2\)"):
        plot.regression_contour(x, y, _FitLike(np.zeros((3, 3))))
    with pytest.raises(TypeError, match="fits must be FitResults"):
        plot.regression_contour(x, y, [1, 2])
    with pytest.raises(TypeError, match="fits must be a FitResult or a sequence"):
        plot.regression_contour(x, y, 3)
    with pytest.raises(ValueError, match="one feature"):
        plot.regression_contour(np.ones((5, 2)), np.ones(5))
    with pytest.raises(ValueError, match="must be finite"):
        plot.regression_contour([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match="labels must be 1 strings"):
        plot.regression_contour(x, y, _FitLike([[0, 0]]), labels=["a", "b"])
    # No fits: the surface and its minimum alone.
    ax = plot.regression_contour(x, y)
    assert ax.collections
    assert len(ax.get_lines()) == 1


def test_regression_contour_of_a_diverged_path_keeps_a_finite_window():
    x, y = _regression_data()
    runaway = _FitLike([[0.0, 0.0], [50.0, -20.0], [np.inf, np.nan]], status="diverged")
    ax = plot.regression_contour(x, y, runaway)
    assert np.all(np.isfinite(ax.get_xlim()))
    assert ax.get_xlim()[1] > 50


# --- public signatures: keyword-only after the data ----------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("contour", ["objective", "results"]),
        ("surface", ["objective", "results"]),
        ("curve", ["objective", "result"]),
        ("animate", ["objective", "results", "path"]),
        ("losses", ["results"]),
        ("regression", ["X", "y", "fits"]),
        ("regression_contour", ["X", "y", "fits"]),
        ("sweep", ["result"]),
    ],
)
def test_options_are_keyword_only_after_the_data(name, data):
    import inspect

    params = list(inspect.signature(getattr(plot, name)).parameters.values())
    assert [p.name for p in params[: len(data)]] == data
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params[: len(data)])
    assert params[len(data) :]
    assert all(p.kind is p.KEYWORD_ONLY for p in params[len(data) :])


def test_dir_of_plot_shows_the_pictures_only():
    assert dir(plot) == sorted(plot.__all__)
    assert "regression_contour" in plot.__all__
    for name in plot.__all__:
        assert callable(getattr(plot, name))
    # the helpers stay importable, out of dir() (in the package's private modules)
    assert plot._common.np is np


def _blobs(n=120):
    rng = np.random.default_rng(4)
    y = np.arange(n) % 2
    X = np.array([[-1.0, 0.0], [1.0, 1.0]])[y] + 0.7 * rng.standard_normal((n, 2))
    return X, np.where(y == 1, "yes", "no")


def test_decision_boundary_draws_the_points_and_the_path_s_lines():
    X, y = _blobs()
    fit = fastgd.fit_linear(X, y, loss="log_loss", optimizer="gd", max_iter=30, tol=None)
    ax = plot.decision_boundary(X, y, fit, epochs=4, labels=["GD"])
    assert len(ax.collections) == 2  # one scatter per class
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class no", "class yes", "GD"]
    lines = ax.get_lines()
    # Rows 0, 2, 9, 30 of the path (evenly spaced in log(1 + epoch): 31 ** (k/3) - 1);
    # row 0 is w = 0, which has no line.
    assert [ln.get_gid() for ln in lines] == ["boundary:0:2", "boundary:0:9", "boundary:0:30"]
    for line in lines:
        w1, w2, b = fit.path[int(line.get_gid().split(":")[2])]
        np.testing.assert_allclose(w1 * line.get_xdata() + w2 * line.get_ydata() + b, 0, atol=1e-9)
    alphas = [ln.get_alpha() for ln in lines]
    assert alphas == sorted(alphas)
    assert alphas[-1] == 1.0
    # The window is the data's, however far a line runs.
    assert ax.get_xlim()[0] < X[:, 0].min() < X[:, 0].max() < ax.get_xlim()[1]


def test_decision_boundary_segment_solves_for_the_larger_weight():
    from fastgd.plot._classification import boundary_segment

    lo, hi = np.array([-1.0, -2.0]), np.array([3.0, 2.0])
    xs, ys = boundary_segment(np.array([1.0, 0.0]), -0.5, lo, hi)  # x1 = 0.5: vertical
    np.testing.assert_array_equal(xs, [0.5, 0.5])
    np.testing.assert_array_equal(ys, [-2.0, 2.0])
    xs, ys = boundary_segment(np.array([1.0, 2.0]), 1.0, lo, hi)
    np.testing.assert_array_equal(xs, [-1.0, 3.0])
    np.testing.assert_allclose(xs + 2 * ys + 1.0, 0.0)
    assert boundary_segment(np.zeros(2), 1.0, lo, hi) is None
    assert boundary_segment(np.array([np.nan, 1.0]), 0.0, lo, hi) is None


def test_decision_boundary_refuses_what_it_cannot_draw():
    X, y = _blobs()
    fit = fastgd.fit_linear(X, y, loss="hinge", optimizer="gd", max_iter=3, tol=None)
    with pytest.raises(ValueError, match="two features"):
        plot.decision_boundary(np.ones((10, 3)), np.arange(10) % 2, fit)
    with pytest.raises(ValueError, match="two classes, got 3"):
        plot.decision_boundary(X, np.arange(len(X)) % 3, fit)
    with pytest.raises(ValueError, match="one label per row"):
        plot.decision_boundary(X, y[:-1], fit)
    with pytest.raises(ValueError, match="record=True"):
        plot.decision_boundary(
            X, y, fastgd.fit_linear(X, y, loss="hinge", max_iter=2, record=False)
        )
    three = fastgd.fit_linear(X, np.arange(len(X)) % 3, loss="log_loss", max_iter=2)
    with pytest.raises(ValueError, match=r"shape \(rows, 3\)"):
        plot.decision_boundary(X, y, three)
    with pytest.raises(TypeError, match="FitResults"):
        plot.decision_boundary(X, y, [object()])
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        plot.decision_boundary(X, y, fit, epochs=0)
    assert plt.get_fignums() == []  # a refused call leaves no figure behind
