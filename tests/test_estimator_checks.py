"""scikit-learn's estimator contract (parametrize_with_checks) for the configurations
of GDClassifier and GDRegressor that issue 14 lists, and more: every fit behind the
estimators (full batch, mini-batches, single-row SGD) under the checks."""

from __future__ import annotations

import pytest

from fastgd import GDClassifier, GDRegressor

sklearn = pytest.importorskip("sklearn")  # in the test extra
from sklearn.utils.estimator_checks import parametrize_with_checks

CONFIGURATIONS = [
    GDClassifier(loss="log_loss"),
    GDClassifier(loss="hinge"),
    GDClassifier(loss="log_loss", multi_class="multinomial", class_weight="balanced"),
    GDClassifier(loss="modified_huber", batch_size=1, average=True, random_state=0),
    GDClassifier(loss="perceptron", optimizer="adam", batch_size=8, random_state=0),
    GDClassifier(loss="squared_hinge", penalty="elasticnet", learning_rate="optimal", batch_size=1, random_state=0),
    GDRegressor(loss="huber"),
    GDRegressor(penalty="elasticnet", alpha=0.01),
    GDRegressor(loss="epsilon_insensitive", batch_size=1, learning_rate="invscaling", penalty="l2", random_state=0),
    GDRegressor(loss="squared_epsilon_insensitive", optimizer="momentum", batch_size=16, random_state=0),
]


# check_estimator's data are small and often not centred: a ConvergenceWarning at
# max_iter says so; that is not what these checks are about.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(CONFIGURATIONS)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
