"""Issue 12's fit-side consistency items: one theta helper, the intercept of
least_squares_loss_grad, Schedules, defaults that agree, lr="auto" for every
optimizer, the callback convention, FitResult.path and repr, RandomState, and
keyword-only signatures."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import fastgd
from fastgd import GDRegressor, schedules
from fastgd.optimizer_names import OPTIMIZER_NAMES
from fastgd.theta import pack, unpack

from .conftest import make_regression

TORCH_DEFAULT_LR = {
    "adam": 1e-3,
    "adamw": 1e-3,
    "adagrad": 1e-2,
    "rmsprop": 1e-2,
    "adadelta": 1.0,
    "adamax": 2e-3,
    "nadam": 2e-3,
    "radam": 1e-3,
    "rprop": 1e-2,  # issue 13's rules (Lion's is optax's usual 1e-4: torch has no Lion)
    "asgd": 1e-2,
    "lion": 1e-4,
    "adafactor": 1e-2,
}


def test_theta_pack_and_unpack_round_trip():
    theta = pack(np.array([1.0, 2.0]), 3.0, True, np.dtype(np.float32))
    assert theta.dtype == np.float32
    np.testing.assert_array_equal(theta, [1.0, 2.0, 3.0])
    coef, b = unpack(theta, 2, True)
    np.testing.assert_array_equal(coef, [1.0, 2.0])
    assert b == 3.0
    coef[0] = 9.0  # a copy
    assert theta[0] == 1.0
    np.testing.assert_array_equal(pack(np.array([1.0]), 5.0, False, np.dtype(np.float64)), [1.0])
    assert unpack(np.array([1.0]), 1, False)[1] == 0.0


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("rows", [None, [0, 3, 3, 7]])
def test_loss_grad_with_an_intercept_against_numpy(reduction, rows):
    rng = np.random.default_rng(1)
    X, y, w, b, l2 = rng.normal(size=(20, 3)), rng.normal(size=20), rng.normal(size=3), 0.7, 0.3
    loss, grad = fastgd.least_squares_loss_grad(
        X, y, w, reduction=reduction, l2=l2, rows=rows, intercept=b
    )
    Xb, yb = (X, y) if rows is None else (X[rows], y[rows])
    r = Xb @ w + b - yb
    scale = 1.0 / len(yb) if reduction == "mean" else 1.0
    assert loss == pytest.approx(scale * r @ r + l2 * w @ w, rel=1e-12)
    want = np.append(2 * scale * Xb.T @ r + 2 * l2 * w, 2 * scale * r.sum())
    np.testing.assert_allclose(grad, want, rtol=1e-12, atol=1e-12)
    # Without an intercept: the gradient in w alone, as before.
    assert fastgd.least_squares_loss_grad(X, y, w)[1].shape == (3,)


def test_signatures_are_keyword_only_after_the_data():
    X, y, _ = make_regression(20, 2)
    with pytest.raises(TypeError):
        fastgd.fit_least_squares(X, y, "sgd")  # type: ignore[misc]
    with pytest.raises(TypeError):
        fastgd.least_squares_loss_grad(X, y, np.zeros(2), "sum")  # type: ignore[misc]
    with pytest.raises(TypeError):
        fastgd.normal_equations(X, y, False)  # type: ignore[call-overload]


def test_defaults_agree_across_entry_points():
    fit_sig = inspect.signature(fastgd.fit_least_squares).parameters
    ne_sig = inspect.signature(fastgd.normal_equations).parameters
    est_sig = inspect.signature(GDRegressor).parameters
    assert fit_sig["fit_intercept"].default is ne_sig["fit_intercept"].default is True
    assert fit_sig["optimizer"].default == est_sig["optimizer"].default == "sgd"
    X, y, _ = make_regression(50, 2, intercept=1.5)
    coef, intercept = fastgd.normal_equations(X, y)  # the default fits the intercept
    np.testing.assert_allclose(
        np.append(coef, intercept), np.linalg.lstsq(np.c_[X, np.ones(50)], y, rcond=None)[0]
    )


def test_a_schedule_is_an_lr_of_fit_least_squares_and_gdregressor():
    X, y, _ = make_regression(80, 3, intercept=0.5)
    sched = schedules.cosine(0.1, t_max=50)
    fit = fastgd.fit_least_squares(X, y, lr=sched, max_iter=50, tol=None)
    by_instance = fastgd.fit_least_squares(
        X, y, optimizer=fastgd.SGD(lr=sched), max_iter=50, tol=None
    )
    np.testing.assert_array_equal(fit.coef, by_instance.coef)
    model = GDRegressor(lr=sched, max_iter=50, tol=None).fit(X, y)
    np.testing.assert_allclose(model.coef_, fit.coef, rtol=1e-12)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_lr_auto_works_for_every_optimizer(name):
    X, y, _ = make_regression(60, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short run may warn (stalled, max_iter)
        fit = fastgd.fit_least_squares(X, y, optimizer=name, lr="auto", max_iter=5)
        GDRegressor(optimizer=name, lr="auto", max_iter=5).fit(X, y)
    if name in TORCH_DEFAULT_LR:
        assert fit.lr == TORCH_DEFAULT_LR[name]
    else:  # 1/L
        L = 2 * np.linalg.eigvalsh(np.c_[X, np.ones(60)].T @ np.c_[X, np.ones(60)] / 60).max()
        assert fit.lr == pytest.approx(1 / L, rel=1e-3)  # power iteration: L to ~1e-4


def test_lr_none_is_the_optimizers_own_and_an_explicit_lr_is_never_dropped():
    X, y, _ = make_regression(40, 2)
    opt = fastgd.Adam(lr=0.05)
    assert fastgd.fit_least_squares(X, y, optimizer=opt, max_iter=3).lr == 0.05
    assert fastgd.fit_least_squares(X, y, optimizer=opt, lr="auto", max_iter=3).lr == 0.05
    assert fastgd.fit_least_squares(X, y, max_iter=3).lr == 0.01
    # 0.01 happened to be the old default, and was silently dropped: now refused.
    with pytest.raises(ValueError, match=r"conflicts with the optimizer's lr=0\.05"):
        fastgd.fit_least_squares(X, y, optimizer=opt, lr=0.01)
    # GDRegressor and fit_least_squares resolve "auto" with an instance alike.
    est = GDRegressor(optimizer=fastgd.SGD(lr=0.02), max_iter=3, tol=None).fit(X, y)
    fit = fastgd.fit_least_squares(X, y, optimizer=fastgd.SGD(lr=0.02), lr="auto", max_iter=3)
    assert est.lr_ == fit.lr == 0.02


def test_the_old_positional_callback_still_works_with_a_deprecation_warning():
    X, y, _ = make_regression(40, 2)
    seen = []
    with pytest.warns(DeprecationWarning, match=r"callback\(epoch, loss, coef\)"):
        fit = fastgd.fit_least_squares(
            X, y, max_iter=5, tol=None, callback=lambda e, loss, coef: seen.append((e, coef.shape))
        )
    assert seen == [(e, (2,)) for e in range(1, 6)]
    assert fit.n_iter == 5


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("batch_size", [None, 8])
def test_the_path_is_recorded_beside_the_losses(fit_intercept, batch_size):
    X, y, _ = make_regression(40, 2, intercept=1.0)
    seen = []

    def watch(intermediate_result):
        seen.append(intermediate_result.x)

    fit = fastgd.fit_least_squares(
        X,
        y,
        lr=0.05,
        batch_size=batch_size,
        max_iter=7,
        tol=None,
        fit_intercept=fit_intercept,
        coef_init=[0.5, -0.5],
        callback=watch,
        random_state=0,
    )
    assert fit.path.shape == (fit.n_iter + 1, 3)
    np.testing.assert_array_equal(fit.path[0], [0.5, -0.5, 0.0])
    np.testing.assert_array_equal(fit.path[-1], np.append(fit.coef, fit.intercept))
    for row, x in zip(fit.path[1:], seen, strict=True):
        np.testing.assert_array_equal(row[: len(x)], x)
    if not fit_intercept:
        assert not fit.path[:, -1].any()
    # The losses are the loss of each row of the path.
    A = np.c_[X, np.ones(40)]
    np.testing.assert_allclose(
        [np.mean((A @ t - y) ** 2) for t in fit.path], fit.losses, rtol=1e-10
    )
    assert fastgd.fit_least_squares(X, y, max_iter=3, record=False).path.shape == (0, 3)


def test_a_memmap_fit_records_the_same_path(tmp_path):
    X, y, _ = make_regression(64, 2, intercept=1.0)
    Xm = np.memmap(tmp_path / "X.bin", dtype=np.float64, mode="w+", shape=X.shape)
    Xm[:] = X
    kw = dict(optimizer="gd", lr=0.05, max_iter=6, tol=None, gradient="stream")
    here, there = fastgd.fit_least_squares(X, y, **kw), fastgd.fit_least_squares(Xm, y, **kw)
    np.testing.assert_allclose(there.path, here.path, rtol=1e-12)


def test_fit_result_repr_is_one_short_line():
    X, y, _ = make_regression(2000, 50)
    fit = fastgd.fit_least_squares(X, y, lr="auto", max_iter=20)
    text = repr(fit)
    assert "\n" not in text
    assert len(text) < 200
    assert text.startswith("FitResult(status=")
    assert "n_iter=" in text
    assert "lr=" in text
    assert "[" not in text  # no arrays


def test_gdregressor_and_the_fit_take_a_random_state():
    X, y, _ = make_regression(60, 2)
    kw = dict(optimizer="sgd", batch_size=4, max_iter=3, tol=None)
    a = GDRegressor(random_state=np.random.RandomState(0), **kw).fit(X, y)
    b = GDRegressor(random_state=np.random.RandomState(0), **kw).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    f = fastgd.fit_least_squares(X, y, random_state=np.random.RandomState(3), **kw)
    g = fastgd.fit_least_squares(X, y, random_state=np.random.RandomState(3), **kw)
    np.testing.assert_array_equal(f.coef, g.coef)
