"""Pictures: each function checked for what it drew, not just for running."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd

pytest.importorskip("matplotlib")
from fastgd import plot


@pytest.fixture
def runs():
    return [
        fastgd.minimize("beale", [1.0, 1.0], optimizer=fastgd.Adam(lr=0.05), max_iter=300),
        fastgd.minimize("beale", [1.0, 1.0], optimizer="momentum", lr=1e-3, max_iter=300),
    ]


def test_contour_draws_every_path_with_markers_and_minima(runs):
    ax = plot.contour("beale", runs)
    lines = ax.get_lines()
    # per run: the path, a start marker, an end marker; plus the known minima
    assert len(lines) == 3 * len(runs) + 1
    path_line = lines[0]
    np.testing.assert_array_equal(path_line.get_xdata(), runs[0].path[:, 0])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("adam (")
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


def test_no_pyplot_state_leaks(runs):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot.contour("beale", runs)
    plot.losses(runs)
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
    if plot._ffmpeg() is None:
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
