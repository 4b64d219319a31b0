"""issue 13 section 4: fastgd.lr_scheduler, torch's schedulers on param_groups.

Two oracles: written-out sequences (hand-computed, and the closed forms over a few
hundred steps), torch-free; and step-by-step parity with torch 2.13 when it is
installed (torch is imported inside those tests only): the same lrs, momenta, betas
and state dicts, bit for bit, every step, with two param groups of different lr.
"""

from __future__ import annotations

import contextlib
import copy
import math
import re
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import fastgd
from fastgd import lr_scheduler as fl


class Opt:
    """A stand-in optimizer: anything with torch-style param_groups."""

    def __init__(self, *lrs: float, key: str = "momentum") -> None:
        extra: dict[str, Any] = {"momentum": 0.9} if key == "momentum" else {"betas": (0.9, 0.999)}
        self.param_groups = [{"lr": lr, **copy.deepcopy(extra)} for lr in lrs]


def lrs_of(make: Callable[[Opt], Any], steps: int, *lrs: float) -> list[list[float]]:
    """The lr of every group after construction and after each of `steps` steps."""
    opt = Opt(*lrs)
    sched = make(opt)
    out = [sched.get_last_lr()]
    for _ in range(steps):
        sched.step()
        out.append(sched.get_last_lr())
        assert out[-1] == [g["lr"] for g in opt.param_groups]
    return out


def first_group(make: Callable[[Opt], Any], steps: int) -> list[float]:
    """Group 0 (lr 1.0) and group 1 (lr 0.1) follow the same schedule, scaled."""
    seq = lrs_of(make, steps, 1.0, 0.1)
    for a, b in seq:
        assert b == pytest.approx(0.1 * a, rel=1e-12, abs=1e-15)
    return [a for a, _ in seq]


def approx(values: list[float]) -> Any:
    return pytest.approx(values, rel=1e-12, abs=1e-15)


# --- (a) written-out sequences ---------------------------------------------------------


def test_lambda_and_multiplicative():
    assert first_group(lambda o: fl.LambdaLR(o, lambda e: 1 / (e + 1)), 4) == approx(
        [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5]
    )
    assert first_group(lambda o: fl.MultiplicativeLR(o, lambda e: 0.5), 3) == approx(
        [1, 0.5, 0.25, 0.125]
    )
    # one lambda per group
    seq = lrs_of(lambda o: fl.LambdaLR(o, [lambda e: 1.0, lambda e: 2.0**e]), 3, 1.0, 1.0)
    assert seq == [[1.0, 1.0], [1.0, 2.0], [1.0, 4.0], [1.0, 8.0]]


def test_step_multistep_constant_linear_exponential_polynomial():
    assert first_group(lambda o: fl.StepLR(o, step_size=2, gamma=0.5), 6) == approx(
        [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]
    )
    # a milestone listed twice applies gamma twice
    assert first_group(lambda o: fl.MultiStepLR(o, [2, 5, 5], gamma=0.5), 6) == approx(
        [1, 1, 0.5, 0.5, 0.5, 0.125, 0.125]
    )
    assert first_group(lambda o: fl.ConstantLR(o, factor=0.5, total_iters=3), 5) == approx(
        [0.5, 0.5, 0.5, 1, 1, 1]
    )
    linear = lambda o: fl.LinearLR(o, start_factor=0.5, end_factor=1.0, total_iters=4)
    assert first_group(linear, 6) == approx([0.5, 0.625, 0.75, 0.875, 1, 1, 1])
    assert first_group(lambda o: fl.ExponentialLR(o, gamma=0.5), 3) == approx([1, 0.5, 0.25, 0.125])
    poly = lambda o: fl.PolynomialLR(o, total_iters=4, power=2.0)
    assert first_group(poly, 6) == approx([1, 9 / 16, 4 / 16, 1 / 16, 0, 0, 0])


