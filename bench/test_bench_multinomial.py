"""One epoch of mini-batch SGD on 10 classes, 10^5 x 784 float32 (MNIST-sized):
GDClassifier's multinomial (softmax, batch 256, one compiled loop) against
scikit-learn's SGDClassifier, which fits one-vs-rest (10 binary single-row SGD fits),
in one group. Different algorithms: the figure is a report, not a target (issue 14)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from fastgd import GDClassifier

sklearn = pytest.importorskip("sklearn")
from sklearn.linear_model import SGDClassifier


@pytest.fixture(scope="module")
def digits_like():
    rng = np.random.default_rng(2)
    n, d, K = 100_000, 784, 10
    centres = rng.random((K, d), dtype=np.float32)
    y = rng.integers(0, K, n)
    X = (0.5 * centres[y] + 0.5 * rng.random((n, d), dtype=np.float32)).astype(np.float32)
    return X, y


CONTENDERS = {
    "fastgd": lambda: GDClassifier(
        multi_class="multinomial", batch_size=256, max_iter=1, tol=None, random_state=0
    ),
    "baseline": lambda: SGDClassifier(loss="log_loss", max_iter=1, tol=None, random_state=0),
}


@pytest.mark.parametrize("role", list(CONTENDERS))
def test_multinomial_epoch(benchmark, digits_like, role):
    X, y = digits_like
    benchmark.group = (
        "one epoch, 10 classes, 1e5x784 float32 (fastgd multinomial b=256 vs sklearn OvR)"
    )
    benchmark.extra_info.update(role=role)

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # max_iter=1 warns ConvergenceWarning
            return CONTENDERS[role]().fit(X, y)

    model = benchmark.pedantic(fit, rounds=3, iterations=1)
    assert model.score(X[:5000], y[:5000]) > 0.5  # both learn the classes in one epoch
