"""fit_linear over row chunks (fastgd.chunked_linear): Dask arrays on a LocalCluster
and memmaps in row blocks give the in-memory fit's answers, for every loss.

What is compared:
- full batch: the same steps as in memory, the sums added in another order: coef,
  intercept, losses to ~1e-10, the same lr, status and epochs;
- mini-batches on a memmap, unshuffled, blocks a multiple of batch_size: the very
  batches of the in-memory fit, the optimizer state carried: equal to ~1e-12;
- mini-batches on Dask: local SGD with averaging, against an oracle that runs the
  in-memory fit_linear for one epoch on each chunk (the same seed per chunk and
  epoch) and averages by chunk size.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastgd
from fastgd import chunked_linear
from fastgd.chunked import MemmapChunks, _seed
from fastgd.losses import LOSSES, REGRESSION_LOSSES

from .conftest import dask_client

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with dask_client(threads_per_worker=1, processes=True, host="127.0.0.1") as c:
        yield c


def _data(loss, n=600, d=4, seed=0, dtype=np.float64, classes=2):
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, d)).astype(dtype)
    z = X @ rng.standard_normal(d) + 0.3
    if loss in REGRESSION_LOSSES:
        y = (z + 0.5 * rng.standard_normal(n)).astype(dtype)
    elif classes == 2:
        y = np.where(z + 0.8 * rng.standard_normal(n) > 0, 5, 2)  # any two labels
    else:
        y = np.digitize(z + 0.8 * rng.standard_normal(n), [-1.0, 1.0]) * 10 + 1
    return X, y


def _dask(X, y, chunks=5, sw=None):
    rows = -(-X.shape[0] // chunks)
    out = [da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows)]
    if sw is not None:
        out.append(da.from_array(sw, chunks=rows))
    return out


@pytest.fixture
def memmap_of(tmp_path, monkeypatch):
    # Blocks of 96 rows of 4 float64 features: 600 rows take 7.
    monkeypatch.setattr(MemmapChunks.__init__, "__defaults__", (96 * 4 * 8,))

    def make(X):
        path = tmp_path / f"X{X.shape}{X.dtype}.bin"
        stored = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
        stored[:] = X
        stored.flush()
        del stored
        return np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape)

    return make


def _same(there, here, rtol=1e-10):
    assert there.lr == pytest.approx(here.lr, rel=1e-12)
    np.testing.assert_allclose(there.coef, here.coef, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(there.intercept, here.intercept, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(there.losses, here.losses, rtol=rtol)
    np.testing.assert_allclose(there.path, here.path, rtol=rtol, atol=1e-12)
    assert (there.status, there.n_iter, there.gradient) == (here.status, here.n_iter, here.gradient)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_full_batch_on_dask_equals_in_memory_for_every_loss(client, loss):
    X, y = _data(loss)
    kw = dict(loss=loss, optimizer="gd", lr="auto", max_iter=25, tol=None)
    here = fastgd.fit_linear(X, y, **kw)
    there = fastgd.fit_linear(*_dask(X, y), **kw)
    _same(there, here)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_full_batch_on_a_memmap_equals_in_memory_for_every_loss(memmap_of, loss):
    X, y = _data(loss)
    X_map = memmap_of(X)
    assert len(MemmapChunks(X_map, np.zeros(len(X))).chunk_sizes) == 7
    kw = dict(loss=loss, optimizer="gd", lr="auto", max_iter=25, tol=None)
    _same(fastgd.fit_linear(X_map, y, **kw), fastgd.fit_linear(X, y, **kw))


SETTINGS = [
    pytest.param(dict(loss="log_loss", penalty="elasticnet", alpha=0.05, l1_ratio=0.5), id="fista"),
    pytest.param(dict(loss="hinge", penalty="l1", alpha=0.02, accelerate=False), id="ista-hinge"),
    pytest.param(
        dict(loss="huber", optimizer="momentum", lr=0.05, penalty="l2", alpha=0.1), id="mom"
    ),
    pytest.param(dict(loss="modified_huber", optimizer="adam", lr=0.05), id="adam"),
    pytest.param(dict(loss="squared_hinge", fit_intercept=False), id="no-intercept"),
    pytest.param(dict(loss="log_loss", classes=3), id="multinomial"),
    pytest.param(
        dict(loss="log_loss", classes=3, penalty="l1", alpha=0.01), id="multinomial-fista"
    ),
    pytest.param(
        dict(loss="log_loss", optimizer="gd", lr=fastgd.schedules.inverse_time(1.0, 0.1)),
        id="schedule",
    ),
]


def _split(kwargs):
    kw = dict(optimizer="gd", lr="auto", max_iter=30, tol=None)
    kw.update(kwargs)
    classes = kw.pop("classes", 2)
    return kw, _data(kw["loss"], classes=classes)


@pytest.mark.parametrize("kwargs", SETTINGS)
def test_full_batch_settings_on_dask_and_memmap_equal_in_memory(client, memmap_of, kwargs):
    kw, (X, y) = _split(kwargs)
    here = fastgd.fit_linear(X, y, **kw)
    _same(fastgd.fit_linear(*_dask(X, y), **kw), here)
    _same(fastgd.fit_linear(memmap_of(X), y, **kw), here)
    if "classes" in kwargs:
        assert here.coef.shape == (4, 3)
        assert here.intercept.shape == (3,)


def test_sample_weight_numpy_and_dask(client, memmap_of):
    X, y = _data("log_loss")
    sw = np.random.default_rng(3).uniform(0.0, 3.0, len(y))
    kw = dict(loss="log_loss", optimizer="gd", lr="auto", max_iter=25, tol=None)
    here = fastgd.fit_linear(X, y, sample_weight=sw, **kw)
    assert not np.allclose(here.coef, fastgd.fit_linear(X, y, **kw).coef)  # the weights count
    dX, dy, dsw = _dask(X, y, sw=sw)
    _same(fastgd.fit_linear(dX, dy, sample_weight=dsw, **kw), here)
    _same(fastgd.fit_linear(dX, dy, sample_weight=sw, **kw), here)
    _same(fastgd.fit_linear(memmap_of(X), y, sample_weight=sw, **kw), here)


def test_dask_y_on_the_cluster_with_the_in_memory_classes(client):
    X, y = _data("log_loss", classes=3)
    kw = dict(loss="log_loss", optimizer="gd", lr="auto", max_iter=10, tol=None)
    here = fastgd.fit_linear(X, y, **kw)
    # y as NumPy beside a Dask X, and string labels (sorted as in memory).
    dX, _ = _dask(X, y)
    _same(fastgd.fit_linear(dX, y, **kw), here)
    names = np.array(["ant", "bee", "cat"])[np.searchsorted([1, 11, 21], y)]
    _same(fastgd.fit_linear(dX, da.from_array(names, chunks=100), **kw), here)


def test_converges_on_dask_to_the_in_memory_optimum(client):
    X, y = _data("log_loss")
    kw = dict(loss="log_loss", penalty="l2", alpha=0.01, optimizer="gd", tol=1e-10, max_iter=5000)
    here = fastgd.fit_linear(X, y, **kw)
    there = fastgd.fit_linear(*_dask(X, y), **kw)
    assert there.status == here.status == "converged"
    assert there.n_iter == here.n_iter
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-8)
    # The optimum: scikit-learn's objective with l2 (alpha/2 ||w||^2 = 1/(2 C n)).
    from scipy.optimize import minimize

    s = np.where(y == 5, 1.0, -1.0)

    def J(t):
        m = s * (X @ t[:-1] + t[-1])
        return np.mean(np.logaddexp(0.0, -m)) + 0.005 * t[:-1] @ t[:-1]

    best = minimize(J, np.zeros(5), method="BFGS", options=dict(gtol=1e-12)).x
    np.testing.assert_allclose(there.coef, best[:-1], atol=1e-5)


# --- mini-batches ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(loss="log_loss", optimizer="sgd", lr=0.05),
        dict(loss="huber", optimizer="momentum", lr=0.01, penalty="l1", alpha=0.01),
        dict(loss="hinge", optimizer="adam", lr=0.01),
        dict(
            loss="log_loss", classes=3, optimizer="sgd", lr=fastgd.schedules.inverse_time(0.1, 0.01)
        ),
        dict(loss="squared_error", optimizer="sgd", lr="auto"),
    ],
    ids=["sgd", "momentum-l1", "adam", "multinomial-schedule", "auto"],
)
def test_minibatches_on_a_memmap_unshuffled_are_the_in_memory_batches(memmap_of, kwargs):
    kw = dict(batch_size=16, max_iter=3, tol=None, shuffle=False)
    kw.update(kwargs)
    classes = kw.pop("classes", 2)
    X, y = _data(kw["loss"], classes=classes)
    here = fastgd.fit_linear(X, y, **kw)
    there = fastgd.fit_linear(memmap_of(X), y, **kw)  # blocks of 96 rows: 6 batches each
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(there.intercept, here.intercept, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(there.losses, here.losses, rtol=1e-12)
    assert there.lr == pytest.approx(here.lr, rel=1e-12)
    assert there.gradient == here.gradient == "batch"


def test_minibatches_on_dask_are_local_sgd_averaged(client):
    X, y = _data("log_loss")
    y = np.where(y == 5, 1, -1)
    kw = dict(loss="log_loss", optimizer="sgd", lr=0.05, batch_size=8, tol=None)
    there = fastgd.fit_linear(*_dask(X, y, chunks=4), max_iter=3, random_state=7, **kw)
    # The oracle: every chunk one in-memory epoch from the current parameters, with
    # its (epoch, chunk) seed, averaged by rows.
    bounds = [(0, 150), (150, 300), (300, 450), (450, 600)]
    coef, b = np.zeros(4), 0.0
    for epoch in range(1, 4):
        fits = [
            fastgd.fit_linear(
                X[s:e],
                y[s:e],
                max_iter=1,
                coef_init=coef,
                intercept_init=b,
                random_state=_seed(7, epoch, k),
                record=False,
                **kw,
            )
            for k, (s, e) in enumerate(bounds)
        ]
        coef = np.mean([f.coef for f in fits], axis=0)
        b = float(np.mean([f.intercept for f in fits]))
    np.testing.assert_allclose(there.coef, coef, rtol=1e-12)
    assert there.intercept == pytest.approx(b, rel=1e-12)
    # And it learns: close to the full-batch optimum's accuracy.
    acc = np.mean(np.sign(X @ there.coef + there.intercept) == y)
    assert acc > 0.85


def test_lr_auto_without_the_gram_sum_is_the_trace_bound(memmap_of, monkeypatch):
    X, y = _data("log_loss")
    kw = dict(loss="log_loss", optimizer="gd", lr="auto", max_iter=2, tol=None)
    here = fastgd.fit_linear(X, y, **kw)
    monkeypatch.setattr(chunked_linear, "GRAM_FEATURES", 0)
    there = fastgd.fit_linear(memmap_of(X), y, **kw)
    trace = (np.sum(X * X) / len(X)) + 1.0
    assert there.lr == pytest.approx(1.0 / (0.25 * trace), rel=1e-12)
    assert there.lr < here.lr  # a larger bound of L: a smaller, still safe, step


# --- errors --------------------------------------------------------------------------------


def test_clear_errors_for_dask_labels(client):
    X, y = _data("log_loss")
    dX, _ = _dask(X, y)
    one = da.from_array(np.full(len(y), 4), chunks=100)
    with pytest.raises(ValueError, match=r"y has one class only \(4 for every row\)"):
        fastgd.fit_linear(dX, one, loss="log_loss")
    three = da.from_array(np.arange(len(y)) % 3, chunks=100)
    with pytest.raises(ValueError, match=r"y has 3 classes .* loss='hinge' is binary"):
        fastgd.fit_linear(dX, three, loss="hinge")
    nan = da.from_array(np.r_[np.nan, np.ones(len(y) - 1)], chunks=100)
    with pytest.raises(ValueError, match="NaN or inf"):
        fastgd.fit_linear(dX, nan, loss="log_loss")
    with pytest.raises(ValueError, match="y must be a 1-D array of 600 labels"):
        fastgd.fit_linear(dX, da.from_array(np.r_[y, y]), loss="log_loss")
    sw = da.from_array(np.r_[-1.0, np.ones(len(y) - 1)], chunks=100)
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0; 1 are not"):
        fastgd.fit_linear(dX, y, loss="log_loss", sample_weight=sw)
    with pytest.raises(ValueError, match="sample_weight must be a 1-D array of 600 weights"):
        fastgd.fit_linear(dX, y, loss="log_loss", sample_weight=da.ones(5))
    with pytest.raises(TypeError, match="X must be a 2-D Dask array too"):
        fastgd.fit_linear(X, da.from_array(y), loss="log_loss")


def test_float32_stays_float32_and_agrees(client, memmap_of):
    X, y = _data("modified_huber", dtype=np.float32)
    kw = dict(loss="modified_huber", optimizer="gd", lr="auto", max_iter=20, tol=None)
    here = fastgd.fit_linear(X, y, **kw)
    for there in (fastgd.fit_linear(*_dask(X, y), **kw), fastgd.fit_linear(memmap_of(X), y, **kw)):
        assert there.coef.dtype == np.float32
        # float32 sums per chunk, float64 across them: float32 rounding apart.
        np.testing.assert_allclose(there.coef, here.coef, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(there.losses, here.losses, rtol=1e-5)


def test_callback_stops_and_statuses_warn_as_in_memory(client, memmap_of):
    X, y = _data("hinge")
    seen = []

    def stop_at_3(intermediate_result):
        result = intermediate_result
        seen.append((result.nit, result.fun, result.coef.copy(), result.intercept))
        return result.nit == 3

    fit = fastgd.fit_linear(*_dask(X, y), loss="hinge", optimizer="gd", callback=stop_at_3)
    assert (fit.status, fit.n_iter) == ("stopped", 3)
    assert [s[0] for s in seen] == [1, 2, 3]
    np.testing.assert_array_equal(seen[-1][2], fit.coef)
    assert seen[-1][1] == fit.losses[-1]
    # A short step without a passing optimality test: "stalled" and its warning, as
    # in memory (hinge at a kink), pointing at the caller.
    kw = dict(loss="hinge", optimizer="gd", lr=0.1, tol=1e-3, max_iter=2000)
    with pytest.warns(fastgd.StalledWarning) as here_w:
        here = fastgd.fit_linear(X, y, **kw)
    with pytest.warns(fastgd.StalledWarning) as there_w:
        there = fastgd.fit_linear(memmap_of(X), y, **kw)
    assert (there.status, there.n_iter) == (here.status, here.n_iter) == ("stalled", here.n_iter)
    assert there_w[0].filename == here_w[0].filename == __file__
    # A step far too large: "diverged" with its warning, at the in-memory epoch.
    Xr, yr = _data("huber")
    kw = dict(loss="squared_error", optimizer="gd", lr=10.0, max_iter=500)
    with pytest.warns(fastgd.DivergenceWarning):
        here = fastgd.fit_linear(Xr, yr, **kw)
    with pytest.warns(fastgd.DivergenceWarning):
        there = fastgd.fit_linear(*_dask(Xr, yr), **kw)
    assert (there.status, there.n_iter) == (here.status, here.n_iter) == ("diverged", 5)


def test_an_option_the_chunked_fit_does_not_know_is_refused_unless_default(monkeypatch):
    import inspect

    X, y = _data("hinge", n=40)
    sig = inspect.signature(fastgd.fit_linear)
    new = inspect.Parameter("future_option", inspect.Parameter.KEYWORD_ONLY, default=5)
    monkeypatch.setattr(
        fastgd.fit_linear,
        "__signature__",
        sig.replace(parameters=[*sig.parameters.values(), new]),
        raising=False,
    )
    import dask

    with dask.config.set(scheduler="synchronous"):
        dX, dy = _dask(X, y)
        base = dict(loss="hinge", optimizer="gd", lr=0.1, max_iter=2, tol=None, callback=None)
        kw = {p: sig.parameters[p].default for p in sig.parameters if p not in ("X", "y")}
        kw.update(base)
        fit = chunked_linear.fit_linear_chunked(dX, dy, **kw, future_option=5)
        assert fit.n_iter == 2
        with pytest.raises(ValueError, match=r"future_option=3 is not available for Dask"):
            chunked_linear.fit_linear_chunked(dX, dy, **kw, future_option=3)


def test_scikit_learn_stopping_rule_stops_at_the_in_memory_epoch():
    import dask

    X, y = _data("log_loss", n=120)
    kw = dict(loss="log_loss", optimizer="gd", lr=0.5, max_iter=500, tol=1e-4, n_iter_no_change=3)
    memory = fastgd.fit_linear(X, y, **kw)
    assert memory.status == "no_improvement"
    with dask.config.set(scheduler="synchronous"):
        dX, dy = _dask(X, y)
        chunked = fastgd.fit_linear(dX, dy, **kw)
    assert chunked.status == "no_improvement"
    assert chunked.n_iter == memory.n_iter
    np.testing.assert_allclose(chunked.coef, memory.coef, rtol=1e-10)


def test_unknown_chunk_sizes_and_weights_chunked_unlike_x(client):
    X, y = _data("squared_hinge", n=800)
    sw = np.random.default_rng(5).uniform(0.5, 2.0, len(y))
    keep = X[:, 0] > -1.0
    kw = dict(loss="squared_hinge", optimizer="gd", lr="auto", max_iter=15, tol=None)
    here = fastgd.fit_linear(X[keep], y[keep], sample_weight=sw[keep], **kw)
    dX, dy, dsw = _dask(X, y, chunks=6, sw=sw)
    mask = dX[:, 0] > -1.0
    # Boolean indexing leaves NaN chunk sizes (X, y and the weights); then weights in
    # other chunks than X's.
    dX, dy, dsw = dX[mask], dy[mask], dsw[mask]
    assert any(np.isnan(c) for c in dX.chunks[0])
    _same(fastgd.fit_linear(dX, dy, sample_weight=dsw, **kw), here)
    dsw = da.from_array(sw[keep], chunks=111)
    _same(fastgd.fit_linear(dX, dy, sample_weight=dsw, **kw), here)