def test_closed_forms_over_300_steps():
    """The chained forms torch uses stay on the closed forms over a long run."""
    n = 300
    cos = first_group(lambda o: fl.CosineAnnealingLR(o, T_max=37), n)
    expect = [(1 + math.cos(math.pi * t / 37)) / 2 for t in range(n + 1)]
    assert cos == pytest.approx(expect, rel=1e-9, abs=1e-12)
    # eta_min: group 1 (lr 0.1) anneals to the same floor
    floor = lrs_of(lambda o: fl.CosineAnnealingLR(o, T_max=37, eta_min=0.01), n, 1.0, 0.1)
    for base, column in ((1.0, 0), (0.1, 1)):
        assert [lr[column] for lr in floor] == pytest.approx(
            [0.01 + (base - 0.01) * (1 + math.cos(math.pi * t / 37)) / 2 for t in range(n + 1)],
            rel=1e-9,
            abs=1e-12,
        )
    exp = first_group(lambda o: fl.ExponentialLR(o, gamma=0.99), n)
    assert exp == pytest.approx([0.99**t for t in range(n + 1)], rel=1e-12)
    lin = first_group(lambda o: fl.LinearLR(o, start_factor=0.1, total_iters=200), n)
    assert lin == pytest.approx(
        [0.1 + 0.9 * min(t, 200) / 200 for t in range(n + 1)], rel=1e-12, abs=1e-15
    )
    step = first_group(lambda o: fl.StepLR(o, step_size=7, gamma=0.9), n)
    assert step == pytest.approx([0.9 ** (t // 7) for t in range(n + 1)], rel=1e-12)


def test_cosine_annealing_warm_restarts():
    seq = first_group(lambda o: fl.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2), 12)
    # T_cur/T_i: 0/3 1/3 2/3, 0/6 .. 5/6, 0/12 ...
    phases = [(0, 3), (1, 3), (2, 3)] + [(k, 6) for k in range(6)] + [(k, 12) for k in range(4)]
    assert seq == approx([(1 + math.cos(math.pi * c / t)) / 2 for c, t in phases])


def test_cyclic_lr_and_momentum():
    opt = Opt(0.5, 0.5)
    sched = fl.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2, mode="triangular2")
    assert opt.param_groups[0]["base_momentum"] == 0.8
    assert opt.param_groups[0]["max_momentum"] == 0.9
    assert opt.param_groups[0]["initial_lr"] == 0.1
    lrs, moms = [sched.get_last_lr()[0]], [opt.param_groups[0]["momentum"]]
    for _ in range(8):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[1]["momentum"])
    # the second cycle has half the amplitude
    assert lrs == approx([0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1])
    assert moms == approx([0.9, 0.85, 0.8, 0.85, 0.9, 0.875, 0.85, 0.875, 0.9])
    # betas: the first one cycles, the second stays
    adam = Opt(0.5, key="betas")
    fl.CyclicLR(adam, base_lr=0.1, max_lr=1.0, step_size_up=2).step()
    assert adam.param_groups[0]["betas"] == pytest.approx((0.85, 0.999))


def test_one_cycle_linear():
    opt = Opt(0.3, 0.3)
    sched = fl.OneCycleLR(
        opt,
        max_lr=1.0,
        total_steps=10,
        anneal_strategy="linear",
        div_factor=10.0,
        final_div_factor=100.0,
    )
    g = opt.param_groups[0]
    assert (g["initial_lr"], g["max_lr"], g["min_lr"]) == pytest.approx((0.1, 1.0, 0.001))
    lrs, moms = [sched.get_last_lr()[0]], [g["momentum"]]
    for _ in range(10):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(g["momentum"])
    # warm-up over steps 0..2 (pct_start 0.3 of 10 -> end_step 2), annealing over 2..9, then
    # step 10 extrapolates the last phase, as torch
    up = [0.1 + 0.9 * t / 2 for t in range(3)]
    down = [1.0 + (0.001 - 1.0) * (t - 2) / 7 for t in range(3, 11)]
    assert lrs == approx(up + down)
    assert moms == approx(
        [0.95 - 0.1 * t / 2 for t in range(3)] + [0.85 + 0.1 * (t - 2) / 7 for t in range(3, 11)]
    )
    last = sched.state_dict()
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        sched.step()
    assert sched.state_dict() == last  # the refused step changed nothing
    assert g["lr"] == lrs[-1]


def test_reduce_on_plateau():
    opt = Opt(1.0, 0.1)
    sched = fl.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=[0.2, 0.0])
    seen = []
    for metric in [5, 4, 4, 4, 4, 4, 4, 3, 3, 3]:
        sched.step(metric)
        seen.append(sched.get_last_lr())
    # bad epochs: 4 (0), 4 (1), 4 (2 > 1: reduce, cooldown 1), 4 (cooldown: 0), 4 (1),
    # 4 (2: reduce), 3 (better), 3 (1), 3 (2: reduce; group 0 is at its min_lr)
    assert seen == [
        [1.0, 0.1],
        [1.0, 0.1],
        [1.0, 0.1],
        [0.5, 0.05],
        [0.5, 0.05],
        [0.5, 0.05],
        [0.25, 0.025],
        [0.25, 0.025],
        [0.25, 0.025],
        [0.2, 0.0125],
    ]
    maxi = fl.ReduceLROnPlateau(
        Opt(1.0), mode="max", patience=0, threshold=0.5, threshold_mode="abs"
    )
    for metric in [1.0, 1.4, 2.0]:  # 1.4 is not 0.5 better than 1.0; 2.0 is
        maxi.step(metric)
    assert maxi.get_last_lr() == [pytest.approx(0.1)]
    assert maxi.best == 2.0


