"""Issue 13, section 5: decoupled weight decay on Adam, NAdam and RAdam; Rprop, ASGD,
Lion and Adafactor. Oracles: torch.optim 2.13 step by step (when installed), the
NumPy reference (fastgd.reference.OptimizerReference), and sequences written out by
hand. test_optimizers.py's table runs these rules through the shared tests too."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref

# (class name, keyword arguments): each steps the same in fastgd and torch.optim.
TORCH_CASES = [
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    (
        "Adam",
        dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, amsgrad=True, maximize=True),
    ),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=10, weight_decay=0.1, maximize=True)),
    ("Adafactor", dict()),
    (
        "Adafactor",
        dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5, weight_decay=0.1, maximize=True),
    ),
]
TORCH_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(TORCH_CASES)]
SHAPES = [(37,), (6, 5), (2, 3, 4)]


def _grad(p, t):
    """A gradient with feedback and deterministic noise."""
    rng = np.random.default_rng(t)
    return np.asarray(1.5 * (p - 1.0) + 0.3 * rng.standard_normal(p.shape), dtype=p.dtype)


def _tolerance(name, dtype):
    """float64: rounding only; NAdam's mu_product is a float32 number in torch (a
    double here: see NAdam), 1e-10 apart after 50 steps. float32: a few ulps a step."""
    if dtype == np.float32:
        return dict(rtol=2e-5, atol=2e-6)
    return dict(rtol=1e-8, atol=1e-9) if name == "NAdam" else dict(rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("shape", SHAPES, ids=["1d", "2d", "3d"])
@pytest.mark.parametrize(("name", "kw"), TORCH_CASES, ids=TORCH_IDS)
def test_fifty_steps_match_torch(name, kw, shape, dtype):
    torch = pytest.importorskip("torch")
    p0 = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    p = p0.copy()
    opt = getattr(fastgd, name)(**kw)
    tp = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    topt = getattr(torch.optim, name)([tp], **kw)
    for t in range(50):
        opt.step(p, _grad(p, t))
        tp.grad = torch.from_numpy(_grad(tp.detach().numpy(), t))
        topt.step()
        np.testing.assert_allclose(p, tp.detach().numpy(), **_tolerance(name, dtype))
    # The state too, under torch's names and (Adafactor's) shapes.
    mine = opt.state_dict()
    theirs = topt.state_dict()["state"][0]
    assert set(mine["state"]) == {
        k for k in theirs if torch.is_tensor(theirs[k]) and theirs[k].ndim
    }
    for key, value in mine["state"].items():
        if name == "Adafactor":  # in torch's shapes (the element-wise rules' are flat)
            assert value.shape == tuple(theirs[key].shape)
        np.testing.assert_allclose(
            value.ravel(), theirs[key].numpy().ravel(), **_tolerance(name, dtype)
        )
    if name == "ASGD":
        assert mine["eta"] == float(theirs["eta"])
        assert mine["mu"] == float(theirs["mu"])
        np.testing.assert_allclose(opt.ax, theirs["ax"].numpy(), **_tolerance(name, dtype))


def _torch_params(torch, arrays):
    return [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in arrays]


@pytest.mark.parametrize(("name", "kw"), TORCH_CASES, ids=TORCH_IDS)
def test_parameter_groups_with_a_live_lr_change_match_torch(name, kw):
    """Two groups (different lr and, where the rule has it, weight decay), arrays of
    several shapes, one skipped now and then, lr changed at step 20: as torch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [np.asarray(rng.standard_normal(s)) for s in [(4, 3), (3,), (2, 2, 5), ()]]
    second = {"lr": kw.get("lr", 0.01) * 2}
    if "weight_decay" in kw:
        second["weight_decay"] = 0.0
    groups = lambda ps: [{"params": ps[:2]}, {"params": ps[2:], **second}]
    mine = [a.copy() for a in arrays]
    opt = getattr(fastgd, name)(groups(mine), **kw)
    tps = _torch_params(torch, arrays)
    topt = getattr(torch.optim, name)(groups(tps), **kw)
    for t in range(40):
        if t == 20:
            opt.param_groups[0]["lr"] *= 0.5
            topt.param_groups[0]["lr"] *= 0.5
        grads = [None if (t % 7 == 3 and i == 1) else _grad(a, t + i) for i, a in enumerate(mine)]
        opt.step(grads)
        for i, tp in enumerate(tps):
            g = None if (t % 7 == 3 and i == 1) else _grad(tp.detach().numpy(), t + i)
            tp.grad = None if g is None else torch.from_numpy(g)
        topt.step()
    for a, tp in zip(mine, tps, strict=True):
        np.testing.assert_allclose(a, tp.detach().numpy(), **_tolerance(name, np.float64))


