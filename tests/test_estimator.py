"""GDRegressor: scikit-learn's estimator contract (check_estimator), pipelines and
grid searches, partial_fit, warm starts, early stopping, progress, and life without
scikit-learn."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastgd
from fastgd import GDRegressor

from .conftest import make_regression
from .test_estimator_checks import expected_failed_checks

sklearn = pytest.importorskip("sklearn")  # in the test extra
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

ESTIMATORS = [
    GDRegressor(),
    GDRegressor(optimizer="adam", lr=0.05, batch_size=8, max_iter=50, random_state=0),
    GDRegressor(optimizer="momentum", early_stopping=True, random_state=0),
]


# check_estimator's data are often not centred: GD at 1/L then needs more than the
# default 1000 epochs, which the ConvergenceWarning says; that is not what it checks.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_fit_predict_score_match_the_analytic_solution():
    X, y, _ = make_regression(400, 5, intercept=1.5)
    model = GDRegressor(tol=1e-15, gtol=1e-8).fit(X, y)  # the accuracy checked below
    coef, intercept = fastgd.normal_equations(X, y, fit_intercept=True)
    np.testing.assert_allclose(model.coef_, coef, atol=1e-5)
    assert model.intercept_ == pytest.approx(intercept, abs=1e-5)
    assert model.status_ == "converged"
    assert model.n_features_in_ == 5
    assert model.loss_curve_.shape == (model.n_iter_ + 1,)
    np.testing.assert_allclose(model.predict(X), X @ model.coef_ + model.intercept_)
    assert model.score(X, y) > 0.99


def test_float32_stays_float32():
    X, y, _ = make_regression(300, 4, dtype=np.float32)
    model = GDRegressor(max_iter=200, tol=None).fit(X, y)
    assert model.coef_.dtype == np.float32
    assert model.predict(X).dtype == np.float32


def test_byte_swapped_input_fits_as_its_native_twin():
    # scikit-learn compares dtypes by value: '>f4' must not be promoted to float64.
    X, y, _ = make_regression(300, 4, dtype=np.float32)
    native = GDRegressor(max_iter=50, tol=None, random_state=0).fit(X, y)
    swapped_X, swapped_y = X.astype(">f4"), y.astype(">f4")
    swapped = GDRegressor(max_iter=50, tol=None, random_state=0).fit(swapped_X, swapped_y)
    assert swapped.coef_.dtype == np.float32
    np.testing.assert_array_equal(swapped.coef_, native.coef_)
    assert swapped.intercept_ == native.intercept_
    np.testing.assert_array_equal(swapped.predict(swapped_X), native.predict(X))
    partial = GDRegressor(random_state=0).partial_fit(swapped_X, swapped_y)
    np.testing.assert_array_equal(
        partial.coef_, GDRegressor(random_state=0).partial_fit(X, y).coef_
    )
    assert swapped_X.dtype == np.dtype(">f4")  # the caller's arrays are untouched


def test_pipeline_and_grid_search():
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, _ = make_regression(300, 4, intercept=3.0)
    X = X * [1.0, 10.0, 100.0, 0.1]  # badly scaled: the scaler's job
    pipe = make_pipeline(StandardScaler(), GDRegressor())
    grid = GridSearchCV(
        pipe,
        [
            {"gdregressor__optimizer": ["gd", "momentum"], "gdregressor__lr": ["auto"]},
            {"gdregressor__optimizer": ["adam"], "gdregressor__lr": [0.05, 0.1]},
        ],
        cv=3,
        error_score="raise",
    )
    grid.fit(X, y)
    assert grid.best_score_ > 0.99
    assert len(grid.cv_results_["params"]) == 4


def test_pickle_round_trip_predicts_the_same():
    X, y, _ = make_regression(200, 3)
    for model in (
        GDRegressor(),
        GDRegressor(optimizer=fastgd.Adam(lr=0.05), max_iter=100, tol=None),
    ):
        model.fit(X, y)
        clone = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(clone.predict(X), model.predict(X))


def test_partial_fit_calls_equal_one_fit_of_as_many_epochs():
    """partial_fit carries the coefficients and the optimizer's state (Adam's moments,
    its step count) from call to call: k calls on the same rows, unshuffled, are
    one fit of k epochs, bit for bit."""
    X, y, _ = make_regression(300, 4, intercept=1.0)
    kw = dict(optimizer="adam", lr=0.05, batch_size=16, shuffle=False)
    whole = GDRegressor(max_iter=7, tol=None, **kw).fit(X, y)
    stream = GDRegressor(**kw)
    for _ in range(7):
        stream.partial_fit(X, y)
    np.testing.assert_array_equal(stream.coef_, whole.coef_)
    assert stream.intercept_ == whole.intercept_
    assert stream.n_iter_ == 7
    np.testing.assert_allclose(stream.loss_curve_, whole.loss_curve_[1:])


def test_partial_fit_streams_batches_to_the_solution():
    X, y, _ = make_regression(6000, 5, intercept=2.0)
    model = GDRegressor(optimizer="sgd", batch_size=32, random_state=0)
    for _epoch in range(5):
        for start in range(0, 6000, 1000):
            model.partial_fit(X[start : start + 1000], y[start : start + 1000])
    coef, _intercept = fastgd.normal_equations(X, y, fit_intercept=True)
    # SGD at a constant step hovers around the solution.
    np.testing.assert_allclose(model.coef_, coef, atol=0.15)
    assert model.score(X, y) > 0.99 * GDRegressor().fit(X, y).score(X, y)
    assert model.lr_ > 0  # "auto", found on the first batch and kept
    with pytest.raises(ValueError, match="X has 3 features, but GDRegressor is expecting 5"):
        model.partial_fit(X[:10, :3], y[:10])


def test_warm_start_continues_from_the_last_fit():
    X, y, _ = make_regression(300, 3, intercept=1.0)
    cold = GDRegressor(optimizer="gd", lr=0.01, max_iter=5, tol=None).fit(X, y)
    warm = GDRegressor(optimizer="gd", lr=0.01, max_iter=5, tol=None, warm_start=True)
    warm.fit(X, y)
    first_end = warm.loss_curve_[-1]
    warm.fit(X, y)
    assert warm.loss_curve_[0] == pytest.approx(first_end)
    cold.fit(X, y)
    assert cold.loss_curve_[0] == pytest.approx(np.mean(y**2) / 2)  # J = mean r^2 / 2


def test_convergence_warning_when_max_iter_ends_the_fit():
    X, y, _ = make_regression(200, 3)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        GDRegressor(lr=0.001, max_iter=3).fit(X, y)


def test_early_stopping_holds_out_rows_and_stops():
    X, y, _ = make_regression(1000, 4, noise=1.0)
    model = GDRegressor(
        optimizer="sgd",
        lr=0.01,
        batch_size=8,
        max_iter=500,
        early_stopping=True,
        n_iter_no_change=3,
        tol=1e-4,
        random_state=0,
    ).fit(X, y)
    assert model.status_ == "stopped"
    assert model.n_iter_ < 500
    assert model.validation_scores_.shape == (model.n_iter_,)
    assert model.best_validation_score_ == model.validation_scores_.max()
    assert model.best_validation_score_ > 0.5
    with pytest.raises(ValueError, match="validation_fraction must be in"):
        GDRegressor(early_stopping=True, validation_fraction=1.5).fit(X, y)


def test_callback_stops_and_verbose_shows_progress(capsys, monkeypatch):
    from fastgd import _linear_estimator

    monkeypatch.setattr(_linear_estimator, "_progress", lambda total, name: None)  # no tqdm
    X, y, _ = make_regression(200, 3)
    seen = []
    model = GDRegressor(
        lr=0.001,
        max_iter=100,
        verbose=True,
        callback=lambda intermediate_result: (
            seen.append(intermediate_result.nit) or intermediate_result.nit == 10
        ),
    ).fit(X, y)
    assert model.status_ == "stopped"
    assert seen == list(range(1, 11))
    err = capsys.readouterr().err
    # Without tqdm: a line at the first epoch and every tenth of max_iter.
    assert "epoch 1/100" in err
    assert "epoch 10/100" in err


def test_arguments_are_checked_at_fit():
    X, y, _ = make_regression(50, 2)
    for kwargs, error, match in [
        (dict(optimizer="nope"), ValueError, "unknown optimizer 'nope'"),
        (dict(optimizer="adam", lr=0.1, optimizer_params={"betas": (0.9,)}), TypeError, "betas"),
        (dict(optimizer="adam", lr=0.1, optimizer_params={"nesterov": True}), TypeError, "'adam'"),
        (
            dict(optimizer="adam", lr=0.1, optimizer_params={"lr": 1.0}),
            ValueError,
            "may not set lr",
        ),
        (dict(optimizer="adam", lr=0.1, optimizer_params=[1]), TypeError, "optimizer_params"),
        (dict(max_iter=-1), ValueError, "max_iter"),
        (dict(callback=1), TypeError, "callback must be callable"),
    ]:
        with pytest.raises(error, match=match):
            GDRegressor(**kwargs).fit(X, y)
    with pytest.raises(NotFittedError):
        GDRegressor().predict(X)
    model = GDRegressor(optimizer="adam", lr=0.05, optimizer_params={"betas": (0.8, 0.99)})
    assert model.fit(X, y).score(X, y) > 0.9


def test_feature_names_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    X, y, _ = make_regression(100, 2)
    frame = pd.DataFrame(X, columns=["height", "weight"])
    model = GDRegressor().fit(frame, y)
    assert list(model.feature_names_in_) == ["height", "weight"]
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(X)


def test_works_without_scikit_learn():
    code = textwrap.dedent(
        """
        import sys, warnings
        sys.modules["sklearn"] = None  # import sklearn now fails
        import numpy as np
        import fastgd
        from fastgd import _sklearn_compat
        assert not _sklearn_compat.HAVE_SKLEARN
        rng = np.random.default_rng(0)
        X = rng.standard_normal((200, 3)); y = X @ [1.0, 2.0, 3.0] + 4.0
        m = fastgd.GDRegressor(max_iter=500)
        try:
            m.predict(X)
        except ValueError as exc:
            assert "not fitted" in str(exc)
        else:
            raise AssertionError("predict before fit")
        m.fit(X, y)
        assert m.score(X, y) > 0.999, m.score(X, y)
        assert m.get_params()["max_iter"] == 500
        m.set_params(lr=0.05)
        assert m.lr == 0.05 and "GDRegressor(" in repr(m)
        try:
            m.predict(X[:, :2])
        except ValueError as exc:
            assert "X has 2 features, but GDRegressor is expecting 3" in str(exc)
        m.partial_fit(X, y)
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_verbose_uses_tqdm_when_installed(capsys):
    pytest.importorskip("tqdm")  # in the test extra
    X, y, _ = make_regression(200, 3)
    GDRegressor(lr=0.01, max_iter=30, tol=None, verbose=True).fit(X, y)
    err = capsys.readouterr().err
    assert "GDRegressor" in err
    assert "30/30" in err
    assert "loss=" in err
