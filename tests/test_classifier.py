"""GDClassifier: labels, one-vs-rest and the multinomial, probabilities, class and
sample weights, partial_fit, and the errors a data scientist can make."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import fastgd
from fastgd import GDClassifier

sklearn = pytest.importorskip("sklearn")  # in the test extra
from sklearn.exceptions import NotFittedError


def blobs(n=300, d=2, K=2, seed=0, spread=1.0):
    """K Gaussian blobs in d dimensions, labelled 0..K-1, rows shuffled."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(K) / K + rng.uniform(0, 2 * np.pi)
    centres = np.zeros((K, d))
    centres[:, 0], centres[:, 1] = 4 * np.cos(angles), 4 * np.sin(angles)
    y = rng.integers(0, K, n)
    X = centres[y] + spread * rng.standard_normal((n, d))
    return X, y


def test_binary_labels_classes_and_shapes():
    X, y = blobs(spread=0.5)
    labels = np.array(["cat", "dog"])[y]
    model = GDClassifier().fit(X, labels)
    assert list(model.classes_) == ["cat", "dog"]
    assert model.coef_.shape == (1, 2)
    assert model.intercept_.shape == (1,)
    scores = model.decision_function(X)
    assert scores.shape == (300,)
    np.testing.assert_allclose(scores, X @ model.coef_[0] + model.intercept_[0])
    # The second class in sort order is the positive one.
    np.testing.assert_array_equal(model.predict(X), np.where(scores > 0, "dog", "cat"))
    assert model.score(X, labels) > 0.95


def test_binary_log_loss_matches_fit_linear():
    X, y = blobs(seed=1, spread=3.0)
    model = GDClassifier(penalty="l2", alpha=0.01, tol=None, max_iter=300).fit(X, y)
    fit = fastgd.fit_linear(X, y, loss="log_loss", penalty="l2", alpha=0.01, max_iter=300, tol=None)
    np.testing.assert_allclose(model.coef_[0], fit.coef, rtol=1e-12, atol=1e-14)
    assert model.intercept_[0] == pytest.approx(fit.intercept, rel=1e-12, abs=1e-14)


def test_predict_proba_log_loss_binary_is_the_sigmoid():
    X, y = blobs(seed=2, spread=3.0)
    model = GDClassifier(alpha=0.01).fit(X, y)
    proba = model.predict_proba(X)
    s = model.decision_function(X)
    np.testing.assert_allclose(proba[:, 1], 1.0 / (1.0 + np.exp(-s)), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba))