@pytest.mark.parametrize(("name", "kw"), TORCH_CASES, ids=TORCH_IDS)
def test_state_dicts_load_both_ways_with_torch(name, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s) for s in [(3, 4), (5,)]]
    # fastgd -> torch: 10 steps here, then both continue for 10 from the same state.
    mine = [a.copy() for a in arrays]
    opt = getattr(fastgd, name)(mine, **kw)
    for t in range(10):
        opt.step([_grad(a, t) for a in mine])
    tps = _torch_params(torch, mine)
    topt = getattr(torch.optim, name)(tps, **kw)
    topt.load_state_dict(fastgd.optimizers.to_torch(opt.state_dict()))
    # torch -> fastgd: torch's own state dict (tensors) loads into a fresh fastgd optimizer.
    again = [a.copy() for a in mine]
    clone = getattr(fastgd, name)(again, **kw)
    clone.load_state_dict(topt.state_dict())
    for t in range(10, 20):
        opt.step([_grad(a, t) for a in mine])
        clone.step([_grad(a, t) for a in again])
        for tp in tps:
            tp.grad = torch.from_numpy(_grad(tp.detach().numpy(), t))
        topt.step()
    for a, b, tp in zip(mine, again, tps, strict=True):
        # Bit for bit, but NAdam: torch's mu_product came back as a float32 number.
        np.testing.assert_allclose(a, b, **_tolerance(name, np.float64))
        if name != "NAdam":
            np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, tp.detach().numpy(), **_tolerance(name, np.float64))


# --- written-out sequences (no torch, no reference) -------------------------------------


def test_lion_by_hand():
    # lr 0.1, betas (0.9, 0.99), weight_decay 0.5, from p = [1, -1, 0.5], m = 0:
    # step 1, g = [0.2, -0.4, 0]: u = sign(0.1 g) = [1, -1, 0]; m = 0.01 g;
    #   p - 0.1 (u + 0.5 p) = [0.85, -0.85, 0.475]
    # step 2, g = [-0.01, -0.1, 1]: 0.1 g + 0.9 m = [0.0008, -0.0136, 0.1], u = [1, -1, 1]
    #   (the momentum outvotes the first gradient); m = 0.99 m + 0.01 g
    #   = [0.00188, -0.00496, 0.01]; p = [0.7075, -0.7075, 0.35125]
    p = np.array([1.0, -1.0, 0.5])
    opt = fastgd.Lion(lr=0.1, betas=(0.9, 0.99), weight_decay=0.5)
    opt.step(p, np.array([0.2, -0.4, 0.0]))
    np.testing.assert_allclose(p, [0.85, -0.85, 0.475], rtol=1e-15)
    np.testing.assert_allclose(opt.state_dict()["state"]["exp_avg"], [0.002, -0.004, 0.0])
    opt.step(p, np.array([-0.01, -0.1, 1.0]))
    np.testing.assert_allclose(p, [0.7075, -0.7075, 0.35125], rtol=1e-15)
    np.testing.assert_allclose(
        opt.state_dict()["state"]["exp_avg"], [0.00188, -0.00496, 0.01], rtol=1e-12
    )


def test_rprop_by_hand():
    # lr 0.1: the step size starts at 0.1, grows by 1.2 while the sign holds, halves
    # on a flip (and that step is skipped: prev = 0), and stays after a skip.
    p = np.zeros(1)
    opt = fastgd.Rprop(lr=0.1)
    seen = []
    for g in (1.0, 1.0, -1.0, 0.5):
        opt.step(p, np.array([g]))
        s = opt.state_dict()["state"]
        seen.append((p[0], s["step_size"][0], s["prev"][0]))
    np.testing.assert_allclose(
        seen,
        [(-0.1, 0.1, 1.0), (-0.22, 0.12, 1.0), (-0.22, 0.06, 0.0), (-0.28, 0.06, 0.5)],
        rtol=1e-15,
    )