def test_sequential_and_chained():
    seq = first_group(
        lambda o: fl.SequentialLR(
            o, [fl.ConstantLR(o, factor=0.5, total_iters=2), fl.ExponentialLR(o, gamma=0.5)], [3]
        ),
        5,
    )
    assert seq == approx([0.5, 0.5, 1.0, 1.0, 0.5, 0.25])
    chained = first_group(
        lambda o: fl.ChainedScheduler(
            [fl.ConstantLR(o, factor=0.5, total_iters=2), fl.ExponentialLR(o, gamma=0.5)]
        ),
        4,
    )
    assert chained == approx([0.5, 0.25, 0.25, 0.125, 0.0625])


def test_initial_lr_and_resuming():
    opt = Opt(0.4)
    fl.StepLR(opt, step_size=1, gamma=0.5).step()
    assert opt.param_groups[0] == {"lr": 0.2, "momentum": 0.9, "initial_lr": 0.4}
    # resuming at epoch 1 of a fresh exponential schedule: base is initial_lr
    resumed = fl.ExponentialLR(opt, gamma=0.5, last_epoch=1)
    resumed.step()
    assert resumed.last_epoch == 3
    assert resumed.base_lrs == [0.4]


# --- state dicts -----------------------------------------------------------------------


class Halve:
    """A callable object: its __dict__ goes into the state dict."""

    def __init__(self) -> None:
        self.factor = 0.5

    def __call__(self, epoch: int) -> float:
        return self.factor


def test_lambda_state_dict_saves_callable_objects_only():
    fn = Halve()
    sched = fl.LambdaLR(Opt(1.0, 2.0), [lambda e: 1.0, fn])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"factor": 0.5}]
    fn2 = Halve()
    fn2.factor = 0.1
    other = fl.LambdaLR(Opt(1.0, 2.0), [lambda e: 1.0, fn2])
    other.load_state_dict(state)
    assert fn2.factor == 0.5


def test_refused_load_changes_nothing():
    sched = fl.StepLR(Opt(1.0, 0.5), step_size=2)
    sched.step()
    before = sched.state_dict()
    with pytest.raises(ValueError, match="missing"):
        sched.load_state_dict({"last_epoch": 3})
    with pytest.raises(ValueError, match="base_lrs"):
        sched.load_state_dict({**before, "base_lrs": [1.0]})
    with pytest.raises(ValueError, match="unexpected"):
        sched.load_state_dict({**before, "T_max": 3})
    with pytest.raises(TypeError, match="state_dict must be a dict"):
        sched.load_state_dict([1, 2])  # type: ignore[arg-type]
    assert sched.state_dict() == before
    # a composite: the second scheduler refuses, the first is put back
    opt = Opt(1.0)
    chain = fl.ChainedScheduler([fl.ExponentialLR(opt, 0.9), fl.StepLR(opt, 2)])
    chain.step()
    good = chain.state_dict()
    bad = copy.deepcopy(good)
    bad["_schedulers"][0]["last_epoch"] = 50
    bad["_schedulers"][1] = {"nonsense": 1}
    with pytest.raises(ValueError, match="missing"):
        chain.load_state_dict(bad)
    assert chain.state_dict() == good


# --- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda o: fl.StepLR(object(), 3), TypeError, "needs an optimizer with param_groups"),
        (lambda o: fl.StepLR(o, 0), ValueError, "step_size must be an integer >= 1"),
        (lambda o: fl.StepLR(o, 2.5), TypeError, "step_size must be an integer"),
        (
            lambda o: fl.CosineAnnealingWarmRestarts(o, 0),
            ValueError,
            "Expected positive integer T_0",
        ),
        (lambda o: fl.CosineAnnealingWarmRestarts(o, 2, T_mult=0), ValueError, "T_mult >= 1"),
        (lambda o: fl.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be > 0"),
        (lambda o: fl.ConstantLR(o, factor=2.0), ValueError, "between 0 and 1"),
        (lambda o: fl.LinearLR(o, start_factor=0.0), ValueError, "greater than 0"),
        (lambda o: fl.LambdaLR(o, [lambda e: 1.0] * 3), ValueError, "Expected 2 lr_lambdas"),
        (lambda o: fl.MultiplicativeLR(o, 0.5), TypeError, "lr_lambda should be a function"),
        (lambda o: fl.CyclicLR(o, 0.1, [1.0]), ValueError, "max_lr must have the same length"),
        (lambda o: fl.CyclicLR(o, 0.1, 1.0, mode="sine"), ValueError, "mode is invalid"),
        (lambda o: fl.OneCycleLR(o, 1.0), ValueError, "either total_steps OR"),
        (
            lambda o: fl.OneCycleLR(o, 1.0, total_steps=0),
            ValueError,
            "positive integer total_steps",
        ),
        (lambda o: fl.OneCycleLR(o, 1.0, 5, pct_start=1.5), ValueError, "pct_start"),
        (lambda o: fl.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
        (lambda o: fl.ReduceLROnPlateau(o, mode="up"), ValueError, "mode 'up' is unknown"),
        (lambda o: fl.ExponentialLR(o, 0.9, last_epoch=3), ValueError, "no 'initial_lr'"),
        (lambda o: fl.ExponentialLR(o, 0.9, last_epoch=-2), ValueError, "last_epoch must be"),
    ],
)
def test_bad_arguments_change_nothing(make, error, match):
    opt = Opt(0.1, 0.2)
    before = copy.deepcopy(opt.param_groups)
    with pytest.raises(error, match=match):
        make(opt)
    assert opt.param_groups == before


