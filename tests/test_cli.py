"""python -m fastgd: demo, race, list and bench."""

from __future__ import annotations

import re

import numpy as np
import pytest

from fastgd import objectives
from fastgd.__main__ import main

from .conftest import child_process


def test_list_names_every_objective_and_optimizer(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in objectives.names():
        assert name in out
    assert "adam" in out
    assert "nesterov" in out


def test_demo_writes_every_picture_and_prints_the_tables(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from PIL import Image

    from fastgd.demo import FILES

    out_dir = tmp_path / "pictures"
    assert main(["demo", "--n", "2000", "--d", "3", "--out", str(out_dir)]) == 0
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(FILES)
    for name in FILES:
        with Image.open(out_dir / name) as im:
            assert im.format == ("GIF" if name.endswith(".gif") else "PNG")
            assert im.size[0] > 300
            assert im.size[1] > 200
            if name.endswith(".gif"):
                assert im.n_frames > 10
    captured = capsys.readouterr()
    out = captured.out
    assert f"wrote {len(FILES)} files" in out
    assert "[12/12]" in captured.err  # progress, one line per scene (11 scenes and the table)
    for name in FILES:
        assert name in out
    # The descent table: a row per run drawn, e.g. the dome's run away.
    assert any(
        row.startswith("divergence.png") and "dome" in row and "diverged" in row
        for row in out.splitlines()
    )
    assert "normal equations (analytic)" in out
    for method in (
        "GD (lr=1/L, Gram form)",
        "momentum",
        "Nesterov",
        "SGD, mini-batch 32",
        "SGD, single sample",
    ):
        assert method in out
    assert "converged" in out


def test_race_writes_a_gif(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "race.gif"
    assert (
        main(
            [
                "race",
                "beale",
                "--x0",
                "1,1",
                "--optimizers",
                "gd,adam",
                "--out",
                str(out),
                "--frames",
                "5",
                "--max-iter",
                "200",
            ]
        )
        == 0
    )
    assert out.stat().st_size > 0
    text = capsys.readouterr().out
    assert "gd" in text
    assert "adam" in text


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["race", "nope"], "argument name: unknown objective 'nope'; known: ackley"),
        (["race", "rosenbruck"], r"did you mean 'rosenbrock'\?"),
        (["race", "beale", "--optimizers", "warp"], "unknown optimizer 'warp'"),
        (
            ["race", "beale", "--optimizers", "gd,adm"],
            r"unknown optimizer 'adm' \(did you mean adam",
        ),
        (["race", "beale", "--optimizers", ","], "give at least one optimizer"),
        (["race", "beale", "--lr", "fast"], "argument --lr: 'fast' is not a number"),
        (["race", "beale", "--lr", "nan"], "argument --lr: must be a finite number in"),
        (["race", "beale", "--lr", "-0.1"], "argument --lr: must be a finite number in"),
        (["race", "beale", "--lr", "inf"], "argument --lr: must be a finite number in"),
        (
            ["race", "beale", "--frames", "1000000000"],
            r"--frames: must be an integer in \[2, 500\]",
        ),
        (["race", "beale", "--frames", "0"], r"--frames: must be an integer in \[2, 500\]"),
        (["race", "beale", "--frames", "-5"], "--frames: must be an integer in"),
        (["race", "beale", "--frames", "2.5"], "--frames: '2.5' is not an integer"),
        (["race", "beale", "--max-iter", "0"], "--max-iter: must be an integer in"),
        (["race", "beale", "--max-iter", "1e3"], "--max-iter: '1e3' is not an integer"),
        (["race", "beale", "--max-iter", "100000000000"], "--max-iter: must be an integer in"),
        (["race", "beale", "--x0", "1,a"], "--x0: '1,a' is not a point"),
        (["race", "beale", "--x0", "1,nan"], "NaN or infinite coordinate"),
        (["race", "beale", "--x0", "1,2,3"], "beale is 2-dimensional, but x0 has length 3"),
        (["race", "beale", "--out", "race.png"], "--out: 'race.png' must end in .gif or .mp4"),
        (
            ["race", "beale", "--out", "/nonexistent-dir/race.gif"],
            "the folder '/nonexistent-dir' does not exist",
        ),
        (
            ["race", "sphere", "--x0", "1,2,3", "--out", "r.gif"],
            "--out draws a race on a 2-D surface",
        ),
        (["demo", "--n", "1"], r"argument --n: must be an integer in \[2, 10000000\], got 1"),
        (["demo", "--n", "many"], "argument --n: 'many' is not an integer"),
        (["demo", "--d", "0"], "argument --d: must be an integer in"),
        (["demo", "--seed", "-1"], "argument --seed: must be an integer in"),
        (["demo", "--n", "10000000", "--d", "1000"], "--n times --d must be at most 5e7"),
        (["demo", "--out", "/proc/fastgd-demo"], "argument --out: cannot create the folder"),
        (
            ["demo", "--out", "/proc/self/status"],
            "argument --out: '/proc/self/status' exists and is not a folder",
        ),
    ],
)
def test_bad_arguments_exit_with_a_usage_error(argv, match, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert re.search(match, err), err
    assert "Traceback" not in err
    assert err.startswith("usage:")


def test_race_out_is_checked_before_any_work(tmp_path, capsys, monkeypatch):
    import fastgd

    def no_race(*args, **kwargs):
        raise AssertionError("the race ran before --out was checked")

    monkeypatch.setattr(fastgd, "race", no_race)
    a_file = tmp_path / "file"
    a_file.write_text("")
    for out in (str(tmp_path / "race.png"), str(a_file / "race.gif"), str(tmp_path)):
        with pytest.raises(SystemExit) as exc:
            main(["race", "beale", "--out", out])
        assert exc.value.code == 2
    assert not (tmp_path / "race.png").exists()


def test_demo_out_on_a_file_or_unwritable_path_is_a_usage_error(tmp_path, capsys, monkeypatch):
    from fastgd import demo

    monkeypatch.setattr(demo, "run", lambda *a, **k: pytest.fail("the demo ran"))
    a_file = tmp_path / "file"
    a_file.write_text("")
    for out in (str(a_file), str(a_file / "sub"), "/proc/fastgd-demo"):
        with pytest.raises(SystemExit) as exc:
            main(["demo", "--out", out])
        assert exc.value.code == 2
        assert "argument --out" in capsys.readouterr().err
    # A missing folder is made.
    made = tmp_path / "a" / "b"
    monkeypatch.setattr(demo, "run", lambda *a, **k: [])
    assert main(["demo", "--out", str(made), "--n", "10", "--d", "1"]) == 0
    assert made.is_dir()


def test_the_cli_runs_in_a_child_with_exit_2_and_no_traceback():
    import sys

    argv = [sys.executable, "-m", "fastgd", "race", "beale", "--frames", "1000000000"]
    with child_process(argv) as proc:
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in err
    assert "--frames: must be an integer in [2, 500]" in err


def test_bench_quick_prints_a_row_per_case(monkeypatch, capsys):
    from fastgd import benchmarks

    monkeypatch.setattr(benchmarks, "PAUSE", 0.0)
    assert main(["bench", "--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["case", "fastgd"]
    assert len(lines) == 1 + 5
    for line in lines[1:]:
        assert line.endswith("x")
        assert float(line.split()[-1].rstrip("x")) > 0


def test_info_shows_the_build_and_the_chosen_simd_path(capsys, monkeypatch):
    import fastgd

    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"fastgd:         {fastgd.__version__}" in out
    assert f"simd chosen:    {fastgd.simd_arch()}" in out
    assert "c++ standard:   201703" in out
    assert "scikit-learn:" in out
    info = fastgd.show_config(stream=__import__("io").StringIO())
    assert info["simd chosen"] in info["simd compiled"]
    assert info["threads"] == fastgd.get_num_threads()


def test_a_long_race_records_only_what_the_animation_needs(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    # 3 * 10^6 steps of 12 optimizers would record 1.1 GiB, above the budget; the
    # CLI keeps every 150th iterate.
    out = tmp_path / "race.gif"
    names = ",".join(["gd", "adam"] * 6)
    argv = ["race", "bowl", "--lr", "1e-9", "--max-iter", "3000000", "--optimizers", names]
    assert main([*argv, "--frames", "3", "--out", str(out)]) == 0
    assert out.stat().st_size > 0
    assert main(argv) == 0  # no --out: nothing recorded
    text = capsys.readouterr().out
    assert text.count("max_iter") == 24


# --- issue 12: help everywhere, per-optimizer rates, --lr lists, --version -----------


def _every_action(parser):
    """(parser prog, action) for every action of the parser and its subparsers,
    the subcommands' own entries included."""
    import argparse

    for action in parser._actions:
        yield parser.prog, action
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:  # the subcommands as listed in --help
                yield parser.prog, choice
            for sub in action.choices.values():
                yield from _every_action(sub)


def test_every_option_and_subcommand_has_help():
    import argparse

    from fastgd.__main__ import build_parser

    seen = list(_every_action(build_parser()))
    assert len(seen) > 20
    missing = [
        (prog, action.dest)
        for prog, action in seen
        if not action.help or action.help == argparse.SUPPRESS or not action.help.strip()
    ]
    assert missing == []
    commands = {c.dest for prog, c in seen if prog == "python -m fastgd" and c.dest != "help"}
    assert {"demo", "race", "list", "info", "bench", "version", "command"} <= commands


@pytest.mark.parametrize("command", ["demo", "race", "list", "info", "bench"])
def test_each_subcommand_help_describes_every_option(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m fastgd {command}")


def test_version_prints_fastgd_s_version(capsys):
    import fastgd

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"fastgd {fastgd.__version__}\n"


def test_every_optimizer_has_a_default_learning_rate():
    from fastgd.__main__ import DEFAULT_LRS, _known_optimizers
    from fastgd.minimize import LINE_SEARCH_METHODS

    # lbfgs, cg and bfgs take none: their line search picks every step.
    assert sorted(DEFAULT_LRS) == sorted(set(_known_optimizers()) - set(LINE_SEARCH_METHODS))
    assert all(0 < lr <= 1.0 for lr in DEFAULT_LRS.values())


def test_the_default_race_on_beale_diverges_for_no_optimizer(capsys):
    """The CLI's own path (parse, per-optimizer rates, race), as `python -m fastgd race
    beale` runs it: no default optimizer diverges; each ran at its default rate."""
    from fastgd.__main__ import DEFAULT_LRS, DEFAULT_OPTIMIZERS, _race, build_parser

    parser = build_parser()
    args = parser.parse_args(["race", "beale"])
    results = _race(args, parser)
    names = DEFAULT_OPTIMIZERS.split(",")
    assert [r.optimizer for r in results] == names
    assert [r.status for r in results if r.status == "diverged"] == []
    # Each run is the one minimize gives at that optimizer's default rate.
    for r in results:
        alone = fastgd_minimize("beale", [-1.5, -1.5], r.optimizer, DEFAULT_LRS[r.optimizer])
        assert alone.status == r.status
        np.testing.assert_array_equal(alone.x, r.x)
    # And through main, as the shell runs it: a row per optimizer, none diverged.
    assert main(["race", "beale"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if " lr " in line]
    assert len(rows) == 2 * len(names)
    assert not any("diverged" in row for row in rows)


def test_every_optimizer_at_its_default_rate_stays_bounded_on_beale(capsys):
    from fastgd.__main__ import _known_optimizers

    everything = ",".join(_known_optimizers())
    assert main(["race", "beale", "--optimizers", everything]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == len(_known_optimizers())
    assert not any("diverged" in row for row in rows)


def fastgd_minimize(name, x0, optimizer, lr):
    import fastgd

    return fastgd.minimize(name, x0, optimizer=optimizer, lr=lr, max_iter=1000, record=False)


def test_lr_takes_one_rate_per_optimizer(capsys):
    from fastgd.__main__ import _race, build_parser

    parser = build_parser()
    argv = ["race", "bowl", "--x0", "1,1", "--optimizers", "gd,adam,gd", "--lr", "0.1,0.05,0.3"]
    results = _race(parser.parse_args(argv), parser)
    for r, (opt, lr) in zip(results, [("gd", 0.1), ("adam", 0.05), ("gd", 0.3)], strict=True):
        oracle = fastgd_minimize("bowl", [1.0, 1.0], opt, lr)
        assert r.optimizer == opt
        assert r.nit == oracle.nit
        np.testing.assert_array_equal(r.x, oracle.x)
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in out] == [
        ["gd", "lr", "0.1"],
        ["adam", "lr", "0.05"],
        ["gd", "lr", "0.3"],
    ]


def test_one_lr_is_every_optimizer_s(capsys):
    assert main(["race", "bowl", "--x0", "1,1", "--optimizers", "gd,momentum", "--lr", "0.02"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert [row.split()[:3] for row in rows] == [["gd", "lr", "0.02"], ["momentum", "lr", "0.02"]]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (
            ["race", "beale", "--optimizers", "gd,adam", "--lr", "0.1,0.2,0.3"],
            (
                r"argument --lr: 3 rates for 2 optimizers \(gd, adam\); give one rate for all, "
                "or one per optimizer"
            ),
        ),
        (["race", "beale", "--lr", "0.1,0.2"], "argument --lr: 2 rates for 6 optimizers"),
        (["race", "beale", "--lr", "0.1,,0.2"], "argument --lr: '0.1,,0.2' has an empty entry"),
        (["race", "beale", "--lr", ","], "argument --lr: give a learning rate"),
        (["race", "beale", "--lr", "0.1,abc"], "argument --lr: 'abc' is not a number"),
        (["race", "beale", "--lr", "0.1,-1"], "argument --lr: must be a finite number in"),
        (["race", "beale", "--lr", "0.1,nan"], "argument --lr: must be a finite number in"),
        (["--versions"], "unrecognized arguments|invalid choice|required"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_lr_lists_are_usage_errors(argv, match, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert re.search(match, err), err
    assert "Traceback" not in err


def test_a_wrong_lr_count_is_refused_before_any_work(monkeypatch, capsys):
    import fastgd

    monkeypatch.setattr(fastgd, "race", lambda *a, **k: pytest.fail("the race ran"))
    with pytest.raises(SystemExit) as exc:
        main(["race", "beale", "--optimizers", "gd,adam", "--lr", "0.1,0.2,0.3"])
    assert exc.value.code == 2


def test_the_race_gif_legend_gives_each_run_s_lr(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    from fastgd import plot
    from fastgd.plot._common import _label

    drawn = []
    real = plot.animate

    def spy(objective, results, path, **kwargs):
        drawn.extend(_label(r) for r in results)
        return real(objective, results, path, **kwargs)

    monkeypatch.setattr(plot, "animate", spy)
    out = tmp_path / "race.gif"
    argv = ["race", "bowl", "--x0", "1,1", "--optimizers", "gd,adam", "--lr", "0.1,0.05"]
    assert main([*argv, "--max-iter", "50", "--frames", "3", "--out", str(out)]) == 0
    assert out.stat().st_size > 0
    assert drawn[0].startswith("gd lr=0.1 (")
    assert drawn[1].startswith("adam lr=0.05 (")


def test_cli_and_demo_signatures_are_keyword_only_after_the_data():
    import inspect

    from fastgd import demo

    run = inspect.signature(demo.run).parameters
    assert run["out_dir"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is p.KEYWORD_ONLY for name, p in run.items() if name != "out_dir")
    table = inspect.signature(demo.regression_table).parameters
    assert all(p.kind is p.KEYWORD_ONLY for p in table.values())


def test_the_readme_race_command_runs_as_written(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    import shlex
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    commands = {
        " ".join(m.split())
        for m in re.findall(r"`python -m fastgd (race [^`]+)`", readme.replace("\n", " "))
    }
    assert commands  # the README shows race commands
    monkeypatch.chdir(tmp_path)
    for command in commands:
        assert main(shlex.split(command)) == 0, command
    assert (tmp_path / "race.gif").stat().st_size > 0
