"""Threads and the instruction-set dispatch (fastgd/_threads.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import fastgd

PROBE = "import warnings, fastgd; print(fastgd.simd_arch())"


def dispatch_under(value: str | None) -> tuple[str, str]:
    """(the instruction set chosen, what the import warned) with FASTGD_ARCH=value."""
    env = {k: v for k, v in os.environ.items() if k != "FASTGD_ARCH"}
    if value is not None:
        env["FASTGD_ARCH"] = value
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip(), done.stderr


def test_an_unset_or_empty_fastgd_arch_means_the_widest_without_a_warning():
    widest, warned = dispatch_under(None)
    if not os.environ.get("FASTGD_ARCH", "").strip():  # this process is not capped either
        assert widest == fastgd.simd_arch()
    assert warned == ""
    for empty in ("", "   "):
        assert dispatch_under(empty) == (widest, "")


def test_a_valid_fastgd_arch_caps_the_dispatch_silently():
    assert dispatch_under("baseline") == ("baseline", "")


@pytest.mark.parametrize("value", ["BASELINE", " baseline", "baseline\n", "Baseline "])
def test_case_and_blanks_are_forgiven_with_a_warning(value):
    chosen, warned = dispatch_under(value)
    assert chosen == "baseline"
    assert "RuntimeWarning" in warned
    assert "read as 'baseline'" in warned
    assert "baseline, avx2, avx512" in warned


@pytest.mark.parametrize("value", ["junk", "avx", "sse4", "avx2,avx512", "0"])
def test_junk_warns_names_the_valid_values_and_uses_the_widest(value):
    widest, _ = dispatch_under(None)
    chosen, warned = dispatch_under(value)
    assert chosen == widest  # not the slowest kernels, silently
    assert "RuntimeWarning" in warned
    assert "is not one of baseline, avx2, avx512" in warned