def test_asgd_eta_and_mu_by_hand():
    # lr 0.1, lambd 0.5, alpha 1, t0 1: eta_1 = lr, then eta_{t+1} = lr / (1 + lambd lr t),
    # mu_{t+1} = 1 / max(1, t - t0); eta and mu are float32 numbers (as torch keeps them).
    p = np.array([2.0])
    opt = fastgd.ASGD(lr=0.1, lambd=0.5, alpha=1.0, t0=1.0)
    assert opt.ax is None
    ax = None
    for t in range(1, 5):
        eta = float(np.float32(0.1 / (1 + 0.05 * (t - 1))))  # t = 1: lr itself, as float32
        mu = 1.0 if t <= 2 else float(np.float32(1 / (t - 2)))
        expected = p * (1 - 0.5 * eta) - eta * 1.0
        ax = expected.copy() if mu == 1 or ax is None else ax + (expected - ax) * mu
        opt.step(p, np.array([1.0]))
        np.testing.assert_allclose(p, expected, rtol=1e-15)
        np.testing.assert_allclose(opt.ax, ax, rtol=1e-15)
    saved = opt.state_dict()
    assert saved["eta"] == float(np.float32(0.1 / (1 + 0.05 * 4)))
    assert saved["mu"] == float(np.float32(1 / 3))


def test_asgd_ax_is_a_copy_in_the_params_shape():
    p = np.ones((2, 3))
    opt = fastgd.ASGD(lr=0.1)
    opt.step(p, np.ones((2, 3)))
    ax = opt.ax
    assert ax.shape == (2, 3)
    np.testing.assert_array_equal(ax, p)  # mu = 1 before t0: ax is theta
    ax[...] = 5.0
    np.testing.assert_array_equal(opt.ax, p)
    with pytest.raises(AttributeError):
        opt.ax = ax
    # With parameter groups: one per array, None before its first step.
    a, b = np.ones(2), np.ones(3)
    groups = fastgd.ASGD([a, b], lr=0.1)
    groups.step([np.ones(2), None])
    got = groups.ax
    assert got[1] is None
    np.testing.assert_array_equal(got[0], a)


# --- Adafactor: factored moments follow the shape ---------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(), (1,), (7,), (1, 1), (5, 1), (1, 6), (4, 6), (3, 2, 5)])
def test_adafactor_matches_the_reference_in_every_shape(shape, dtype):
    opt = fastgd.Adafactor(lr=0.05, weight_decay=0.1)
    oracle = ref.OptimizerReference(opt.kind, **opt._hyper)
    p = np.asarray(np.random.default_rng(3).standard_normal(shape), dtype=dtype)
    q = p.copy()
    for t in range(30):
        opt.step(p, _grad(p, t))
        oracle.step(q, _grad(q, t))
    tol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(p, q, rtol=tol, atol=tol)
    saved = opt.state_dict()
    assert saved["shape"] == shape
    for name, value in saved["state"].items():
        np.testing.assert_allclose(value, oracle.state[name], rtol=tol, atol=tol)


def test_adafactor_state_shapes_are_torchs():
    opt = fastgd.Adafactor()
    assert opt.state_names() == []
    p = np.ones((2, 3, 4))
    opt.step(p, np.ones((2, 3, 4)))
    saved = opt.state_dict()
    assert {k: v.shape for k, v in saved["state"].items()} == {
        "row_var": (2, 3, 1),
        "col_var": (2, 1, 4),
    }
    assert opt.state_names() == ["row_var", "col_var"]
    v = fastgd.Adafactor()
    v.step(np.ones(5), np.ones(5))
    assert list(v.state_dict()["state"]) == ["variance"]