def test_predict_proba_modified_huber_and_its_absence_for_hinge():
    X, y = blobs(K=3, seed=3, spread=2.0)
    model = GDClassifier(loss="modified_huber").fit(X, y)
    p = model.predict_proba(X)
    assert p.shape == (300, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    raw = (np.clip(model.decision_function(X), -1, 1) + 1) / 2
    nz = raw.sum(axis=1) > 0
    np.testing.assert_allclose(p[nz], raw[nz] / raw[nz].sum(axis=1, keepdims=True))
    hinge = GDClassifier(loss="hinge").fit(X, y)
    assert not hasattr(hinge, "predict_proba")
    with pytest.raises(AttributeError, match="not available for loss='hinge'"):
        hinge.predict_proba(X)
    with pytest.raises(AttributeError, match="not available for loss='hinge'"):
        hinge.predict_log_proba(X)


def test_one_vs_rest_is_one_binary_fit_per_class():
    X, y = blobs(K=3, seed=4, spread=2.0)
    model = GDClassifier(loss="hinge", alpha=0.001, max_iter=200, tol=None).fit(X, y)
    assert model.coef_.shape == (3, 2)
    for k in range(3):
        one = GDClassifier(loss="hinge", alpha=0.001, max_iter=200, tol=None).fit(X, y == k)
        np.testing.assert_allclose(model.coef_[k], one.coef_[0], rtol=1e-12, atol=1e-14)
    assert isinstance(model.status_, list)
    assert len(model.status_) == 3
    np.testing.assert_array_equal(model.predict(X), np.argmax(model.decision_function(X), axis=1))


def test_multinomial_is_the_softmax_fit():
    X, y = blobs(K=4, seed=5, spread=2.0)
    model = GDClassifier(multi_class="multinomial", alpha=0.001, tol=None, max_iter=200).fit(X, y)
    fit = fastgd.fit_linear(
        X, y, loss="log_loss", penalty="l2", alpha=0.001, tol=None, max_iter=200
    )
    np.testing.assert_allclose(model.coef_, fit.coef.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.intercept_, fit.intercept, rtol=1e-12, atol=1e-14)
    p = model.predict_proba(X)
    z = model.decision_function(X)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(p, e / e.sum(axis=1, keepdims=True), rtol=1e-12)
    from sklearn.linear_model import LogisticRegression

    assert model.score(X, y) >= LogisticRegression().fit(X, y).score(X, y) - 0.02


def test_class_weight_balanced_and_dict_fold_into_the_row_weights():
    X, y = blobs(n=400, seed=6, spread=3.0)
    y = np.where(np.arange(400) < 340, y, 1)  # unbalanced
    counts = np.bincount(y)
    balanced = GDClassifier(class_weight="balanced", tol=None, max_iter=100).fit(X, y)
    weights = (400 / (2 * counts))[y]
    by_rows = GDClassifier(tol=None, max_iter=100).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(balanced.coef_, by_rows.coef_, rtol=1e-10)
    as_dict = GDClassifier(class_weight={0: 3.0}, tol=None, max_iter=100).fit(X, y)
    by_rows = GDClassifier(tol=None, max_iter=100).fit(
        X, y, sample_weight=np.where(y == 0, 3.0, 1.0)
    )
    np.testing.assert_allclose(as_dict.coef_, by_rows.coef_, rtol=1e-10)


def test_partial_fit_needs_classes_first_and_continues():
    X, y = blobs(n=600, K=3, seed=7, spread=2.0)
    model = GDClassifier(batch_size=16, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X[:100], y[:100])
    for start in range(0, 600, 100):
        model.partial_fit(X[start : start + 100], y[start : start + 100], classes=[0, 1, 2])
    assert model.n_iter_ == 6
    assert model.score(X, y) > 0.85
    with pytest.raises(ValueError, match="not in classes"):
        model.partial_fit(X[:5], np.array([0, 1, 2, 5, 1]))


def test_bad_inputs_are_clear_errors_and_change_nothing():
    X, y = blobs()
    X0, y0 = X.copy(), y.copy()
    with pytest.raises(ValueError, match="one class only"):
        GDClassifier().fit(X, np.zeros(300))
    with pytest.raises(ValueError, match="Unknown label type"):
        GDClassifier().fit(X, X[:, 0])
    with pytest.raises(ValueError, match="regression loss"):
        GDClassifier(loss="huber").fit(X, y)
    with pytest.raises(ValueError, match="multinomial"):
        GDClassifier(loss="hinge", multi_class="multinomial").fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        GDClassifier().fit(X, y, sample_weight=-np.ones(300))
    with pytest.raises(ValueError, match="sample_weight"):
        GDClassifier().fit(X, y, sample_weight=np.ones(7))
    with pytest.raises(ValueError, match="class_weight has class 7"):
        GDClassifier(class_weight={7: 1.0}).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate"):
        GDClassifier(learning_rate="fast").fit(X, y)
    with pytest.raises(ValueError, match="not both"):
        GDClassifier(lr=0.1, learning_rate="constant").fit(X, y)
    with pytest.raises(NotFittedError):
        GDClassifier().predict(X)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_learning_rate_names_set_the_step_size():
    X, y = blobs(seed=8, spread=3.0)
    constant = GDClassifier(learning_rate="constant", eta0=0.05, tol=None, max_iter=50).fit(X, y)
    by_lr = GDClassifier(lr=0.05, tol=None, max_iter=50).fit(X, y)
    np.testing.assert_array_equal(constant.coef_, by_lr.coef_)
    inv = GDClassifier(learning_rate="invscaling", eta0=0.5, power_t=0.5, tol=None, max_iter=50)
    sched = GDClassifier(lr=fastgd.schedules.inverse_scaling(0.5, power=0.5), tol=None, max_iter=50)
    np.testing.assert_array_equal(inv.fit(X, y).coef_, sched.fit(X, y).coef_)


def test_tol_is_the_loss_improvement_rule_by_default():
    X, y = blobs(seed=9, spread=3.0)
    model = GDClassifier(max_iter=10_000).fit(X, y)
    assert model.status_ in ("no_improvement", "converged")
    curve = model.loss_curve_[1:]  # the rule reads the epochs' losses (not the initial one)
    if model.status_ == "no_improvement":
        # Each of the last n_iter_no_change epochs fell short of the best before it by tol.
        for j in range(len(curve) - model.n_iter_no_change, len(curve)):
            assert curve[j] > curve[:j].min() - model.tol
        assert len(curve) == model.n_iter_


def test_pickle_and_sparse_input():
    sp = pytest.importorskip("scipy.sparse")
    X, y = blobs(n=200, d=5, seed=10, spread=2.0)
    dense = GDClassifier(tol=None, max_iter=50).fit(X, y)
    sparse = GDClassifier(tol=None, max_iter=50).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        sparse.decision_function(sp.csr_matrix(X)),
        dense.decision_function(X),
        rtol=1e-10,
        atol=1e-12,
    )
    clone = pickle.loads(pickle.dumps(dense))
    np.testing.assert_array_equal(clone.predict(X), dense.predict(X))


