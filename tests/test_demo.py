"""The demo's scenes: what each picture is made of (the files themselves are checked
by test_cli's demo run)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import fastgd

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from fastgd import demo


def _with_path(fit, path):
    """The fit carrying a (coef, intercept) path, as FitResult.path holds it once the
    fit plan records it: the field itself when FitResult has it."""
    if "path" in {f.name for f in dataclasses.fields(fit)}:
        return dataclasses.replace(fit, path=path)
    object.__setattr__(fit, "path", path)
    return fit


def _data():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 10.0, 100)
    return x[:, None], 2.5 * x + 4.0 + 2.0 * rng.standard_normal(100)


def _gd_path(x, y, lr, steps):
    """NumPy gradient descent on J(w, b) = mean((w x + b - y)^2) from (0, 0)."""
    theta, rows = np.zeros(2), [np.zeros(2)]
    for _ in range(steps):
        r = theta[0] * x + theta[1] - y
        theta = theta - lr * np.array([2 * np.mean(r * x), 2 * np.mean(r)])
        rows.append(theta.copy())
    return np.array(rows)


def test_the_regression_picture_draws_the_cost_contour_when_fits_carry_their_path():
    X, y = _data()
    fits = [
        fastgd.fit_least_squares(X, y, optimizer="gd", lr="auto", max_iter=50, record=True),
        fastgd.fit_least_squares(X, y, optimizer="momentum", lr="auto", max_iter=50),
    ]
    paths = [_gd_path(X[:, 0], y, f.lr, f.n_iter) for f in fits]
    fits = [_with_path(f, p) for f, p in zip(fits, paths, strict=True)]
    fig = demo.regression_picture(X, y, fits, labels=["GD", "momentum"])
    data_ax, cost_ax, loss_ax = fig.axes
    # The middle panel: J(w, b) with each fit's (coef, intercept) path.
    assert cost_ax.get_xlabel().startswith("w")
    assert cost_ax.collections  # the contour lines
    lines = cost_ax.get_lines()
    np.testing.assert_array_equal(lines[0].get_xdata(), paths[0][:, 0])
    np.testing.assert_array_equal(lines[3].get_ydata(), paths[1][:, 1])
    assert cost_ax.get_legend() is None  # the other panels' legends name the fits
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == ["GD", "momentum"]
    assert data_ax.get_legend().get_texts()[0].get_text() == "data"


def test_the_regression_picture_without_paths_has_the_data_and_the_losses():
    X, y = _data()
    fit = fastgd.fit_least_squares(X, y, optimizer="gd", lr="auto", max_iter=20)
    if getattr(fit, "path", None) is not None:
        fit = dataclasses.replace(fit, path=None)
    fig = demo.regression_picture(X, y, [fit], labels=["GD"])
    assert len(fig.axes) == 2


def test_a_scene_s_run_notes_its_lr_for_the_legends():
    r = fastgd.minimize("bowl", [1.0, 1.0], lr=0.1, max_iter=5)
    run = demo.Run("x.png", r, 0.1)
    assert run.result.lr == 0.1
    from fastgd.plot._common import _label

    assert _label(run.result).startswith("gd lr=0.1 (")
