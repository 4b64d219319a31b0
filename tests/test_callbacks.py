"""The one callback convention (fastgd/_callbacks.py): scipy's intermediate_result."""

from __future__ import annotations

import numpy as np
import pytest

from fastgd._callbacks import IntermediateResult, adapt, takes_intermediate_result

RESULT = IntermediateResult(nit=3, fun=0.5, x=np.array([1.0, 2.0]))


def legacy(callback, result):
    return callback(result.nit, result.x, result.fun)


def test_scipys_test_of_the_signature():
    def modern(intermediate_result):
        return None

    def positional(nit, x, fun):
        return None

    assert takes_intermediate_result(modern)
    assert not takes_intermediate_result(positional)
    assert not takes_intermediate_result(lambda result: None)  # another name: the old form
    assert not takes_intermediate_result(print)  # no signature: the old form


def test_a_modern_callback_gets_the_named_fields_and_may_stop():
    seen = []

    def modern(intermediate_result):
        seen.append(intermediate_result)
        return intermediate_result.nit >= 3

    call = adapt(modern, legacy, "callback(nit, x, fun)")
    assert call(RESULT) is True
    assert seen == [RESULT]


def test_stop_iteration_stops_as_in_scipy():
    def modern(intermediate_result):
        raise StopIteration

    assert adapt(modern, legacy, "callback(nit, x, fun)")(RESULT) is True


def test_the_positional_form_works_with_a_deprecation_warning():
    calls = []
    with pytest.warns(DeprecationWarning, match=r"callback\(nit, x, fun\) is deprecated"):
        call = adapt(lambda nit, x, fun: calls.append((nit, fun)), legacy, "callback(nit, x, fun)")
    assert call(RESULT) is False
    assert calls == [(3, 0.5)]


@pytest.mark.parametrize("answer", [1, "stop", [True], np.array([True, False])])
def test_a_callback_answers_none_or_a_bool(answer):
    def modern(intermediate_result):
        return answer

    with pytest.raises(TypeError, match="must return None, False"):
        adapt(modern, legacy, "callback(nit, x, fun)")(RESULT)


def test_none_and_non_callables():
    assert adapt(None, legacy, "x") is None
    with pytest.raises(TypeError, match="callback must be callable, got int"):
        adapt(3, legacy, "x")
