"""One optimizer step at 10^3, 10^5 and 10^7 parameters: fastgd against the NumPy
reference, and Adam / SGD with momentum at 10^7 float32 against torch.optim when
torch is installed (default, foreach=True and fused=True paths)."""

from __future__ import annotations

import numpy as np
import pytest

from fastgd import reference as ref
from fastgd.optimizers import RULES

SIZES = [10**3, 10**5, 10**7]
CONFIGS = {
    "sgd-momentum": ("sgd", dict(lr=0.01, momentum=0.9)),
    "adam": ("adam", {}),
    "adamw": ("adamw", {}),
    "adagrad": ("adagrad", {}),
    "rmsprop": ("rmsprop", {}),
    "adadelta": ("adadelta", {}),
    "adamax": ("adamax", {}),
    "nadam": ("nadam", {}),
    "radam": ("radam", {}),
}


def _arrays(n, dtype):
    rng = np.random.default_rng(0)
    return rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)


def _check_one_step(config, n, dtype):
    name, kw = CONFIGS[config]
    p, g = _arrays(min(n, 10**5), dtype)
    q = p.copy()
    opt = RULES[name](**kw)
    oracle = ref.OptimizerReference(opt.kind, **opt._hyper)
    for _ in range(3):
        opt.step(p, g)
        oracle.step(q, g)
    np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)


STEP_CASES = [(config, n, np.float32) for config in CONFIGS for n in SIZES] + [
    (config, 10**7, np.float64) for config in ("adam", "sgd-momentum")
]


@pytest.mark.parametrize(
    ("config", "n", "dtype"),
    STEP_CASES,
    ids=[f"{c}-{n}-{np.dtype(d).name}" for c, n, d in STEP_CASES],
)
@pytest.mark.parametrize("role", ["fastgd", "baseline"])
def test_step(benchmark, config, n, dtype, role):
    _check_one_step(config, n, dtype)
    name, kw = CONFIGS[config]
    p, g = _arrays(n, dtype)
    benchmark.group = f"step {config} n={n} {np.dtype(dtype).name}"
    benchmark.extra_info.update(role=role)
    if role == "fastgd":
        opt = RULES[name](**kw)
        opt.step(p, g)  # allocate the state outside the timing
        benchmark(opt.step, p, g)
    else:
        opt = RULES[name](**kw)
        oracle = ref.OptimizerReference(opt.kind, **opt._hyper)
        oracle.step(p, g)
        benchmark.pedantic(
            oracle.step, args=(p, g), rounds=5 if n == 10**7 else 50, warmup_rounds=1
        )
    assert np.isfinite(p).all()


@pytest.mark.parametrize("variant", ["default", "foreach", "fused"])
@pytest.mark.parametrize("config", ["adam", "sgd-momentum"])
def test_step_torch(benchmark, config, variant):
    torch = pytest.importorskip("torch")
    n = 10**7
    p_np, g_np = _arrays(n, np.float32)
    param = torch.nn.Parameter(torch.from_numpy(p_np.copy()))
    param.grad = torch.from_numpy(g_np.copy())
    name, kw = CONFIGS[config]
    extra = (
        {"foreach": variant == "foreach", "fused": variant == "fused"}
        if variant != "default"
        else {}
    )
    if config == "adam":
        opt = torch.optim.Adam([param], lr=1e-3, **extra)
    else:
        opt = torch.optim.SGD([param], lr=0.01, momentum=0.9, **extra)
    benchmark.group = f"step {config} n={n} float32"
    benchmark.extra_info.update(role=f"torch-{variant}")
    opt.step()
    benchmark(opt.step)
    # Same rule: one step from the same start agrees with fastgd's.
    mine = RULES[name](**kw)
    p2 = p_np.copy()
    mine.step(p2, g_np)
    param2 = torch.nn.Parameter(torch.from_numpy(p_np.copy()))
    param2.grad = torch.from_numpy(g_np.copy())
    opt2 = type(opt)([param2], **{k: v for k, v in opt.defaults.items() if k in ("lr", "momentum")})
    opt2.step()
    np.testing.assert_allclose(param2.detach().numpy(), p2, rtol=1e-5, atol=1e-6)


# Bytes an update moves per parameter: arrays read plus arrays written.
TRAFFIC_ARRAYS = {"adam": 4 + 3, "sgd-momentum": 3 + 2}


@pytest.mark.parametrize("config", list(TRAFFIC_ARRAYS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_step_against_memory_traffic_bound(benchmark, config, dtype):
    """Times the step and, in the same group, an in-place a += q*b over the same
    number of elements; report.py shows both, and the bound is
    traffic_arrays / 3 * t(axpy) (axpy moves three arrays)."""

    n = 10**7
    name, kw = CONFIGS[config]
    p, g = _arrays(n, dtype)
    opt = RULES[name](**kw)
    opt.step(p, g)
    benchmark.group = f"traffic {config} n={n} {np.dtype(dtype).name}"
    benchmark.extra_info.update(role="fastgd", arrays_moved=TRAFFIC_ARRAYS[config])
    benchmark(opt.step, p, g)
    assert np.isfinite(p).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("config", list(TRAFFIC_ARRAYS))
def test_in_place_axpy_ceiling(benchmark, config, dtype):
    from fastgd import _core

    n = 10**7
    a, b = _arrays(n, dtype)
    before = a.copy()
    benchmark.group = f"traffic {config} n={n} {np.dtype(dtype).name}"
    benchmark.extra_info.update(role="ceiling", arrays_moved=3)
    benchmark.pedantic(_core._testing.stream_axpy, args=(a, b, 1e-9), rounds=20, iterations=1)
    np.testing.assert_allclose(a, before + 20 * 1e-9 * b.astype(np.float64), rtol=1e-5)


def test_step_on_two_elements(benchmark):
    p, g = np.ones(2), np.full(2, 0.5)
    opt = RULES["adam"]()
    benchmark.group = "step adam n=2 float64 (from Python)"
    benchmark.extra_info.update(role="fastgd")
    benchmark(opt.step, p, g)
    assert np.isfinite(p).all()
