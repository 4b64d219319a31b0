"""One Adam step over many float32 arrays (parameter groups): fastgd's one compiled
call against torch.optim.Adam's default path and fused=True, on the same threads.

- MLP-shaped: 784x1024, 1024, 1024x1024, 1024, 1024x10, 10 (1.86M parameters);
- transformer-block-shaped: 4 blocks of width 640 plus a final norm, 50 arrays, 19.7M;
- 200 arrays of 100 elements: the overhead of one step.

    pip install ".[bench,torch]" && python -m pytest bench/test_bench_param_groups.py \\
        --benchmark-json=pg.json && python bench/report.py pg.json

Each case checks first that fastgd's step equals torch's (same rule, same arrays).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import fastgd


def _mlp():
    return [(784, 1024), (1024,), (1024, 1024), (1024,), (1024, 10), (10,)]


def _transformer(width=640, blocks=4):
    block = [
        (width,),
        (width,),  # norm 1
        (width, 3 * width),
        (3 * width,),  # qkv
        (width, width),
        (width,),  # attention out
        (width,),
        (width,),  # norm 2
        (width, 4 * width),
        (4 * width,),  # mlp in
        (4 * width, width),
        (width,),  # mlp out
    ]
    return block * blocks + [(width,), (width,)]


SHAPES = {"mlp": _mlp(), "transformer": _transformer(), "200x100": [(100,)] * 200}


def _arrays(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def _torch_adam(torch, params, grads, variant):
    tensors = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    for t, g in zip(tensors, grads, strict=True):
        t.grad = torch.from_numpy(g.copy())
    extra = {"fused": True} if variant == "fused" else {}
    return tensors, torch.optim.Adam(tensors, lr=1e-3, **extra)


@pytest.mark.parametrize("case", list(SHAPES))
@pytest.mark.parametrize("role", ["fastgd", "torch-default", "torch-fused"])
def test_adam_step_many_arrays(benchmark, case, role):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(fastgd.get_num_threads())
    params, grads = _arrays(SHAPES[case], 0), _arrays(SHAPES[case], 1)
    n = sum(p.size for p in params)
    benchmark.group = f"adam step, {case}: {len(params)} arrays, {n} float32"
    benchmark.extra_info.update(role=role, baseline=role == "torch-fused", arrays_moved=7)
    # The same first steps agree (float32, same rule): a fast wrong step fails here.
    mine = [p.copy() for p in params]
    opt = fastgd.Adam(mine, lr=1e-3)
    tensors, ref = _torch_adam(torch, params, grads, "fused")
    for _ in range(2):
        opt.step(grads)
        ref.step()
    for a, t in zip(mine, tensors, strict=True):
        np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-5, atol=1e-6)
    # torch's OpenMP workers spin for a while after a parallel region (as OpenBLAS's do):
    # let them sleep before anything is timed.
    time.sleep(0.5)
    if role == "fastgd":
        benchmark(opt.step, grads)
    else:
        _tensors, topt = _torch_adam(torch, params, grads, role.split("-")[1])
        topt.step()  # state allocated outside the timing
        benchmark(topt.step)


@pytest.mark.parametrize("case", ["mlp", "transformer"])
def test_in_place_traffic_ceiling(benchmark, case):
    """In the same group: an in-place a += q*b over as many float32 elements (three
    arrays moved). An Adam step moves seven (p, g, m, v read; p, m, v written), so its
    memory-traffic bound is 7/3 of this time; report.py shows the step against it."""
    from fastgd import _core

    params, grads = _arrays(SHAPES[case], 0), _arrays(SHAPES[case], 1)
    n = sum(p.size for p in params)
    a, b = np.concatenate([p.ravel() for p in params]), np.concatenate([g.ravel() for g in grads])
    benchmark.group = f"adam step, {case}: {len(params)} arrays, {n} float32"
    benchmark.extra_info.update(role="ceiling", arrays_moved=3)
    benchmark.pedantic(_core._testing.stream_axpy, args=(a, b, 1e-9), rounds=30, iterations=1)
