"""shuffle="blocks": blocks of contiguous rows in a seeded order, the rows shuffled within
each block (permutation.hpp). The order itself (every row once, contiguous blocks,
seeded, the compiled order equal to the NumPy twin), the fits that follow it exactly
(the NumPy reference loops), and SGD's behaviour against the full shuffle: regression
and classification reach the same quality."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, make_classification

import fastgd
from fastgd import GDClassifier, GDRegressor, fit_least_squares, fit_linear
from fastgd import reference as ref
from fastgd._core import _testing
from fastgd.sgd_rows import fit_rows

from .test_sgd_rows import classification_data, optimal, reference


def _blocks_of(order: np.ndarray, B: int) -> list[np.ndarray]:
    """The order cut where it leaves a block: each piece is one block's rows."""
    cuts = np.flatnonzero(np.diff(order // B) != 0) + 1
    return np.split(order, cuts)


@pytest.mark.parametrize(
    ("n", "B"), [(1, 4), (3, 4), (4, 4), (5, 4), (1000, 7), (10_000, 256), (70_001, 1024)]
)
def test_block_order_visits_every_row_once_block_by_block(n, B):
    order = ref.block_permutation(5, 2, n, B)
    np.testing.assert_array_equal(np.sort(order), np.arange(n))
    blocks = _blocks_of(order, B)
    assert len(blocks) == -(-n // B)  # each block in one contiguous stretch of the order
    for rows in blocks:
        k = rows[0] // B
        np.testing.assert_array_equal(np.sort(rows), np.arange(k * B, min(n, (k + 1) * B)))
    np.testing.assert_array_equal(_testing.permutation(5, 2, n, B), order)


def test_block_order_is_seeded_and_shuffles_blocks_and_rows():
    n, B = 20_000, 256
    a = ref.block_permutation(1, 0, n, B)
    np.testing.assert_array_equal(a, ref.block_permutation(1, 0, n, B))
    for other in (ref.block_permutation(2, 0, n, B), ref.block_permutation(1, 1, n, B)):
        assert not np.array_equal(a, other)
        # Different block orders, and different orders within the same block.
        assert [r[0] // B for r in _blocks_of(a, B)] != [r[0] // B for r in _blocks_of(other, B)]
        first = a[:B]
        k = first[0] // B
        theirs = next(r for r in _blocks_of(other, B) if r[0] // B == k)
        assert not np.array_equal(first, theirs)
    # Neither the blocks nor the rows within them stay in order.
    assert [r[0] // B for r in _blocks_of(a, B)] != sorted(r[0] // B for r in _blocks_of(a, B))
    assert not np.array_equal(a[:B], np.sort(a[:B]))


def test_block_order_golden_values():
    # Part of the results' reproducibility: it must never change.
    assert ref.block_permutation(0, 0, 10, 4).tolist() == [6, 5, 4, 7, 8, 9, 3, 2, 1, 0]


@pytest.mark.parametrize(
    ("row_bytes", "rows"),
    [(1, 4096), (64, 4096), (128, 2048), (256, 1024), (512, 512), (8000, 256)],
)
def test_block_rows_are_about_256_kb_within_256_and_4096(row_bytes, rows):
    assert ref.shuffle_block_rows(row_bytes) == rows
    assert _testing.shuffle_block_rows(row_bytes) == rows


def _regression(n: int, d: int, seed: int = 0, noise: float = 0.1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    return X, X @ w + 1.0 + noise * rng.standard_normal(n)


@pytest.mark.parametrize("batch", [1, 16])
def test_fit_least_squares_follows_the_block_order(batch):
    """The compiled loop visits the rows in block_permutation's order: the same steps as
    the NumPy reference (several blocks: 4096 rows of 64 bytes a block)."""
    X, y = _regression(9000, 8)
    kw: dict[str, Any] = dict(
        lr=0.002 if batch == 1 else 0.02,
        batch_size=batch,
        max_iter=2,
        tol=None,
        random_state=3,
        shuffle="blocks",
    )
    got = fit_least_squares(X, y, **kw)
    want = ref.fit_least_squares(X, y, **kw)
    np.testing.assert_allclose(got.coef, want.coef, rtol=1e-9, atol=1e-12)
    other = fit_least_squares(X, y, **{**kw, "shuffle": "rows"})
    assert not np.allclose(got.coef, other.coef, rtol=1e-12, atol=0)


def test_single_row_sgd_follows_the_block_order():
    X, y = classification_data(n=2000, d=40, seed=4)  # 320-byte rows: blocks of 819
    B = ref.shuffle_block_rows(40 * 8)
    got = fit_rows(
        X,
        y,
        loss="log_loss",
        alpha=1e-3,
        schedule=optimal(1e-3),
        seed=7,
        max_iter=2,
        shuffle="blocks",
    )
    orders = [ref.block_permutation(7, e, 2000, B) for e in range(2)]
    w, b, _ = reference(X, y, loss="log_loss", alpha=1e-3, schedule=optimal(1e-3), orders=orders)
    np.testing.assert_allclose(got.coef[0], w, rtol=1e-9, atol=1e-12)
    assert got.intercept[0] == pytest.approx(b, rel=1e-9)


def test_results_do_not_depend_on_the_thread_count():
    # 80 blocks of 1024 rows: the order is built over both threads.
    X, y = _regression(80 * 1024, 32)
    kw = dict(lr=1e-3, batch_size=1, max_iter=1, tol=None, random_state=0, shuffle="blocks")
    est_kw = dict(batch_size=1, max_iter=1, tol=None, shuffle="blocks", random_state=0)
    before = fastgd.get_num_threads()
    try:
        fastgd.set_num_threads(1)
        one = fit_least_squares(X, y, **kw)
        one_rows = GDRegressor(**est_kw).fit(X, y)
        fastgd.set_num_threads(2)
        two = fit_least_squares(X, y, **kw)
        two_rows = GDRegressor(**est_kw).fit(X, y)
    finally:
        fastgd.set_num_threads(before)
    np.testing.assert_array_equal(one.coef, two.coef)
    np.testing.assert_array_equal(one_rows.coef_, two_rows.coef_)


# --- SGD's behaviour: blocks against the full shuffle ------------------------------------


def _close(blocks: float, rows: float, rel: float) -> None:
    assert blocks == pytest.approx(rows, rel=rel), (blocks, rows)


@pytest.mark.parametrize("batch", [1, 32])
def test_regression_blocks_converge_as_rows(batch):
    """fit_least_squares, 40 blocks of 2048 rows: the loss after each epoch as with the
    full shuffle (both far below the start, the end within 3 %)."""
    X, y = _regression(40 * 2048, 16, noise=0.5)
    kw = dict(
        lr=2e-3 if batch == 1 else 2e-2, batch_size=batch, max_iter=4, tol=None, random_state=1
    )
    blocks = fit_least_squares(X, y, shuffle="blocks", **kw)
    rows = fit_least_squares(X, y, shuffle=True, **kw)
    A = np.c_[X, np.ones(len(X))]
    floor = float(np.mean((A @ np.linalg.lstsq(A, y, rcond=None)[0] - y) ** 2))
    start = float(np.mean(y**2))
    for fit in (blocks, rows):
        assert fit.losses[-1] < 1.1 * floor < 0.1 * start
    _close(blocks.losses[-1], rows.losses[-1], 0.03)


@pytest.mark.parametrize("batch", [1, 16])
def test_gdregressor_blocks_score_as_rows(batch):
    X, y = _regression(40 * 2048, 16, seed=2, noise=0.5)
    kw = dict(batch_size=batch, max_iter=5, tol=None, random_state=0)
    blocks = GDRegressor(shuffle="blocks", **kw).fit(X, y)
    rows = GDRegressor(shuffle=True, **kw).fit(X, y)
    assert rows.score(X, y) > 0.95
    _close(blocks.score(X, y), rows.score(X, y), 0.005)
    _close(blocks.loss_curve_[-1], rows.loss_curve_[-1], 0.03)


@pytest.mark.parametrize("loss", ["log_loss", "hinge"])
@pytest.mark.parametrize("batch", [1, 16])
def test_classifier_blocks_as_rows_on_breast_cancer(loss, batch):
    """breast_cancer's 569 rows, standardised, repeated 40 times with a little noise
    (22760 rows of 240 bytes: 21 blocks of 1092): accuracy and final loss as with the
    full shuffle."""
    X0, y0 = load_breast_cancer(return_X_y=True)
    X0 = (X0 - X0.mean(0)) / X0.std(0)
    rng = np.random.default_rng(0)
    X = np.tile(X0, (40, 1)) + 0.05 * rng.standard_normal((40 * len(X0), X0.shape[1]))
    y = np.tile(y0, 40)
    kw = dict(loss=loss, batch_size=batch, max_iter=5, tol=None, random_state=0)
    blocks = GDClassifier(shuffle="blocks", **kw).fit(X, y)
    rows = GDClassifier(shuffle="rows", **kw).fit(X, y)
    assert rows.score(X, y) > 0.97
    _close(blocks.score(X, y), rows.score(X, y), 0.01)
    _close(blocks.loss_curve_[-1], rows.loss_curve_[-1], 0.1)


@pytest.mark.parametrize("loss", ["log_loss", "hinge"])
def test_classifier_blocks_as_rows_on_many_blocks(loss):
    X, y = make_classification(
        60_000, 20, n_informative=10, class_sep=0.8, flip_y=0.02, random_state=1
    )
    kw = dict(loss=loss, batch_size=1, max_iter=3, tol=None, random_state=0)
    blocks = GDClassifier(shuffle="blocks", **kw).fit(X, y)
    rows = GDClassifier(shuffle=True, **kw).fit(X, y)
    assert rows.score(X, y) > 0.75
    _close(blocks.score(X, y), rows.score(X, y), 0.01)
    _close(blocks.loss_curve_[-1], rows.loss_curve_[-1], 0.05)


def test_fit_linear_blocks_as_rows():
    X, y = make_classification(30_000, 10, random_state=3)
    kw = dict(loss="log_loss", lr=0.05, batch_size=8, max_iter=3, tol=None, random_state=0)
    blocks = fit_linear(X, y, shuffle="blocks", **kw)
    rows = fit_linear(X, y, shuffle="rows", **kw)
    _close(blocks.losses[-1], rows.losses[-1], 0.03)


# --- the argument ----------------------------------------------------------------------

BAD = ["block", "Rows", None, 1, 0, "none"]


@pytest.mark.parametrize("bad", BAD)
def test_bad_shuffle_is_refused_by_every_entry_point(bad):
    X, y = _regression(50, 3)
    labels = (y > np.median(y)).astype(int)
    message = r"shuffle must be True, False, 'rows' or 'blocks'"
    calls = [
        lambda: fit_least_squares(X, y, batch_size=4, shuffle=bad),
        lambda: fit_least_squares(X, y, shuffle=bad),  # full batch: still checked
        lambda: fit_linear(X, labels, loss="hinge", batch_size=4, shuffle=bad),
        lambda: GDRegressor(shuffle=bad).fit(X, y),
        lambda: GDRegressor(batch_size=1, shuffle=bad).fit(X, y),
        lambda: GDClassifier(shuffle=bad).fit(X, labels),
        lambda: GDClassifier(batch_size=1, shuffle=bad).partial_fit(X, labels, classes=[0, 1]),
        lambda: fit_rows(X, y, loss="squared_error", schedule=optimal(1e-3), shuffle=bad),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=message):
            call()


def test_estimators_keep_shuffle_as_given():
    est = GDClassifier(shuffle="blocks")
    assert est.get_params()["shuffle"] == "blocks"
    assert est.set_params(shuffle="rows").shuffle == "rows"
    X, y = _regression(300, 4)
    reg = GDRegressor(batch_size=1, max_iter=2, tol=None, shuffle="blocks", random_state=0)
    again = GDRegressor(**reg.get_params())
    np.testing.assert_array_equal(reg.fit(X, y).coef_, again.fit(X, y).coef_)


def test_true_is_rows():
    X, y = _regression(3000, 4)
    kw = dict(lr=0.01, batch_size=1, max_iter=2, tol=None, random_state=5)
    np.testing.assert_array_equal(
        fit_least_squares(X, y, shuffle=True, **kw).coef,
        fit_least_squares(X, y, shuffle="rows", **kw).coef,
    )
