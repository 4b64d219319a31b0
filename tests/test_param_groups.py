"""Parameter groups (issue 13): torch.optim's three forms of params, one compiled step
for many arrays, live hyperparameters, torch's state_dict both ways, closures, and
refused steps that change nothing. Parity with torch 2.13 where it is installed; the
NumPy reference (each array in turn) everywhere."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref
from fastgd.optimizers import RULES, to_torch

from .test_optimizers import IDS, TABLE

TORCH_NAMES = {
    "sgd": "SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
    "nadam": "NAdam",
    "radam": "RAdam",
}
SHAPES = [(7, 5), (5,), (3, 4, 2), (1,), (70_000,)]  # the long one is split over threads


def _arrays(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def _grads(params, t, skip=None):
    """Gradients with feedback and deterministic noise; None for the index `skip`."""
    rng = np.random.default_rng(1000 + t)
    out = []
    for i, p in enumerate(params):
        g = (1.5 * (p - 0.5) + 0.3 * rng.standard_normal(p.shape)).astype(p.dtype)
        out.append(None if i == skip else g)
    return out


def _tol(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("name", "kw"), TABLE, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_list_of_arrays_matches_the_reference_per_array(name, kw, dtype):
    params = _arrays(dtype)
    copies = [p.copy() for p in params]
    opt = RULES[name](params, **kw)
    oracles = [ref.OptimizerReference(opt.kind, **RULES[name](**kw)._hyper) for _ in params]
    for t in range(25):
        skip = 1 if t % 5 == 3 else None  # a None grad skips that array (its step count too)
        grads = _grads(params, t, skip)
        assert opt.step(grads) is None
        for q, g, oracle in zip(copies, grads, oracles, strict=True):
            if g is not None:
                oracle.step(q, g)
    for p, q in zip(params, copies, strict=True):
        np.testing.assert_allclose(p, q, **_tol(dtype))
        assert p.dtype == dtype
    steps = [opt.state_dict()["state"][i]["step"] for i in range(len(params))]
    assert steps == [25, 20, 25, 25, 25]


def _torch_pair(name, dtype, group_kw, n_groups=2):
    """fastgd and torch optimizers over the same arrays in `n_groups` groups."""
    torch = pytest.importorskip("torch")
    params = _arrays(dtype, seed=3)
    tensors = [torch.tensor(p.copy()) for p in params]
    split = [params[:2], params[2:]] if n_groups == 2 else [params]
    tsplit = [tensors[:2], tensors[2:]] if n_groups == 2 else [tensors]
    fg = [dict(params=ps, **kw) for ps, kw in zip(split, group_kw, strict=False)]
    tg = [dict(params=ts, **kw) for ts, kw in zip(tsplit, group_kw, strict=False)]
    return torch, params, tensors, fg, tg


@pytest.fixture(autouse=True)
def _torch_scalars_in_double(request):
    """torch keeps some per-array scalars (NAdam's mu_product) in its default dtype,
    float32, which fastgd keeps in double: for the float64 parity tests torch's
    default dtype is float64, so both compute them alike."""
    dtype = request.node.callspec.params.get("dtype") if hasattr(request.node, "callspec") else None
    try:
        import torch
    except ImportError:
        yield
        return
    old = torch.get_default_dtype()
    if dtype in (np.float64, None):
        torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def _step_torch(torch, opt, tensors, grads):
    for t, g in zip(tensors, grads, strict=True):
        t.grad = None if g is None else torch.tensor(g)
    opt.step()


# Group options that differ per group (lr and weight decay), per rule.
GROUPS = {
    "sgd": [
        dict(lr=0.05, momentum=0.9),
        dict(lr=0.02, momentum=0.9, weight_decay=0.1, nesterov=True),
    ],
    "adam": [dict(lr=0.01), dict(lr=0.003, weight_decay=0.05, amsgrad=True)],
    "adamw": [dict(lr=0.01), dict(lr=0.003, weight_decay=0.1)],
    "adagrad": [dict(lr=0.05), dict(lr=0.02, lr_decay=0.01, weight_decay=0.01)],
    "rmsprop": [dict(lr=0.01), dict(lr=0.005, weight_decay=0.01, momentum=0.5, centered=True)],
    "adadelta": [dict(lr=1.0), dict(lr=0.5, weight_decay=0.01, rho=0.95)],
    "adamax": [dict(lr=0.01), dict(lr=0.004, weight_decay=0.05)],
    "nadam": [dict(lr=0.01), dict(lr=0.004, weight_decay=0.05, momentum_decay=0.01)],
    "radam": [dict(lr=0.01), dict(lr=0.004, weight_decay=0.05)],
}


@pytest.mark.parametrize("name", sorted(GROUPS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_groups_step_by_step_parity_with_torch(name, dtype):
    torch, params, tensors, fg, tg = _torch_pair(name, dtype, GROUPS[name])
    ours = RULES[name](fg)
    theirs = getattr(torch.optim, TORCH_NAMES[name])(tg)
    for t in range(40):
        grads = _grads(params, t, skip=0 if t % 7 == 6 else None)
        ours.step(grads)
        _step_torch(torch, theirs, tensors, grads)
        for p, q in zip(params, tensors, strict=True):
            np.testing.assert_allclose(p, q.numpy(), **_tol(dtype))


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_live_lr_and_options_follow_torch(name):
    torch, params, tensors, fg, tg = _torch_pair(name, np.float64, GROUPS[name])
    ours = RULES[name](fg)
    theirs = getattr(torch.optim, TORCH_NAMES[name])(tg)
    for t in range(30):
        if t == 10:
            for g in (*ours.param_groups, *theirs.param_groups):
                g["lr"] *= 0.3
        if t == 20:
            for g in (ours.param_groups[1], theirs.param_groups[1]):
                g["weight_decay"] = 0.2
        grads = _grads(params, t)
        ours.step(grads)
        _step_torch(torch, theirs, tensors, grads)
    for p, q in zip(params, tensors, strict=True):
        np.testing.assert_allclose(p, q.numpy(), **_tol(np.float64))


def test_dict_params_take_grads_by_name_and_list_equally():
    W1, b1 = np.ones((3, 2)), np.zeros(2)
    named = fastgd.Adam({"W1": W1, "b1": b1}, lr=0.1)
    assert named.param_groups[0]["param_names"] == ["W1", "b1"]
    V1, c1 = np.ones((3, 2)), np.zeros(2)
    listed = fastgd.Adam([V1, c1], lr=0.1)
    for t in range(5):
        g = _grads([W1, b1], t)
        named.step({"b1": g[1], "W1": g[0]})
        listed.step(g)
    np.testing.assert_array_equal(W1, V1)
    np.testing.assert_array_equal(b1, c1)
    named.step({"W1": np.ones((3, 2))})  # a missing name is skipped, as a None grad
    np.testing.assert_array_equal(b1, c1)
    with pytest.raises(ValueError, match=r"names the params do not: \['W2'\]"):
        named.step({"W2": np.ones(2)})
    with pytest.raises(TypeError, match="params have no names"):
        listed.step({"W1": np.ones((3, 2))})


def test_opt_lr_setter_and_single_group_live_lr():
    p = np.ones(4)
    opt = fastgd.SGD([p], lr=0.1)
    opt.step([np.ones(4)])
    opt.lr = 0.01
    assert opt.param_groups[0]["lr"] == 0.01
    assert opt.lr == 0.01
    opt.step([np.ones(4)])
    np.testing.assert_allclose(p, 1 - 0.1 - 0.01)
    two = fastgd.SGD([{"params": [np.ones(2)]}, {"params": [np.ones(2)], "lr": 0.5}], lr=0.1)
    with pytest.raises(AttributeError, match="several parameter groups"):
        two.lr = 0.3
    # One array stepped by step(params, grad): param_groups[0] is live too.
    q = np.ones(3)
    single = fastgd.Adam(lr=0.1)
    single.step(q, np.ones(3))
    single.param_groups[0]["lr"] = 0.0
    before = q.copy()
    single.step(q, np.ones(3))
    np.testing.assert_array_equal(q, before)  # lr 0: moments move, params do not
    single.lr = 0.1
    single.step(q, np.ones(3))
    assert single.state_dict()["step"] == 3
    assert (q < before).all()


def test_structural_change_after_the_first_step_is_refused_and_changes_nothing():
    p = np.ones(3)
    opt = fastgd.Adam([p], lr=0.1)
    opt.step([np.ones(3)])
    before = _snapshot(opt, [p])
    opt.param_groups[0]["amsgrad"] = True
    with pytest.raises(ValueError, match="state arrays"):
        opt.step([np.ones(3)])
    opt.param_groups[0]["amsgrad"] = False
    _same(before, _snapshot(opt, [p]))
    opt.param_groups[0]["lr"] = -1.0
    with pytest.raises(ValueError, match=r"param_groups\[0\]: Invalid lr"):
        opt.step([np.ones(3)])
    opt.param_groups[0]["lr"] = 0.1
    _same(before, _snapshot(opt, [p]))


def _snapshot(opt, params):
    sd = opt.state_dict()
    return [p.copy() for p in params], copy.deepcopy(sd)


def _same(a, b):
    pa, sa = a
    pb, sb = b
    for x, y in zip(pa, pb, strict=True):
        np.testing.assert_array_equal(x, y)
    assert sa.keys() == sb.keys()
    assert sa["state"].keys() == sb["state"].keys()
    for i in sa["state"]:
        for k in sa["state"][i]:
            np.testing.assert_array_equal(sa["state"][i][k], sb["state"][i][k])


@pytest.mark.parametrize(
    ("make_grads", "error", "match"),
    [
        (
            lambda ps: _grads(ps, 0)[:-1],
            ValueError,
            "grads has 4 entries but the optimizer has 5 arrays",
        ),
        (lambda ps: [*_grads(ps, 0)[:-1], np.ones(3)], ValueError, r"grads\[4\] has shape \(3,\)"),
        (lambda ps: [*_grads(ps, 0)[:-1], "x"], TypeError, r"grads\[4\] must hold real numbers"),
        (lambda ps: np.ones(5), TypeError, "grads must be a list"),
        (lambda ps: 3.0, TypeError, "grads must be a list"),
    ],
    ids=["count", "shape", "not-numbers", "ndarray", "number"],
)
def test_refused_grads_change_nothing(make_grads, error, match):
    params = _arrays(np.float64)
    opt = fastgd.Adam(params, lr=0.1)
    opt.step(_grads(params, 1))
    before = _snapshot(opt, params)
    with pytest.raises(error, match=match):
        opt.step(make_grads(params))
    _same(before, _snapshot(opt, params))


def test_other_arrays_order_or_shapes_are_refused_and_change_nothing():
    params = _arrays(np.float64)
    opt = fastgd.Adam(params, lr=0.1)
    opt.step(_grads(params, 1))
    before = _snapshot(opt, params)
    group = opt.param_groups[0]["params"]
    group[0], group[2] = group[2], group[0]  # another order
    with pytest.raises(ValueError, match=r"params\[0\] has 24 elements but its state has 35"):
        opt.step(_grads(group, 2))
    group[0], group[2] = group[2], group[0]
    group[1] = np.zeros(5)  # another array of the same shape
    with pytest.raises(ValueError, match=r"params\[1\] is not the array its state belongs to"):
        opt.step(_grads(group, 2))
    group[1] = params[1]
    group.append(np.zeros(2))  # one more
    with pytest.raises(ValueError, match="hold 6 arrays but the optimizer's state has 5"):
        opt.step(_grads(group, 2))
    group.pop()
    group[3] = params[3].astype(np.float32)
    with pytest.raises(TypeError, match=r"params\[3\] has dtype float32 but its state is float64"):
        opt.step(_grads(group, 2))
    group[3] = params[3]
    _same(before, _snapshot(opt, params))
    opt.step(_grads(params, 2))  # and it still steps


def test_construction_errors():
    a = np.ones(3)
    with pytest.raises(TypeError, match=r"one numpy\.ndarray; for one array, pass"):
        fastgd.Adam(a, lr=0.1)
    with pytest.raises(TypeError, match="the learning rate is a keyword"):
        fastgd.Adam(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty parameter list"):
        fastgd.Adam([], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        fastgd.Adam([{"params": [a]}, {"params": [a]}])
    with pytest.raises(ValueError, match="more than one parameter group"):
        fastgd.Adam([a, a[1:]])  # shared memory counts
    with pytest.raises(ValueError, match=r"\['params'\]\[0\] must be C-contiguous"):
        fastgd.Adam([np.ones((4, 4))[:, 0]])
    with pytest.raises(TypeError, match=r"param_groups\[1\]: .*unexpected keyword argument 'lrr'"):
        fastgd.Adam([{"params": [a]}, {"params": [np.ones(2)], "lrr": 0.1}])
    with pytest.raises(ValueError, match=r"param_groups\[0\]: Invalid beta1"):
        fastgd.Adam([{"params": [a], "betas": (1.5, 0.9)}])
    with pytest.raises(TypeError, match="mixes parameter-group dicts and arrays"):
        fastgd.Adam([{"params": [a]}, np.ones(2)])
    with pytest.raises(TypeError, match=r"step\(params, grad\) takes the array"):
        fastgd.Adam(lr=0.1).step([np.ones(3)])
    with pytest.raises(TypeError, match="add_param_group needs an optimizer given params"):
        fastgd.Adam(lr=0.1).add_param_group({"params": [a]})


def test_add_param_group_and_its_defaults():
    a, b = np.ones(3), np.ones(2)
    opt = fastgd.SGD([a], lr=0.1, momentum=0.9)
    opt.step([np.ones(3)])
    opt.add_param_group({"params": [b], "lr": 0.5})
    assert opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["lr"] == 0.5
    opt.step([np.ones(3), np.ones(2)])
    np.testing.assert_allclose(b, 0.5)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    assert len(opt.param_groups) == 2


def test_closure_is_called_once_before_the_update_and_returns_its_loss():
    w = np.array([3.0, -2.0])
    opt = fastgd.SGD([w], lr=0.25)
    calls = []

    def closure():
        calls.append(w.copy())
        return float(w @ w), [2 * w]

    assert opt.step(closure) == 13.0
    assert opt.step(closure=closure) == pytest.approx(13.0 / 4)
    np.testing.assert_allclose(calls[0], [3.0, -2.0])
    np.testing.assert_allclose(w, [0.75, -0.5])
    with pytest.raises(TypeError, match=r"closure must return \(loss, grads\)"):
        opt.step(lambda: 1.0)
    with pytest.raises(TypeError, match="grads or a closure, not both"):
        opt.step([np.ones(2)], closure=closure)


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_state_dict_round_trip_restores_options_and_continues_bit_identically(name):
    params = _arrays(np.float64, seed=5)
    twin = [p.copy() for p in params]
    groups = [
        dict(params=params[:2], **GROUPS[name][0]),
        dict(params=params[2:], **GROUPS[name][1]),
    ]
    opt = RULES[name](groups)
    for t in range(8):
        opt.step(_grads(params, t))
    saved = opt.state_dict()
    assert saved["param_groups"][1]["params"] == [2, 3, 4]
    # A fresh optimizer with other options: loading restores the saved ones (torch's rule).
    other = RULES[name]([dict(params=twin[:2]), dict(params=twin[2:])], lr=0.123)
    for a, b in zip(twin, params, strict=True):
        a[...] = b
    other.load_state_dict(saved)
    assert other.param_groups[1]["lr"] == GROUPS[name][1]["lr"]
    for t in range(8, 14):
        opt.step(_grads(params, t))
        other.step(_grads(twin, t))
    for a, b in zip(twin, params, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(GROUPS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_state_dict_interop_with_torch_both_ways(name, dtype):
    torch, params, tensors, fg, tg = _torch_pair(name, dtype, GROUPS[name])
    ours = RULES[name](fg)
    theirs = getattr(torch.optim, TORCH_NAMES[name])(tg)
    for t in range(6):
        grads = _grads(params, t)
        ours.step(grads)
        _step_torch(torch, theirs, tensors, grads)
    # torch -> fastgd: a fresh fastgd optimizer continues where torch left off.
    mirror = [t.numpy().copy() for t in tensors]
    loaded = RULES[name]([dict(params=mirror[:2]), dict(params=mirror[2:])])
    loaded.load_state_dict(theirs.state_dict())
    for i, entry in theirs.state_dict()["state"].items():
        for k, x in entry.items():
            got = loaded.state_dict()["state"][i][k]
            np.testing.assert_array_equal(
                np.asarray(got, dtype=np.float64), x.numpy().astype(np.float64)
            )
    # fastgd -> torch: a fresh torch optimizer continues where fastgd left off.
    back = [torch.tensor(p.copy()) for p in params]
    fresh = getattr(torch.optim, TORCH_NAMES[name])([dict(params=back[:2]), dict(params=back[2:])])
    fresh.load_state_dict(to_torch(ours.state_dict()))
    for t in range(6, 12):
        grads = _grads(params, t)
        ours.step(grads)
        loaded.step(grads)
        _step_torch(torch, theirs, tensors, grads)
        _step_torch(torch, fresh, back, grads)
    for p, m, q, r in zip(params, mirror, tensors, back, strict=True):
        np.testing.assert_allclose(m, q.numpy(), **_tol(dtype))
        np.testing.assert_allclose(r.numpy(), p, **_tol(dtype))


def test_a_refused_load_changes_nothing():
    params = _arrays(np.float64)
    opt = fastgd.Adam(params, lr=0.1)
    opt.step(_grads(params, 0))
    before = _snapshot(opt, params)
    good = opt.state_dict()
    bad = copy.deepcopy(good)
    bad["state"][4]["exp_avg_sq"][3] = -1.0
    with pytest.raises(ValueError, match=r"\['state'\]\[4\]\['exp_avg_sq'\] must be >= 0"):
        opt.load_state_dict(bad)
    bad = copy.deepcopy(good)
    bad["state"][0]["exp_avg"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"has shape \(3,\) but its parameter has shape \(7, 5\)"):
        opt.load_state_dict(bad)
    bad = copy.deepcopy(good)
    bad["param_groups"][0]["lr"] = -3.0
    with pytest.raises(ValueError, match="Invalid lr"):
        opt.load_state_dict(bad)
    bad = copy.deepcopy(good)
    bad["param_groups"][0]["params"] = [0, 1]
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict(bad)
    bad = copy.deepcopy(good)
    bad["state"][9] = {}
    with pytest.raises(ValueError, match="entries for no parameter"):
        opt.load_state_dict(bad)
    _same(before, _snapshot(opt, params))
    assert opt.param_groups[0]["lr"] == 0.1


def test_pickle_and_deepcopy_keep_groups_and_state():
    params = _arrays(np.float32)
    opt = fastgd.RMSprop([dict(params=params[:3], lr=0.01), dict(params=params[3:], momentum=0.5)])
    opt.step(_grads(params, 0))
    for clone in (pickle.loads(pickle.dumps(opt)), copy.deepcopy(opt)):
        mine = [p for g in clone.param_groups for p in g["params"]]
        for a, b in zip(mine, params, strict=True):
            np.testing.assert_array_equal(a, b)
        assert clone.param_groups[1]["momentum"] == 0.5
        clone.step(_grads(mine, 1))
    opt.step(_grads(params, 1))
    np.testing.assert_array_equal(mine[-1], params[-1])


@pytest.mark.parametrize("threads", [1, 2])
def test_threads_give_bitwise_the_same_steps(threads):
    rng = np.random.default_rng(9)
    shapes = [(300_000,), (5,), (70_000, 3), (1,), (100,)] * 3
    base = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    results = []
    old = fastgd.get_num_threads()
    try:
        for k in (1, threads):
            fastgd.set_num_threads(k)
            ps = [b.copy() for b in base]
            opt = fastgd.Adam(ps, lr=0.01, weight_decay=0.01)
            for t in range(3):
                opt.step(_grads(ps, t))
            results.append(ps)
    finally:
        fastgd.set_num_threads(old)
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


def test_mixed_dtypes_and_empty_arrays_step_together():
    a, b, c = np.ones(3, np.float32), np.ones(4), np.ones(0)
    opt = fastgd.SGD([a, b, c], lr=0.5)
    opt.step([np.ones(3), np.ones(4), np.ones(0)])  # float64 grad for a float32 param: converted
    np.testing.assert_array_equal(a, 0.5)
    np.testing.assert_array_equal(b, 0.5)
    assert a.dtype == np.float32


def test_torch_cpu_tensors_through_numpy_are_stepped_in_place():
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.fill_(0.0)
    params = {n: p.detach().numpy() for n, p in model.named_parameters()}
    opt = fastgd.Adam(params, lr=0.1)
    x = torch.ones(4, 3)
    for _ in range(3):
        model.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step({n: p.grad.numpy() for n, p in model.named_parameters()})
    twin = torch.nn.Linear(3, 2)
    with torch.no_grad():
        twin.weight.fill_(1.0)
        twin.bias.fill_(0.0)
    topt = torch.optim.Adam(twin.parameters(), lr=0.1)
    for _ in range(3):
        topt.zero_grad()
        twin(x).pow(2).mean().backward()
        topt.step()
    np.testing.assert_allclose(
        model.weight.detach().numpy(), twin.weight.detach().numpy(), rtol=1e-6
    )
    np.testing.assert_allclose(model.bias.detach().numpy(), twin.bias.detach().numpy(), atol=1e-6)


def test_threads_sharing_one_optimizer_give_a_serial_result():
    """Each step is one locked core call: four threads stepping one optimizer while a
    fifth reads its state give what 80 serial steps give, and every state read sees
    all arrays at the same step."""
    import threading

    shapes = [(300_000,), (50,), (200, 3)]
    params = [np.ones(s, np.float32) for s in shapes]
    twin = [p.copy() for p in params]
    grads = [np.full(s, 0.5, np.float32) for s in shapes]
    opt = fastgd.SGD(params, lr=0.01, momentum=0.9)
    seen, errors = [], []

    def stepper():
        try:
            for _ in range(20):
                opt.step(grads)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def reader():
        while any(t.is_alive() for t in steppers):
            state = opt.state_dict()["state"]
            seen.append({entry["step"] for entry in state.values()})

    steppers = [threading.Thread(target=stepper) for _ in range(4)]
    for t in steppers:
        t.start()
    watcher = threading.Thread(target=reader)
    watcher.start()
    for t in [*steppers, watcher]:
        t.join(timeout=120)
    assert not errors
    serial = fastgd.SGD(twin, lr=0.01, momentum=0.9)
    for _ in range(80):
        serial.step(grads)
    for a, b in zip(params, twin, strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(len(steps) <= 1 for steps in seen)


@pytest.mark.parametrize("form", ["list", "dict"])
@pytest.mark.parametrize("name", sorted(GROUPS))
def test_list_and_dict_params_step_by_step_parity_with_torch(name, form):
    """One group given as a list of arrays, or as a dict by name (torch: named
    parameters), with the first group's options of GROUPS and weight decay."""
    torch = pytest.importorskip("torch")
    params = _arrays(np.float64, seed=11)
    tensors = [torch.tensor(p.copy()) for p in params]
    options = {**GROUPS[name][0], "weight_decay": 0.01}
    names = [f"w{i}" for i in range(len(params))]
    if form == "list":
        ours = RULES[name](params, **options)
        theirs = getattr(torch.optim, TORCH_NAMES[name])(tensors, **options)
    else:
        ours = RULES[name](dict(zip(names, params, strict=True)), **options)
        theirs = getattr(torch.optim, TORCH_NAMES[name])(
            list(zip(names, tensors, strict=True)), **options
        )
    for t in range(30):
        grads = _grads(params, t, skip=2 if t % 6 == 5 else None)
        ours.step(grads if form == "list" else dict(zip(names, grads, strict=True)))
        _step_torch(torch, theirs, tensors, grads)
        for p, q in zip(params, tensors, strict=True):
            np.testing.assert_allclose(p, q.numpy(), **_tol(np.float64))
    if form == "dict":
        assert theirs.state_dict()["param_groups"][0]["param_names"] == names
        assert ours.state_dict()["param_groups"][0]["param_names"] == names