def test_bad_compositions_change_nothing():
    opt = Opt(0.1, 0.2)
    exp = fl.ExponentialLR(opt, 0.9)
    plateau = fl.ReduceLROnPlateau(opt)
    elsewhere = fl.ExponentialLR(Opt(1.0, 1.0), 0.9)
    before = copy.deepcopy(opt.param_groups)
    state = exp.state_dict()
    with pytest.raises(ValueError, match="one more"):
        fl.SequentialLR(opt, [exp], [2])
    with pytest.raises(ValueError, match="at least one scheduler"):
        fl.ChainedScheduler([])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        fl.ChainedScheduler([exp, plateau])
    with pytest.raises(ValueError, match="same optimizer"):
        fl.SequentialLR(opt, [exp, elsewhere], [3])
    with pytest.raises(TypeError, match=r"should be a fastgd\.lr_scheduler scheduler"):
        fl.ChainedScheduler([exp, "StepLR"], optimizer=opt)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="increasing order"):
        fl.SequentialLR(opt, [exp, exp, exp], [5, 2])
    chained = fl.ChainedScheduler([exp])
    before = copy.deepcopy(opt.param_groups)
    with pytest.raises(ValueError, match="cannot switch to a ChainedScheduler"):
        fl.SequentialLR(opt, [exp, chained], [3])
    assert opt.param_groups == before
    assert exp.state_dict() == state
    # ReduceLROnPlateau with one min_lr per group, after add_param_group: torch's error
    plateau = fl.ReduceLROnPlateau(opt, min_lr=[0.0, 0.0])
    opt.param_groups.append({"lr": 0.3})
    with pytest.raises(ValueError, match="Please modify the `min_lrs` field"):
        plateau.step(1.0)
    assert plateau.last_epoch == 0


def test_cycle_momentum_needs_momentum_or_betas():
    opt = Opt(0.1)
    del opt.param_groups[0]["momentum"]
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        fl.OneCycleLR(opt, 1.0, total_steps=10)
    assert opt.param_groups == [{"lr": 0.1}]
    fl.OneCycleLR(opt, 1.0, total_steps=10, cycle_momentum=False).step()  # fine without


def test_step_epoch_is_refused_and_metrics_checked():
    sched = fl.StepLR(Opt(0.1), 2)
    with pytest.raises(TypeError, match=r"step\(epoch\) is not supported"):
        sched.step(5)  # type: ignore[arg-type]
    assert sched.last_epoch == 0
    plateau = fl.ReduceLROnPlateau(Opt(0.1))
    with pytest.raises(TypeError, match="metrics must be a number"):
        plateau.step("low")  # type: ignore[arg-type]
    assert plateau.last_epoch == 0


def test_a_failing_lambda_changes_nothing():
    def fragile(epoch: int) -> float:
        if epoch == 2:
            raise ZeroDivisionError("the user's function failed")
        return 0.5**epoch

    opt = Opt(1.0)
    sched = fl.LambdaLR(opt, fragile)
    sched.step()
    before = (sched.state_dict(), copy.deepcopy(opt.param_groups))
    with pytest.raises(ZeroDivisionError):
        sched.step()
    assert (sched.state_dict(), opt.param_groups) == before


def test_a_group_added_after_construction_is_an_error():
    opt = Opt(0.1)
    sched = fl.ExponentialLR(opt, 0.5)
    opt.param_groups.append({"lr": 0.3})
    with pytest.raises(ValueError, match="build the scheduler after add_param_group"):
        sched.step()
    assert sched.last_epoch == 0
    assert opt.param_groups[0]["lr"] == 0.1


def test_a_subclass_of_lr_scheduler():
    """As in torch: a subclass implements get_lr(), called after last_epoch advanced."""

    class Halving(fl.LRScheduler):
        def get_lr(self) -> list[float]:
            return [base / 2**self.last_epoch for base in self.base_lrs]

    opt = Opt(1.0, 0.5)
    sched = Halving(opt)
    sched.step()
    sched.step()
    assert sched.get_last_lr() == [0.25, 0.125]
    assert sched.state_dict() == {
        "base_lrs": [1.0, 0.5],
        "last_epoch": 2,
        "_step_count": 3,
        "_last_lr": [0.25, 0.125],
    }
    with pytest.warns(UserWarning, match="get_last_lr"):  # get_lr() outside step(), as torch
        fl.StepLR(Opt(1.0), 2).get_lr()