def test_adafactor_a_long_array_steps_whole():
    """One piece, however long (no split into blocks: the norms are of the whole)."""
    n = 300_001
    rng = np.random.default_rng(4)
    for shape in [(n,), (3, n // 3)]:
        p = rng.standard_normal(shape)
        q = p.copy()
        opt = fastgd.Adafactor()
        oracle = ref.OptimizerReference("adafactor", **opt._hyper)
        for t in range(3):
            opt.step(p, _grad(p, t))
            oracle.step(q, _grad(q, t))
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-14)
        big = fastgd.Adafactor([p.copy(), np.ones(3)])
        q2 = [p.copy(), np.ones(3)]
        single = fastgd.Adafactor()
        big.step([_grad(p, 0), np.ones(3)])
        single.step(q2[0], _grad(p, 0))
        np.testing.assert_array_equal(big.param_groups[0]["params"][0], q2[0])


def test_adafactor_state_round_trip_and_shape_checks():
    p = np.random.default_rng(5).standard_normal((4, 3))
    opt = fastgd.Adafactor(lr=0.05)
    for t in range(5):
        opt.step(p, _grad(p, t))
    saved = opt.state_dict()
    clone, q = fastgd.Adafactor(lr=0.05), p.copy()
    clone.load_state_dict(saved)
    for t in range(5, 10):
        opt.step(p, _grad(p, t))
        clone.step(q, _grad(q, t))
    np.testing.assert_array_equal(p, q)
    # A state for (4, 3) does not step a (3, 4) array, nor a flat one of 12.
    for other in (np.ones((3, 4)), np.ones(12)):
        fresh = fastgd.Adafactor(lr=0.05)
        fresh.load_state_dict(saved)
        before = other.copy()
        with pytest.raises(ValueError, match=r"Adafactor state is for shape \(4, 3\)"):
            fresh.step(other, np.ones(other.shape))
        np.testing.assert_array_equal(other, before)
    for bad, match in [
        (dict(saved, shape=(3, 4)), "must have shape"),
        (dict(saved, shape=(12,)), "must have the arrays"),
        (dict(saved, shape="12"), "parameters' shape"),
        (dict(saved, size=13), r"state\['size'\] must be 12"),
        (
            dict(saved, state=dict(saved["state"], row_var=-saved["state"]["row_var"])),
            ">= 0",
        ),
        (dict(saved, extra=1), "unknown keys"),
    ]:
        with pytest.raises(ValueError, match=match):
            fastgd.Adafactor(lr=0.05).load_state_dict(bad)


def test_adafactor_live_options_keep_the_factored_state():
    w = np.ones((3, 4))
    opt = fastgd.Adafactor([w], lr=0.05)
    opt.step([np.ones((3, 4))])
    opt.param_groups[0]["weight_decay"] = 0.1  # live: no change to the state arrays
    opt.step([np.ones((3, 4))])
    assert opt.state_dict()["state"][0]["step"] == 2
    single = fastgd.Adafactor(lr=0.05)
    v = np.ones(4)
    single.step(v, np.ones(4))
    single.lr = 0.01
    single.step(v, np.ones(4))
    assert single.state_dict()["step"] == 2


def test_adafactor_eps1_none_is_the_dtypes_epsilon():
    """eps1 clamps V from below by eps1^2: with a zero gradient somewhere, the update
    there is 0 / eps1 = 0 either way, but the mean of R is clamped by eps1 itself."""
    for dtype in (np.float32, np.float64):
        auto = fastgd.Adafactor()
        given = fastgd.Adafactor(eps=(float(np.finfo(dtype).eps), 1e-3))
        p, q = np.ones((2, 3), dtype), np.ones((2, 3), dtype)
        for t in range(4):
            g = (1e-6 * np.arange(6).reshape(2, 3) * (t + 1)).astype(dtype)
            auto.step(p, g)
            given.step(q, g)
        np.testing.assert_array_equal(p, q)


# --- options, names, paths ----------------------------------------------------------------


def test_torch_defaults_and_names():
    assert fastgd.Rprop().hyperparameters == dict(
        lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False
    )
    assert fastgd.ASGD().hyperparameters == dict(
        lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False
    )
    assert fastgd.Lion().hyperparameters == dict(
        lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, maximize=False
    )
    assert fastgd.Adafactor().hyperparameters == dict(
        lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, maximize=False
    )
    for cls in (fastgd.Adam, fastgd.NAdam, fastgd.RAdam):
        assert cls().hyperparameters["decoupled_weight_decay"] is False
        assert cls(decoupled_weight_decay=True).hyperparameters["decoupled_weight_decay"]
    assert "decoupled_weight_decay" not in fastgd.AdamW().hyperparameters
    assert fastgd.Rprop().state_names() == ["prev", "step_size"]
    assert fastgd.ASGD().state_names() == ["ax"]
    assert fastgd.Lion().state_names() == ["exp_avg"]
    for name in ("rprop", "asgd", "lion", "adafactor"):
        assert name in fastgd.optimizer_names.OPTIMIZER_NAMES
    torch = pytest.importorskip("torch")
    p = [torch.nn.Parameter(torch.zeros(2))]
    for name in ("Rprop", "ASGD", "Adafactor"):
        theirs = dict(getattr(torch.optim, name)(p).defaults)
        mine = getattr(fastgd, name)().hyperparameters
        assert {k: theirs[k] for k in mine} == mine


def test_adamw_is_adam_with_decoupled_weight_decay():
    p, q = np.linspace(-1, 1, 9), np.linspace(-1, 1, 9)
    a = fastgd.AdamW(lr=0.01, weight_decay=0.1)
    b = fastgd.Adam(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)
    for t in range(20):
        a.step(p, _grad(p, t))
        b.step(q, _grad(q, t))
    np.testing.assert_array_equal(p, q)
    # Their states are for different options: one does not load into the other.
    with pytest.raises(ValueError, match="hyperparameters"):
        fastgd.Adam(lr=0.01, weight_decay=0.1).load_state_dict(b.state_dict())


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: fastgd.Rprop(etas=(1.2, 0.5)), ValueError, "Invalid eta values: 1.2, 0.5"),
        (lambda: fastgd.Rprop(etas=(0.5, 1.0)), ValueError, "Invalid eta values"),
        (lambda: fastgd.Rprop(etas=0.5), TypeError, "etas must be a pair"),
        (lambda: fastgd.Rprop(step_sizes=(1.0, 0.1)), ValueError, "Invalid step_sizes"),
        (lambda: fastgd.Rprop(step_sizes=(0.0, np.inf)), ValueError, "Invalid step_sizes"),
        (lambda: fastgd.Rprop(weight_decay=0.1), TypeError, "weight_decay"),
        (lambda: fastgd.Rprop(lr=-1.0), ValueError, "Invalid lr"),
        (lambda: fastgd.ASGD(lambd=-1.0), ValueError, "Invalid lambd"),
        (lambda: fastgd.ASGD(alpha="x"), TypeError, "alpha must be a real number"),
        (lambda: fastgd.ASGD(t0=np.nan), ValueError, "Invalid t0"),
        (lambda: fastgd.Lion(betas=(1.0, 0.99)), ValueError, "Invalid beta1"),
        (lambda: fastgd.Lion(weight_decay=-1.0), ValueError, "Invalid weight_decay"),
        (
            lambda: fastgd.Adafactor(beta2_decay=0.5),
            ValueError,
            "beta2_decay should be <= 0 but is: 0.5",
        ),
        (lambda: fastgd.Adafactor(eps=(-1.0, 1e-3)), ValueError, "epsilon1 should be >= 0"),
        (lambda: fastgd.Adafactor(eps=(None, -1.0)), ValueError, "epsilon2 should be >= 0"),
        (lambda: fastgd.Adafactor(eps=1e-3), TypeError, "eps must be a pair"),
        (lambda: fastgd.Adafactor(d=0.5), ValueError, "Clipping threshold d should be >= 1"),
        (lambda: fastgd.Adafactor(weight_decay=-0.1), ValueError, "weight_decay should be >= 0"),
        (
            lambda: fastgd.Adam(decoupled_weight_decay=1),
            TypeError,
            "decoupled_weight_decay must be True or False",
        ),
        (
            lambda: fastgd._core.Optimizer("rprop", {"etas": (0.5,)}),
            TypeError,
            "etas must be a pair",
        ),
        (
            lambda: fastgd._core.Optimizer("rprop", {"etas": (0.5, "x")}),
            TypeError,
            r"etas\[1\] must be a real number",
        ),
        (
            lambda: fastgd._core.Optimizer("adafactor", {"eps": (None, np.nan)}),
            ValueError,
            "eps2",
        ),
        (lambda: fastgd._core.Optimizer("asgd", {"t0": np.inf}), ValueError, "t0 must be"),
    ],
)
def test_hyperparameter_checks(make, error, match):
    with pytest.raises(error, match=match) as info:
        make()
    assert "Unable to cast" not in str(info.value)


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (dict(eta=float("nan")), ValueError, r"state\['eta'\] must be a finite number >= 0"),
        (dict(eta=-1.0), ValueError, r"state\['eta'\]"),
        (dict(mu=-0.5), ValueError, r"state\['mu'\] must be a number in \[0, 1\]"),
        (dict(mu=1.5), ValueError, r"state\['mu'\]"),
        (dict(mu="1"), TypeError, r"state\['mu'\] must be a real number"),
        (dict(eta=10**400), ValueError, r"state\['eta'\]"),
    ],
)
def test_asgd_hostile_states_are_refused_and_change_nothing(bad, error, match):
    p = np.linspace(-1, 1, 4)
    opt = fastgd.ASGD(lr=0.1, t0=1)
    for t in range(3):
        opt.step(p, _grad(p, t))
    before = opt.state_dict()
    with pytest.raises(error, match=match):
        opt.load_state_dict(dict(before, **bad))
    missing = {k: x for k, x in before.items() if k != "eta"}
    with pytest.raises(ValueError, match=r"state\['eta'\] .* is missing"):
        opt.load_state_dict(missing)
    after = opt.state_dict()
    assert (after["eta"], after["mu"], after["step"]) == (
        before["eta"],
        before["mu"],
        before["step"],
    )
    np.testing.assert_array_equal(after["state"]["ax"], before["state"]["ax"])


