"""fastgd.fit_linear (issue 14): every SGD loss by gradient descent, l1 and elastic
net by proximal steps. Oracles: scikit-learn's Lasso, ElasticNet and
LogisticRegression (tight tolerances), scipy.optimize on the NumPy reference loss
(fastgd.reference.loss_grad), and repeated rows for sample weights."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from scipy.optimize import minimize

import fastgd
from fastgd import reference
from fastgd._warnings import DivergenceWarning, StalledWarning
from fastgd.fit_plan import DEFAULT_GTOL

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression
from sklearn.preprocessing import StandardScaler


def _standard(X: np.ndarray) -> np.ndarray:
    return StandardScaler().fit_transform(X)


@pytest.fixture(scope="module")
def diabetes() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_diabetes(return_X_y=True)
    return _standard(X), y


@pytest.fixture(scope="module")
def diabetes_scaled(diabetes: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    X, y = diabetes
    return X, (y - y.mean()) / y.std()


@pytest.fixture(scope="module")
def cancer() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_breast_cancer(return_X_y=True)
    return _standard(X), y


def _tight(**kw: Any) -> dict[str, Any]:
    return dict(max_iter=100_000, tol=1e-12, **kw)


# --- l1 and elastic net: the exact solution by proximal gradient ---------------------


@pytest.mark.parametrize("alpha", [0.1, 1.0, 5.0])
@pytest.mark.parametrize("accelerate", [None, False])  # FISTA with restart, ISTA
def test_lasso_equals_sklearn(diabetes: Any, alpha: float, accelerate: bool | None) -> None:
    # sklearn's Lasso: (1/(2n))||y - Xw - b||^2 + alpha ||w||_1 = mean of r^2/2 + alpha ||w||_1.
    X, y = diabetes
    ref = Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000).fit(X, y)
    fit = fastgd.fit_linear(X, y, penalty="l1", alpha=alpha, accelerate=accelerate, **_tight())
    assert fit.status == "converged"
    assert np.abs(fit.coef - ref.coef_).max() < 1e-6
    assert abs(fit.intercept - ref.intercept_) < 1e-6
    # exact zeros where the lasso has them (the soft-threshold, not a small number)
    assert np.array_equal(fit.coef == 0, ref.coef_ == 0)


@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.5, 0.3), (0.1, 0.9), (2.0, 0.15)])
def test_elastic_net_equals_sklearn(diabetes: Any, alpha: float, l1_ratio: float) -> None:
    X, y = diabetes
    ref = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=1_000_000).fit(X, y)
    fit = fastgd.fit_linear(X, y, penalty="elasticnet", alpha=alpha, l1_ratio=l1_ratio, **_tight())
    assert fit.status == "converged"
    assert np.abs(fit.coef - ref.coef_).max() < 1e-6
    assert abs(fit.intercept - ref.intercept_) < 1e-6


def test_lasso_without_intercept(diabetes: Any) -> None:
    X, y = diabetes
    ref = Lasso(alpha=0.3, fit_intercept=False, tol=1e-14, max_iter=1_000_000).fit(X, y)
    fit = fastgd.fit_linear(X, y, penalty="l1", alpha=0.3, fit_intercept=False, **_tight())
    assert fit.status == "converged"
    assert fit.intercept == 0.0
    assert np.abs(fit.coef - ref.coef_).max() < 1e-6


def test_lasso_mini_batch_soft_threshold(diabetes_scaled: Any) -> None:
    # SGD with a soft-threshold after each step: near the lasso (a constant lr only
    # reaches a neighbourhood), with an objective close to the optimum.
    X, y = diabetes_scaled
    ref = Lasso(alpha=0.1, tol=1e-14, max_iter=1_000_000).fit(X, y)
    opt = reference.loss_grad(X, y, ref.coef_, "squared_error", ref.intercept_, 0.1, 1.0)[0]
    fit = fastgd.fit_linear(
        X, y, penalty="l1", alpha=0.1, batch_size=32, lr=0.05, max_iter=200, random_state=0
    )
    assert np.abs(fit.coef - ref.coef_).max() < 0.05
    value = reference.loss_grad(X, y, fit.coef, "squared_error", fit.intercept, 0.1, 1.0)[0]
    assert opt <= value < opt * 1.02
    assert (fit.coef == 0).any()  # exact zeros from the threshold
    again = fastgd.fit_linear(
        X, y, penalty="l1", alpha=0.1, batch_size=32, lr=0.05, max_iter=200, random_state=0
    )
    assert np.array_equal(fit.coef, again.coef)


def test_recorded_loss_is_the_objective(diabetes_scaled: Any) -> None:
    X, y = diabetes_scaled
    fit = fastgd.fit_linear(
        X, y, loss="huber", penalty="elasticnet", alpha=0.05, l1_ratio=0.5, max_iter=30, tol=None
    )
    assert fit.status == "max_iter"
    assert fit.losses.shape == (31,)
    assert fit.path.shape == (31, X.shape[1] + 1)
    for loss, theta in zip(fit.losses, fit.path, strict=True):
        ref = reference.loss_grad(X, y, theta[:-1], "huber", theta[-1], 0.05, 0.5)[0]
        assert loss == pytest.approx(ref, rel=1e-12)


# --- every loss: against scipy on the reference objective ---------------------------


def _scipy_minimum(X: np.ndarray, y: np.ndarray, loss: str, alpha: float) -> np.ndarray:
    d = X.shape[1]

    def f(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, gw, gb = reference.loss_grad(X, y, theta[:d], loss, theta[d], alpha, 0.0)
        return value, np.append(gw, gb)

    res = minimize(
        f,
        np.zeros(d + 1),
        jac=True,
        method="L-BFGS-B",
        options=dict(gtol=1e-12, ftol=1e-15, maxiter=50_000),
    )
    return res.x


@pytest.mark.parametrize("loss", ["squared_error", "huber", "squared_epsilon_insensitive"])
def test_regression_losses_reach_the_minimum(diabetes_scaled: Any, loss: str) -> None:
    X, y = diabetes_scaled
    theta = _scipy_minimum(X, y, loss, 0.01)
    fit = fastgd.fit_linear(X, y, loss=loss, penalty="l2", alpha=0.01, epsilon=0.1, **_tight())
    assert fit.status == "converged"
    assert np.abs(fit.coef - theta[:-1]).max() < 1e-5
    assert abs(fit.intercept - theta[-1]) < 1e-5


@pytest.mark.parametrize("loss", ["squared_hinge", "modified_huber"])
def test_smooth_classification_losses_reach_the_minimum(cancer: Any, loss: str) -> None:
    X, y = cancer
    theta = _scipy_minimum(X, np.where(y == 1, 1.0, -1.0), loss, 0.01)
    fit = fastgd.fit_linear(X, y, loss=loss, penalty="l2", alpha=0.01, accelerate=True, **_tight())
    assert fit.status == "converged"
    assert np.abs(fit.coef - theta[:-1]).max() < 1e-4


@pytest.mark.parametrize("loss", ["hinge", "perceptron", "epsilon_insensitive"])
def test_non_smooth_losses_decrease_the_objective(
    cancer: Any, diabetes_scaled: Any, loss: str
) -> None:
    X, y = diabetes_scaled if loss == "epsilon_insensitive" else cancer
    ys = y if loss == "epsilon_insensitive" else np.where(y == 1, 1.0, -1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StalledWarning)  # a kink rarely passes the test
        fit = fastgd.fit_linear(X, y, loss=loss, penalty="l2", alpha=0.01, max_iter=500)
    start = reference.loss_grad(X, ys, np.full(X.shape[1], 0.01), loss, 0.0, 0.01, 0.0)[0]
    end = reference.loss_grad(X, ys, fit.coef, loss, fit.intercept, 0.01, 0.0)[0]
    assert end == pytest.approx(fit.losses[-1], rel=1e-12)
    assert end < start
    if loss == "hinge":  # a separating-ish margin: training accuracy as an SVM's
        assert np.mean((X @ fit.coef + fit.intercept > 0) == (y == 1)) > 0.97


def test_logistic_equals_sklearn(cancer: Any) -> None:
    X, y = cancer
    n, alpha = X.shape[0], 0.01
    ref = LogisticRegression(C=1.0 / (n * alpha), tol=1e-12, max_iter=100_000).fit(X, y)
    fit = fastgd.fit_linear(X, y, loss="log_loss", penalty="l2", alpha=alpha, **_tight())
    assert fit.status == "converged"
    assert np.abs(fit.coef - ref.coef_[0]).max() < 1e-4
    assert abs(fit.intercept - ref.intercept_[0]) < 1e-4


def test_binary_labels_any_two_classes(cancer: Any) -> None:
    X, y = cancer
    base = fastgd.fit_linear(X, y, loss="log_loss", penalty="l2", alpha=0.01, max_iter=50, tol=None)
    named = fastgd.fit_linear(
        X,
        np.where(y == 1, "yes", "no"),
        loss="log_loss",
        penalty="l2",
        alpha=0.01,
        max_iter=50,
        tol=None,
    )
    signed = fastgd.fit_linear(
        X, 2 * y - 1, loss="log_loss", penalty="l2", alpha=0.01, max_iter=50, tol=None
    )
    assert np.array_equal(base.coef, named.coef)
    assert np.array_equal(base.coef, signed.coef)


def test_multinomial_equals_sklearn() -> None:
    X, y = load_iris(return_X_y=True)
    X = _standard(X)
    n, alpha = X.shape[0], 0.01
    ref = LogisticRegression(C=1.0 / (n * alpha), tol=1e-12, max_iter=100_000).fit(X, y)
    fit = fastgd.fit_linear(
        X, y, loss="log_loss", penalty="l2", alpha=alpha, accelerate=True, **_tight()
    )
    assert fit.status == "converged"
    assert fit.coef.shape == (4, 3)
    assert fit.intercept.shape == (3,)
    assert np.abs(fit.coef - ref.coef_.T).max() < 1e-4
    assert np.abs(fit.intercept - ref.intercept_).max() < 1e-4  # both sum to 0


def test_sample_weight_equals_repeated_rows(cancer: Any) -> None:
    # (1/n) sum s_i L_i + alpha R equals (N/n) [(1/N) sum over repeated rows + (n/N) alpha R].
    X, y = cancer
    n = X.shape[0]
    s = np.random.default_rng(0).integers(1, 4, n)
    N = int(s.sum())
    rep = np.repeat(np.arange(n), s)
    weighted = fastgd.fit_linear(
        X, y, loss="log_loss", penalty="l2", alpha=0.01, sample_weight=s, **_tight()
    )
    repeated = fastgd.fit_linear(
        X[rep], y[rep], loss="log_loss", penalty="l2", alpha=0.01 * n / N, **_tight()
    )
    assert weighted.status == repeated.status == "converged"
    assert np.abs(weighted.coef - repeated.coef).max() < 1e-6
    zero = fastgd.fit_linear(
        X,
        y,
        loss="log_loss",
        penalty="l2",
        alpha=0.01,
        sample_weight=np.where(np.arange(n) < 300, 1.0, 0.0),
        **_tight(),
    )
    first = fastgd.fit_linear(
        X[:300], y[:300], loss="log_loss", penalty="l2", alpha=0.01 * n / 300, **_tight()
    )
    assert np.abs(zero.coef - first.coef).max() < 1e-6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes(cancer: Any, dtype: Any) -> None:
    X, y = cancer
    fit = fastgd.fit_linear(
        X.astype(dtype), y, loss="log_loss", penalty="l2", alpha=0.01, max_iter=20_000
    )
    assert fit.coef.dtype == dtype
    assert fit.status == "converged"
    ref = fastgd.fit_linear(X, y, loss="log_loss", penalty="l2", alpha=0.01, **_tight())
    # the default gtol (1e-4 float64, 1e-3 float32) bounds the distance to the optimum
    assert np.abs(fit.coef - ref.coef).max() < (1e-2 if dtype == np.float32 else 1e-3)


def test_mini_batch_logistic_and_callback(cancer: Any) -> None:
    X, y = cancer
    seen: list[Any] = []

    def cb(intermediate_result: Any) -> bool:
        seen.append(intermediate_result)
        return bool(intermediate_result.nit == 5)

    fit = fastgd.fit_linear(
        X, y, loss="log_loss", optimizer="adam", lr=0.01, batch_size=16, random_state=1, callback=cb
    )
    assert fit.status == "stopped"
    assert fit.n_iter == 5
    assert len(seen) == 5
    assert np.array_equal(seen[-1].coef, fit.coef)
    assert np.mean((X @ fit.coef + fit.intercept > 0) == (y == 1)) > 0.95


def test_diverged(cancer: Any) -> None:
    X, y = cancer
    with pytest.warns(DivergenceWarning):
        fit = fastgd.fit_linear(X, y * 1e150, lr=1e3, max_iter=50)
    assert fit.status == "diverged"


def test_fit_least_squares_unchanged(diabetes_scaled: Any) -> None:
    # squared_error (r^2/2) is half of fit_least_squares' r^2: the same minimiser.
    X, y = diabetes_scaled
    a = fastgd.fit_least_squares(X, y, lr="auto", max_iter=100_000, tol=1e-12)
    b = fastgd.fit_linear(X, y, **_tight())
    assert np.abs(a.coef - b.coef).max() < 1e-6


# --- bad inputs: errors naming the argument, inputs unchanged ------------------------


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (dict(loss="hinge", y="continuous"), r"y has \d+ classes .* loss='hinge' is binary"),
        (dict(loss="log_loss", y="one"), "y has one class only"),
        (dict(loss="hinge", y="nan"), "y must hold class labels"),
        (dict(sample_weight="negative"), "sample_weight must be finite and >= 0"),
        (dict(sample_weight="short"), "sample_weight must be a 1-D array of 60 weights"),
        (dict(loss="logistic"), "loss must be one of"),
        (dict(penalty="l3"), "penalty must be None"),
        (dict(l1_ratio=2.0), r"l1_ratio must be in \[0, 1\]"),
        (dict(alpha=-1.0), "alpha"),
        (dict(epsilon=-1.0), "epsilon"),
        (dict(optimizer="adam", accelerate=True), "accelerate=True"),
        (dict(coef_init="wrong"), r"coef_init must have shape \(3,\)"),
    ],
)
def test_bad_inputs(kw: dict[str, Any], match: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = (X[:, 0] > 0).astype(float)
    sw = np.ones(60)
    kw = dict(kw)
    if kw.get("y") == "continuous":
        kw["y"] = X[:, 1].copy()
    elif kw.get("y") == "one":
        kw["y"] = np.ones(60)
    elif kw.get("y") == "nan":
        kw["y"] = np.r_[np.nan, y[1:]]
    if kw.get("sample_weight") == "negative":
        sw[3] = -1.0
        kw["sample_weight"] = sw
    elif kw.get("sample_weight") == "short":
        kw["sample_weight"] = np.ones(59)
    if kw.get("coef_init") == "wrong":
        kw["coef_init"] = np.zeros(4)
    args: dict[str, Any] = dict(y=y)
    args.update(kw)
    copies = [(a, a.copy()) for a in [X, *args.values()] if isinstance(a, np.ndarray)]
    with pytest.raises(ValueError, match=match):
        fastgd.fit_linear(X, **args)
    for a, before in copies:
        assert np.array_equal(a, before, equal_nan=True)


def test_readme_example() -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).parent.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    found = [b for b in blocks if "fastgd.fit_linear(" in b]
    assert len(found) == 1, "the README has one fit_linear example"
    space: dict[str, Any] = {}
    exec(found[0].replace("print(", "(lambda *a: None)("), space)  # noqa: S102
    lasso = space["lasso"]
    X, y = load_diabetes(return_X_y=True)
    ref = Lasso(alpha=1.0, tol=1e-14, max_iter=1_000_000).fit(_standard(X), y)
    assert lasso.status == "converged"
    assert np.array_equal(lasso.coef == 0, ref.coef_ == 0)
    assert np.abs(lasso.coef - ref.coef_).max() < 1e-6


def test_stalled_without_optimality(cancer: Any) -> None:
    # the hinge's kinks: a short step by tol without a passing test is "stalled"
    X, y = cancer
    with pytest.warns(StalledWarning):
        fit = fastgd.fit_linear(X, y, loss="hinge", penalty="l2", alpha=0.01, tol=1e-2)
    assert fit.status == "stalled"
    assert fit.optimality > DEFAULT_GTOL["float64"]


def test_multinomial_mini_batch_without_intercept() -> None:
    X, y = load_iris(return_X_y=True)
    X = _standard(X)
    kw: dict[str, Any] = dict(
        loss="log_loss", batch_size=8, lr=0.05, max_iter=30, random_state=0, fit_intercept=False
    )
    fit = fastgd.fit_linear(X, y, **kw)
    again = fastgd.fit_linear(X, y, **kw)
    assert np.array_equal(fit.coef, again.coef)
    assert np.array_equal(fit.intercept, np.zeros(3))
    assert np.mean((X @ fit.coef).argmax(axis=1) == y) > 0.8
    # the recorded loss is the multinomial objective at the recorded W
    W = fit.path[-1][:12].reshape(4, 3)
    ref = reference.multinomial_loss_grad(X, y, W, np.zeros(3))[0]
    assert fit.losses[-1] == pytest.approx(ref, rel=1e-10)