def test_the_readme_example_runs_as_written():
    """The README's scheduler example, with fastgd's own optimizer (its param_groups)."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    found = [
        textwrap.dedent(b) for b in blocks if "fastgd.lr_scheduler" in b and "make_moons" not in b
    ]
    assert len(found) == 1
    scope: dict[str, Any] = {}
    exec(found[0], scope)  # noqa: S102 - the README's code, as a reader runs it
    # the gradients W - 1 and b + 1 pull W to 1 and b to -1
    assert abs(scope["W"] - 1.0).max() < 0.05
    assert abs(scope["b"] + 1.0).max() < 0.05
    assert scope["opt"].param_groups[0]["lr"] == scope["sched"].get_last_lr()[0]


def test_the_module_docstring_example_runs():
    import doctest

    result = doctest.testmod(fl)
    assert result.attempted >= 5
    assert result.failed == 0


def test_namespace():
    assert "lr_scheduler" in dir(fastgd)
    assert fastgd.lr_scheduler is fl
    assert set(dir(fl)) == set(fl.__all__)
    assert len(fl.__all__) == 16


# --- (b) parity with torch 2.13 ---------------------------------------------------------


class Callable07:
    def __init__(self) -> None:
        self.base = 0.97

    def __call__(self, epoch: int) -> float:
        return self.base ** (epoch % 11)


def _cyclic_scale(x: float) -> float:
    return 1.0 / (1.0 + 0.1 * x)


# name -> (make(L, opt), steps, optimizer kind); the same code builds torch's and fastgd's
CONFIGS: dict[str, tuple[Callable[[Any, Any], Any], int, str]] = {
    "LambdaLR": (lambda L, o: L.LambdaLR(o, [lambda e: 0.99**e, Callable07()]), 150, "sgd"),
    "MultiplicativeLR": (lambda L, o: L.MultiplicativeLR(o, lambda e: 0.995), 200, "sgd"),
    "StepLR": (lambda L, o: L.StepLR(o, step_size=7, gamma=0.7), 200, "sgd"),
    "MultiStepLR": (lambda L, o: L.MultiStepLR(o, [10, 30, 30, 90], gamma=0.3), 150, "sgd"),
    "ConstantLR": (lambda L, o: L.ConstantLR(o, factor=0.3, total_iters=17), 100, "sgd"),
    "LinearLR": (lambda L, o: L.LinearLR(o, 0.05, 0.8, total_iters=120), 200, "sgd"),
    "ExponentialLR": (lambda L, o: L.ExponentialLR(o, gamma=0.97), 300, "sgd"),
    "PolynomialLR": (lambda L, o: L.PolynomialLR(o, total_iters=150, power=1.7), 200, "sgd"),
    "CosineAnnealingLR": (lambda L, o: L.CosineAnnealingLR(o, T_max=50, eta_min=1e-3), 300, "sgd"),
    "CosineAnnealingWarmRestarts": (
        lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=2, eta_min=1e-4),
        300,
        "sgd",
    ),
    "CyclicLR-triangular2": (
        lambda L, o: L.CyclicLR(
            o, [0.01, 0.001], [0.1, 0.02], step_size_up=9, step_size_down=13, mode="triangular2"
        ),
        300,
        "sgd",
    ),
    "CyclicLR-exp_range-betas": (
        lambda L, o: L.CyclicLR(o, 0.001, 0.1, step_size_up=10, mode="exp_range", gamma=0.99),
        300,
        "adam",
    ),
    "CyclicLR-scale_fn": (
        lambda L, o: L.CyclicLR(o, 0.001, 0.1, 5, scale_fn=_cyclic_scale, scale_mode="iterations"),
        100,
        "sgd",
    ),
    "OneCycleLR-cos": (lambda L, o: L.OneCycleLR(o, [0.1, 0.05], total_steps=250), 250, "sgd"),
    "OneCycleLR-three-phase-linear-betas": (
        lambda L, o: L.OneCycleLR(
            o, 0.1, epochs=10, steps_per_epoch=20, anneal_strategy="linear", three_phase=True
        ),
        200,
        "adam",
    ),
    "SequentialLR": (
        lambda L, o: L.SequentialLR(
            o,
            [L.LinearLR(o, 0.1, total_iters=10), L.CosineAnnealingLR(o, 40), L.StepLR(o, 5, 0.5)],
            milestones=[10, 50],
        ),
        150,
        "sgd",
    ),
    "SequentialLR-chained-first": (
        lambda L, o: L.SequentialLR(
            o,
            [
                L.ChainedScheduler([L.ConstantLR(o, 0.5, 4), L.ExponentialLR(o, 0.95)]),
                L.ExponentialLR(o, 0.9),
            ],
            milestones=[20],
        ),
        100,
        "sgd",
    ),
    "SequentialLR-warmup-restarts-polynomial": (
        lambda L, o: L.SequentialLR(
            o,
            [
                L.LinearLR(o, 0.01, total_iters=8),
                L.CosineAnnealingWarmRestarts(o, T_0=9, T_mult=2),
                L.PolynomialLR(o, total_iters=30, power=0.5),
                L.MultiplicativeLR(o, Callable07()),
            ],
            milestones=[8, 60, 100],
        ),
        150,
        "sgd",
    ),
    "SequentialLR-cyclic-onecycle": (
        lambda L, o: L.SequentialLR(
            o,
            [
                L.ConstantLR(o, 0.2, 10),
                L.OneCycleLR(o, 0.2, total_steps=40),
                L.CyclicLR(o, 0.01, 0.05, 4),
            ],
            milestones=[10, 45],
        ),
        100,
        "adam",
    ),
    "ChainedScheduler": (
        lambda L, o: L.ChainedScheduler(
            [
                L.LinearLR(o, 0.2, total_iters=30),
                L.ExponentialLR(o, 0.98),
                L.MultiStepLR(o, [40, 80]),
            ]
        ),
        150,
        "adam",
    ),
}

GROUP_KEYS = (
    "lr",
    "momentum",
    "betas",
    "initial_lr",
    "max_lr",
    "min_lr",
    "max_momentum",
    "base_momentum",
)


def _torch_optimizer(torch: Any, kind: str) -> Any:
    params = [torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(2))]
    groups = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.02}]
    if kind == "adam":
        return torch.optim.Adam(groups, betas=(0.9, 0.99))
    return torch.optim.SGD(groups, momentum=0.9)


class Mirror:
    """The torch optimizer's groups, without the tensors."""

    def __init__(self, topt: Any) -> None:
        self.param_groups = [
            {k: copy.deepcopy(v) for k, v in g.items() if k != "params"} for g in topt.param_groups
        ]