def test_the_core_checks_the_extras_too():
    core = fastgd._core.Optimizer("adafactor", fastgd.Adafactor()._core_hyper())
    for extras, error, match in [
        ({"shape": (2, 2)}, ValueError, "shape"),
        ({"shape": [3]}, TypeError, "tuple"),
        ({"shape": (-3,)}, ValueError, ">= 0"),
        ({"shape": (2**62, 2**62)}, ValueError, "shape"),
        ("shape", TypeError, "extras must be a dict"),
    ]:
        with pytest.raises(error, match=match):
            core.load_state(1, 1.0, [np.zeros(3)], "float64", 3, extras)
        assert core.state() is None
    asgd = fastgd._core.Optimizer("asgd", fastgd.ASGD()._core_hyper())
    with pytest.raises(ValueError, match="eta"):
        asgd.load_state(1, 1.0, [np.zeros(3)], "float64", 3, {"eta": float("inf"), "mu": 1.0})
    assert asgd.state() is None


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
@pytest.mark.parametrize("name", ["ASGD", "Adafactor"])
def test_pickling_keeps_the_extras(name, how):
    p = np.random.default_rng(6).standard_normal((3, 4))
    opt = getattr(fastgd, name)(**({"t0": 2} if name == "ASGD" else {}))
    for t in range(6):
        opt.step(p, _grad(p, t))
    clone = pickle.loads(pickle.dumps(opt)) if how == "pickle" else copy.deepcopy(opt)
    q = p.copy()
    for t in range(6, 12):
        opt.step(p, _grad(p, t))
        clone.step(q, _grad(q, t))
    np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("name", ["rprop", "asgd", "lion", "adafactor"])
