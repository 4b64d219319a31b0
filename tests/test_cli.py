"""python -m fastgd: demo, race, list and bench."""

from __future__ import annotations

import pytest

from fastgd import objectives
from fastgd.__main__ import main


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
    assert "[10/10]" in captured.err  # progress, one line per scene
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
        (["race", "nope"], "unknown objective 'nope'"),
        (["race", "beale", "--optimizers", "warp"], "unknown optimizer 'warp'"),
        (["demo", "--n", "1"], "--n must be >= 2"),
    ],
)
def test_bad_arguments_exit_with_a_message(argv, match, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert match in capsys.readouterr().err


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