def test_dask_arrays_fit_as_in_memory():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    X, y = blobs(n=400, d=3, K=3, seed=11)
    yr = X @ [1.0, 2.0, 3.0] + 0.1
    with dask.config.set(scheduler="synchronous"):
        dX = da.from_array(X, chunks=100)
        for make, target in (
            (lambda: GDClassifier(tol=1e-4), y),
            (lambda: GDClassifier(loss="hinge", multi_class="ovr", tol=1e-4), y),
            (lambda: fastgd.GDRegressor(loss="huber"), yr),
        ):
            memory = make().fit(X, target)
            chunked = make().fit(dX, da.from_array(target, chunks=100))
            assert chunked.n_iter_ == memory.n_iter_
            np.testing.assert_allclose(chunked.coef_, memory.coef_, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(
                np.asarray(chunked.predict(dX)), memory.predict(X), rtol=1e-10, atol=1e-12
            )


@pytest.mark.parametrize(
    "labels",
    [np.array([3, 7]), np.array([False, True]), np.array([-2.0, 5.0]), np.array(["a", "b"])],
)
def test_two_classes_are_encoded_as_any_labels_and_strangers_refused(labels):
    """Two numeric classes take the comparison route, others searchsorted: the same fit."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    pick = (X[:, 0] > 0).astype(int)
    est = GDClassifier(random_state=0, max_iter=20, tol=None).fit(X, labels[pick])
    ref = GDClassifier(random_state=0, max_iter=20, tol=None).fit(X, np.array([-1.0, 1.0])[pick])
    np.testing.assert_array_equal(est.classes_, labels)
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    np.testing.assert_array_equal(est.predict(X), labels[(ref.predict(X) > 0).astype(int)])
    stranger = labels[pick].copy()
    if labels.dtype.kind != "b":
        stranger[4] = labels[0] if labels.dtype.kind == "U" else labels[1] + 1
        if labels.dtype.kind == "U":
            stranger = stranger.astype("<U2")
            stranger[4] = "zz"
        with pytest.raises(ValueError, match="not in classes"):
            est.partial_fit(X, stranger)