def test_fit_least_squares_takes_the_new_rules_and_matches_the_reference(name):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((60, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    kw = dict(optimizer=name, lr=0.05, batch_size=8, max_iter=5, tol=None, random_state=1)
    got = fastgd.fit_least_squares(X, y, **kw)
    want = ref.fit_least_squares(
        X, y, name, lr=0.05, batch_size=8, max_iter=5, tol=None, random_state=1
    )
    np.testing.assert_allclose(got.coef, want.coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.intercept, want.intercept, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["asgd", "rprop", "adafactor", "lion"])
def test_partial_fit_carries_the_state_of_the_new_rules(name):
    """k partial_fit calls are one fit of k epochs, bit for bit: ASGD's eta and mu
    (here past t0, so mu changes) travel with its array."""
    pytest.importorskip("sklearn")
    from fastgd.estimator import GDRegressor

    rng = np.random.default_rng(8)
    X = rng.standard_normal((64, 3))
    y = X @ np.array([1.0, 2.0, -1.0]) + 0.5
    params = {"t0": 5} if name == "asgd" else None
    kw = dict(optimizer=name, lr=0.05, batch_size=16, shuffle=False, optimizer_params=params)
    whole = GDRegressor(max_iter=6, tol=None, **kw).fit(X, y)
    stream = GDRegressor(**kw)
    for _ in range(6):
        stream.partial_fit(X, y)
    np.testing.assert_array_equal(stream.coef_, whole.coef_)
    assert stream.intercept_ == whole.intercept_


def test_minimize_and_race_take_the_new_rules():
    # gtol above Rprop's smallest step (1e-6), which it oscillates by at the end.
    r = fastgd.minimize(
        "sphere", [1.0, -2.0], optimizer="rprop", lr=0.01, max_iter=5000, tol=1e-12, gtol=1e-4
    )
    assert r.status == "converged"
    results = fastgd.race(
        "sphere", [1.0, -2.0], optimizers=["rprop", "asgd", "lion", "adafactor"], max_iter=50
    )
    assert [x.optimizer for x in results] == ["rprop", "asgd", "lion", "adafactor"]
    assert all(np.isfinite(x.fun) for x in results)


def test_rprops_skipped_step_is_not_a_stall():
    """After a sign flip Rprop skips that coordinate's step (torch's rule): when every
    coordinate flips at once the step is exactly 0, which minimize's short-step rule
    must not take for a stall."""
    x0 = np.array([0.0])
    f = lambda x: (float((x[0] - 0.05) ** 2), 2 * (x - 0.05))
    # Step 1 goes to 0.1 (past 0.05); step 2 sees the gradient flip: a step of 0.
    r = fastgd.minimize(f, x0, optimizer=fastgd.Rprop(lr=0.1), max_iter=5000, tol=1e-9, gtol=1e-4)
    assert r.status == "converged"
    assert r.nit > 2
    assert r.x[0] == pytest.approx(0.05, abs=1e-5)


def test_asgd_mu_may_underflow_to_zero_and_its_state_still_loads():
    # mu = 1 / max(1, t - t0) as a float32 number: 0 for t0 = -1e300 (torch's too).
    p = np.linspace(-1, 1, 5)
    opt = fastgd.ASGD(lr=0.1, t0=-1e300)
    for t in range(3):
        opt.step(p, _grad(p, t))
    saved = opt.state_dict()
    assert saved["mu"] == 0.0
    ax = opt.ax.copy()
    clone, q = fastgd.ASGD(lr=0.1, t0=-1e300), p.copy()
    clone.load_state_dict(saved)
    opt.step(p, _grad(p, 3))
    clone.step(q, _grad(q, 3))
    np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(opt.ax, ax)  # mu = 0: the average no longer moves


@pytest.mark.parametrize("name", ["ASGD", "Adafactor", "Rprop", "Lion"])
def test_an_optimizer_shared_by_threads_steps_as_one_serial_order(name):
    """Each call runs whole under the optimizer's lock: 4 threads x 5 steps with the
    same gradient give what 20 serial steps give, while other threads read the state
    (the arrays are long enough for the step to release the GIL)."""
    import threading

    shape = (3, 100_000)
    g = np.random.default_rng(9).standard_normal(shape)
    p, q = np.ones(shape), np.ones(shape)
    shared, alone = getattr(fastgd, name)(), getattr(fastgd, name)()
    errors: list[BaseException] = []

    def stepper() -> None:
        try:
            for _ in range(5):
                shared.step(p, g)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(10):
                saved = shared.state_dict()
                if saved["step"]:
                    assert saved["dtype"] == "float64"
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=stepper) for _ in range(4)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for _ in range(20):
        alone.step(q, g)
    np.testing.assert_array_equal(p, q)
    assert shared.state_dict()["step"] == 20