def _same(topt: Any, mine: Any, tsched: Any, fsched: Any, where: str) -> None:
    assert fsched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=0, abs=0), where
    for tg, fg in zip(topt.param_groups, mine.param_groups, strict=True):
        for key in GROUP_KEYS:
            assert (key in tg) == (key in fg), (where, key)
            if key in tg:
                assert fg[key] == pytest.approx(tg[key], rel=0, abs=0), (where, key)


@contextlib.contextmanager
def _quiet_torch() -> Any:
    """torch's false alarm for a ChainedScheduler inside a SequentialLR: its schedulers
    step before the optimizer while being built (fastgd does not patch the optimizer)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Detected call of `lr_scheduler.step", UserWarning)
        yield


def _strip(state: Any) -> Any:
    """torch's state dict without the entries fastgd does not keep."""
    if isinstance(state, dict):
        return {
            k: _strip(v)
            for k, v in state.items()
            if k not in ("_is_initial", "_get_lr_called_within_step")
        }
    if isinstance(state, list):
        return [_strip(v) for v in state]
    return state


@pytest.mark.parametrize("name", CONFIGS)
def test_parity_with_torch(name):
    torch = pytest.importorskip("torch")
    make, steps, kind = CONFIGS[name]
    topt = _torch_optimizer(torch, kind)
    mine = Mirror(topt)
    with _quiet_torch():
        tsched = make(torch.optim.lr_scheduler, topt)
    fsched = make(fl, mine)
    _same(topt, mine, tsched, fsched, "built")
    half = steps // 2
    for i in range(steps):
        topt.step()  # no grads: nothing moves, but torch sees the optimizer step first
        with _quiet_torch():
            tsched.step()
        fsched.step()
        _same(topt, mine, tsched, fsched, f"step {i + 1}")
        if i + 1 == half:
            saved_t, saved_f = tsched.state_dict(), fsched.state_dict()
            groups_at_half = copy.deepcopy(mine.param_groups)
            _same_state(saved_f, _strip(saved_t))
    # state dicts: saved halfway, loaded into fresh schedulers (fastgd's from torch's and
    # from its own, torch's from fastgd's), continued: the same second half
    rest = steps - half
    for source in (saved_f, saved_t):
        fresh = Opt(0.1, 0.02, key="betas" if kind == "adam" else "momentum")
        again = make(fl, fresh)
        for g, saved in zip(fresh.param_groups, groups_at_half, strict=True):
            g.clear()
            g.update(copy.deepcopy(saved))  # the optimizer's own state dict, loaded first
        again.load_state_dict(copy.deepcopy(source))
        for _ in range(rest):
            again.step()
        assert again.get_last_lr() == pytest.approx(fsched.get_last_lr(), rel=0, abs=0), name
        for g, h in zip(fresh.param_groups, mine.param_groups, strict=True):
            for key in GROUP_KEYS:
                assert (key in g) == (key in h)
                if key in g:
                    assert g[key] == pytest.approx(h[key], rel=0, abs=0)
    topt2 = _torch_optimizer(torch, kind)
    with _quiet_torch():
        tagain = make(torch.optim.lr_scheduler, topt2)
    for g, saved in zip(topt2.param_groups, groups_at_half, strict=True):
        g.update(copy.deepcopy(saved))
    tagain.load_state_dict(copy.deepcopy(saved_f))
    for _ in range(rest):
        topt2.step()
        with _quiet_torch():
            tagain.step()
    assert tagain.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=0, abs=0), name


