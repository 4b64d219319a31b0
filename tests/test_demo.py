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


def test_the_classification_scene_draws_each_fit_s_boundary_over_the_epochs(tmp_path):
    scenes = demo.Scenes(tmp_path, draw=True)
    gd, sgd = scenes.classification(0)
    assert [p.name for p in scenes.files] == ["classification.png"]
    assert (tmp_path / "classification.png").stat().st_size > 1000
    assert "classification.png" in demo.FILES
    X, y = demo.two_blobs(0)
    assert X.shape == (200, 2)
    assert sorted(np.unique(y)) == [0, 1]
    # Both fits recorded theta per epoch: (w1, w2, b), the start first.
    assert gd.path.shape == (gd.n_iter + 1, 3)
    assert sgd.path.shape == (sgd.n_iter + 1, 3)
    assert sgd.gradient == "batch"
    assert gd.gradient == "stream"
    np.testing.assert_array_equal(gd.path[-1], [*gd.coef, gd.intercept])
    # GD reaches the mean log loss's minimum (the oracle: scipy's BFGS on the same J).
    from scipy.optimize import minimize

    s = np.where(y == 1, 1.0, -1.0)
    best = minimize(
        lambda t: np.mean(np.logaddexp(0.0, -s * (X @ t[:2] + t[2]))), np.zeros(3), method="BFGS"
    )
    np.testing.assert_allclose([*gd.coef, gd.intercept], best.x, atol=1e-3)
    assert sgd.losses[-1] < 1.05 * best.fun  # SGD hovers near it


def test_the_classification_picture_draws_the_path_s_boundaries_and_the_losses():
    X, y = demo.two_blobs(1)
    fits = [
        fastgd.fit_linear(X, y, loss="log_loss", optimizer="gd", max_iter=40, tol=None),
        fastgd.fit_linear(
            X, y, loss="log_loss", batch_size=8, max_iter=10, tol=None, random_state=1
        ),
    ]
    fig = demo.classification_picture(X, y, fits, labels=["GD", "SGD"])
    gd_ax, sgd_ax, loss_ax = fig.axes
    for k, (ax, fit) in enumerate(zip((gd_ax, sgd_ax), fits, strict=True)):
        assert len(ax.collections) == 2  # the two classes' points
        lines = [ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("boundary:")]
        assert 3 <= len(lines) <= 6
        for line in lines:
            _, fit_k, row = line.get_gid().split(":")
            assert int(fit_k) == 0  # one fit per panel
            w1, w2, b = fit.path[int(row)]
            xs, ys = line.get_xdata(), line.get_ydata()
            # Every drawn line is x . w + b = 0 of the path's row.
            np.testing.assert_allclose(w1 * xs + w2 * ys + b, 0.0, atol=1e-9 * (1 + abs(b)))
        last = lines[-1]
        assert last.get_gid() == f"boundary:0:{fit.n_iter}"
        assert last.get_alpha() == 1.0
        assert all(ln.get_alpha() < 1.0 for ln in lines[:-1])
        assert ax.get_legend().get_texts()[-1].get_text() == ["GD", "SGD"][k]
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == ["GD", "SGD"]
