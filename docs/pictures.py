"""Regenerate the pictures in docs/: python docs/pictures.py"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

import fastgd

HERE = Path(__file__).parent


def beale_race() -> Path:
    runs = [
        fastgd.minimize("beale", [1.0, 1.0], optimizer=opt, max_iter=2000)
        for opt in (
            fastgd.SGD(lr=1e-3, momentum=0.9),
            fastgd.RMSprop(lr=0.01),
            fastgd.Adam(lr=0.05),
        )
    ]
    fig = Figure(figsize=(10, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    fastgd.plot.contour("beale", runs, ax=left)
    fastgd.plot.losses(runs, ax=right)
    out = HERE / "beale_race.png"
    fig.savefig(out, dpi=72)
    return out


if __name__ == "__main__":
    print(beale_race())