def _same_state(mine: Any, theirs: Any) -> None:
    """fastgd's state dict has torch's keys and values (the same numbers)."""
    if isinstance(theirs, dict):
        assert isinstance(mine, dict)
        assert set(mine) == set(theirs), (mine, theirs)
        for key in theirs:
            _same_state(mine[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(mine, (list, tuple))
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs, strict=True):
            _same_state(a, b)
    elif isinstance(theirs, float) and not isinstance(mine, bool):
        assert mine == pytest.approx(theirs, rel=0, abs=0, nan_ok=True)
    else:
        assert mine == theirs


PLATEAU = {
    "min-rel": ({"factor": 0.5, "patience": 3, "cooldown": 2}, "min"),
    "max-abs-min_lrs": (
        {
            "mode": "max",
            "factor": 0.3,
            "patience": 1,
            "threshold": 0.05,
            "threshold_mode": "abs",
            "min_lr": [0.001, 0.0005],
        },
        "max",
    ),
    "min-abs-eps": (
        {"factor": 0.9, "patience": 0, "threshold_mode": "abs", "eps": 1e-3, "min_lr": 0.01},
        "min",
    ),
}


@pytest.mark.parametrize("name", PLATEAU)
def test_reduce_on_plateau_parity_with_torch(name):
    torch = pytest.importorskip("torch")
    kwargs, mode = PLATEAU[name]
    topt = _torch_optimizer(torch, "sgd")
    mine = Mirror(topt)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    fsched = fl.ReduceLROnPlateau(mine, **kwargs)
    # a metric that improves, stalls, wobbles, improves again; NaN once
    metrics = [1.0 / (1 + (k % 37) * (k < 120)) + 0.001 * ((-1) ** k) for k in range(200)]
    metrics[60] = float("nan")
    if mode == "max":
        metrics = [-m for m in metrics]
    for k, m in enumerate(metrics):
        tsched.step(m)
        fsched.step(m)
        _same(topt, mine, tsched, fsched, f"step {k}")
        if k == 100:
            _same_state(fsched.state_dict(), _strip(tsched.state_dict()))
    again = fl.ReduceLROnPlateau(Opt(0.1, 0.02), **kwargs)
    again.load_state_dict(tsched.state_dict())
    assert again.best == fsched.best
    assert again.num_bad_epochs == fsched.num_bad_epochs


def test_a_torch_optimizer_directly():
    """fastgd's schedulers step a torch optimizer's own param_groups."""
    torch = pytest.importorskip("torch")
    topt = _torch_optimizer(torch, "sgd")
    sched = fl.OneCycleLR(topt, 0.1, total_steps=20)
    for _ in range(19):  # step 19 ends the annealing at min_lr
        topt.step()
        sched.step()
    assert topt.param_groups[0]["lr"] == pytest.approx(0.1 / 25 / 1e4)
    assert topt.param_groups[0]["momentum"] == pytest.approx(0.95)


# --- with fastgd's own optimizers (param_groups) ----------------------------------------


def _grads(rng: Any, shapes: list[tuple[int, ...]]) -> list[Any]:
    return [rng.standard_normal(s) for s in shapes]


def _fastgd_and_torch(torch: Any, kind: str) -> tuple[Any, Any, list[Any], list[Any]]:
    """The same two-group problem in fastgd (float64 arrays) and torch (float64 tensors)."""
    import numpy as np

    rng = np.random.default_rng(7)
    starts = [rng.standard_normal((4, 3)), rng.standard_normal(3)]
    arrays = [s.copy() for s in starts]
    tensors = [torch.nn.Parameter(torch.from_numpy(s.copy())) for s in starts]
    if kind == "sgd":
        ours = fastgd.SGD(
            [{"params": [arrays[0]], "lr": 0.1}, {"params": [arrays[1]], "lr": 0.02}], momentum=0.9
        )
        theirs = torch.optim.SGD(
            [{"params": [tensors[0]], "lr": 0.1}, {"params": [tensors[1]], "lr": 0.02}],
            momentum=0.9,
        )
    else:
        ours = fastgd.Adam(
            [{"params": [arrays[0]], "lr": 0.1}, {"params": [arrays[1]], "lr": 0.02}],
            betas=(0.9, 0.99),
        )
        theirs = torch.optim.Adam(
            [{"params": [tensors[0]], "lr": 0.1}, {"params": [tensors[1]], "lr": 0.02}],
            betas=(0.9, 0.99),
        )
    return ours, theirs, arrays, tensors


def _step_both(ours: Any, theirs: Any, tensors: list[Any], grads: list[Any]) -> None:
    import torch

    ours.step(grads)
    for t, g in zip(tensors, grads, strict=True):
        t.grad = torch.from_numpy(g.copy())
    theirs.step()


TRAINING = {
    "sgd-CyclicLR": ("sgd", lambda L, o: L.CyclicLR(o, [0.01, 0.002], [0.1, 0.02], step_size_up=5)),
    "adam-OneCycleLR": ("adam", lambda L, o: L.OneCycleLR(o, [0.1, 0.02], total_steps=40)),
    "adam-warmup-cosine": (
        "adam",
        lambda L, o: L.SequentialLR(
            o, [L.LinearLR(o, 0.1, total_iters=5), L.CosineAnnealingLR(o, T_max=35)], [5]
        ),
    ),
}


@pytest.mark.parametrize("name", TRAINING)
def test_training_with_fastgd_optimizers_matches_torch(name):
    """fastgd's optimizer and scheduler against torch's, step by step: the same lrs,
    momenta and betas in the groups, and the same parameters (the optimizer uses them);
    then saved halfway (torch's state dicts loaded into fresh fastgd objects) and
    continued."""
    torch = pytest.importorskip("torch")
    import numpy as np

    kind, make = TRAINING[name]
    ours, theirs, arrays, tensors = _fastgd_and_torch(torch, kind)
    sched, tsched = make(fl, ours), make(torch.optim.lr_scheduler, theirs)
    rng = np.random.default_rng(3)
    shapes = [a.shape for a in arrays]
    for k in range(40):
        if k == 20:
            # torch's state dicts hold its live tensors: copies, as a checkpoint file would
            opt_state = copy.deepcopy(theirs.state_dict())
            sched_state = copy.deepcopy(tsched.state_dict())
            snapshot = [a.copy() for a in arrays]
        grads = _grads(rng, shapes)
        _step_both(ours, theirs, tensors, grads)
        sched.step()
        tsched.step()
        for g, tg in zip(ours.param_groups, theirs.param_groups, strict=True):
            for key in GROUP_KEYS:
                if key in tg:
                    assert g[key] == pytest.approx(tg[key], rel=0, abs=0), (k, key)
        for a, t in zip(arrays, tensors, strict=True):
            np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-12, atol=1e-14)
    # resume from torch's checkpoint at step 20 in fresh fastgd objects: the torch recipe
    # (build the scheduler, then load the optimizer's state, then the scheduler's)
    rng = np.random.default_rng(3)
    replay = [_grads(rng, shapes) for _ in range(40)][20:]
    fresh = [s.copy() for s in snapshot]
    ours2 = (fastgd.SGD if kind == "sgd" else fastgd.Adam)(
        [{"params": [fresh[0]], "lr": 0.5}, {"params": [fresh[1]], "lr": 0.5}]
    )
    sched2 = make(fl, ours2)
    ours2.load_state_dict(opt_state)
    assert ours2.param_groups[0]["initial_lr"] == opt_state["param_groups"][0]["initial_lr"]
    sched2.load_state_dict(sched_state)
    for grads in replay:
        ours2.step(grads)
        sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr()
    for a, b in zip(fresh, arrays, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_an_optimizer_with_a_schedule_as_lr_is_refused():
    opt = fastgd.Adam(lr=fastgd.schedules.cosine(0.1, t_max=10))
    with pytest.raises(TypeError, match=r"is a fastgd\.schedules Schedule"):
        fl.StepLR(opt, 2)
    assert "initial_lr" not in opt.param_groups[0]


def test_a_scheduler_on_a_fastgd_optimizer_keeps_the_moments():
    """Torch-free: SGD with momentum, lr changed by StepLR between steps; the moments
    carry over (a written-out heavy-ball recursion is the oracle)."""
    import numpy as np

    w = np.zeros(2)
    opt = fastgd.SGD([w], lr=0.1, momentum=0.5)
    sched = fl.StepLR(opt, step_size=2, gamma=0.5)
    g = np.array([1.0, -2.0])
    buf, ref = np.zeros(2), np.zeros(2)
    for k in range(6):
        lr = opt.param_groups[0]["lr"]
        assert lr == 0.1 * 0.5 ** (k // 2)
        opt.step([g])
        buf = g.copy() if k == 0 else 0.5 * buf + g
        ref = ref - lr * buf
        sched.step()
    np.testing.assert_allclose(w, ref, rtol=1e-15)
    assert opt.state_dict()["param_groups"][0]["initial_lr"] == 0.1
