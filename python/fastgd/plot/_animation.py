"""A race of runs on one surface written as a GIF or an MP4 (:func:`animate`): the
frames, drawn by blitting on a Figure of its own, and the writers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import MinimizeResult
from ..objectives import Objective
from ._common import _label, _name, _positive_int, _results
from ._landscape import contour
from ._objective import Bounds, ObjectiveLike, _objective


def animate(
    objective: ObjectiveLike,
    results: MinimizeResult | Sequence[MinimizeResult],
    path: str,
    *,
    frames: int = 60,
    fps: int = 15,
    resolution: int = 150,
    dpi: int = 100,
    bounds: Bounds | None = None,
) -> str:
    """Write an animation of several runs racing on one surface: a GIF (Pillow), or
    an MP4 when ``path`` ends in .mp4 and ffmpeg is available (on PATH, or from the
    imageio-ffmpeg package). Each frame shows every run up to the same step; the
    legend names each run's optimizer and lr, and adds its status and step count
    from the frame where the run ends. ``objective`` and ``bounds`` as in
    :func:`contour`. Draws on its own Figure, never through pyplot. Returns the path
    written."""
    f, window = _objective(objective, bounds, 2, "animate")
    items = _results(results, 2, "animate")
    if not items:
        raise ValueError("results is empty: animate draws at least one run")
    if not isinstance(path, str) or not path.lower().endswith((".gif", ".mp4")):
        raise ValueError(f"path must end in .gif or .mp4, got {path!r}")
    frames = _positive_int(frames, "frames", 2)
    fps = _positive_int(fps, "fps", 1)
    resolution = _positive_int(resolution, "resolution", 2)
    dpi = _positive_int(dpi, "dpi", 1)
    mp4 = path.lower().endswith(".mp4")
    ffmpeg = _ffmpeg() if mp4 else None
    if mp4 and ffmpeg is None:
        raise RuntimeError("writing .mp4 needs ffmpeg (on PATH, or pip install imageio-ffmpeg)")
    images = _race_frames(f, window, items, frames, resolution, dpi)
    if ffmpeg is not None:
        _write_mp4(images, path, fps, ffmpeg)
    else:
        _write_gif(images, path, fps)
    return path


def _race_frames(
    f: Objective,
    window: tuple[tuple[float, float], ...],
    items: list[MinimizeResult],
    frames: int,
    resolution: int,
    dpi: int,
) -> list[np.ndarray]:
    """RGB frames of the race. The contours are drawn once; each frame restores them
    and draws only the paths, the legend and the title (matplotlib's blitting), ~50x
    faster than a full redraw."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.6, 4.4), dpi=dpi, layout="constrained")
    canvas: Any = FigureCanvasAgg(fig)  # Any: parts of the Agg canvas are untyped
    ax = fig.add_subplot()
    contour(f, (), ax=ax, resolution=resolution, bounds=window)
    lines = [
        ax.plot([], [], ".-", markersize=2, linewidth=1.5, label=_label(r), animated=True)[0]
        for r in items
    ]
    heads = [
        ax.plot([], [], "o", color=line.get_color(), markersize=6, animated=True)[0]
        for line in lines
    ]
    legend = ax.get_legend()
    if legend is not None:  # contour's "known minima" goes in the figure legend
        legend.remove()
    handles, labels = ax.get_legend_handles_labels()
    runs_first = [handles.index(line) for line in lines]
    others = [k for k in range(len(handles)) if k not in runs_first]
    order = runs_first + others
    # Lay the figure out with the final, longest labels ...
    fig_legend = fig.legend(
        [handles[k] for k in order],
        [labels[k] for k in order],
        loc="outside right upper",
        fontsize="small",
    )
    ax.set_title("step 0000000")  # reserve the title's space in the layout
    canvas.draw()
    fig.set_layout_engine("none")  # keep the layout fixed from here on
    # ... then pin the legend's top-left corner there, so that the shorter labels of
    # runs still running keep it beside the axes, and redraw it in every frame.
    corner = fig.transFigure.inverted().transform(fig_legend.get_window_extent().corners()[1])
    fig_legend.set_loc("upper left")
    fig_legend.set_bbox_to_anchor(tuple(corner), transform=fig.transFigure)
    fig_legend.set_animated(True)
    texts = fig_legend.get_texts()[: len(items)]
    ax.title.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    lead = max(items, key=lambda r: len(r.path))  # the run whose steps the title counts
    longest = len(lead.path)
    images = []
    # No more frames than recorded rows: a huge `frames` asks for nothing extra.
    for k in np.unique(np.linspace(1, longest, min(frames, longest)).astype(int)):
        canvas.restore_region(background)
        for r, line, head, text in zip(items, lines, heads, texts, strict=True):
            upto = min(int(k), len(r.path))
            line.set_data(r.path[:upto, 0], r.path[:upto, 1])
            head.set_data([r.path[upto - 1, 0]], [r.path[upto - 1, 1]])
            # The status only once the run has ended in the animation.
            text.set_text(_label(r) if upto == len(r.path) else _name(r))
            ax.draw_artist(line)
            ax.draw_artist(head)
        fig.draw_artist(fig_legend)
        ax.set_title(f"step {_step(lead, int(k) - 1)}")
        ax.draw_artist(ax.title)
        canvas.blit(fig.bbox)
        images.append(np.asarray(canvas.buffer_rgba())[..., :3].copy())
    return images


def _step(r: MinimizeResult, row: int) -> int:
    """The step a recorded row shows: rows are x0, every record_every-th iterate and
    the last."""
    if row == len(r.path) - 1:
        return r.nit
    return row * max(1, r.record_every)


def _write_gif(images: list[np.ndarray], path: str, fps: int) -> None:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("writing a GIF needs Pillow: pip install 'fastgd[plot]'") from None
    # One palette (from the last, fullest frame) for all frames: unchanged pixels keep
    # their index, so Pillow stores only what changed between frames.
    palette = Image.fromarray(images[-1]).quantize(colors=128)
    frames = [Image.fromarray(im).quantize(palette=palette) for im in images]
    # Hold the last frame for a second so the end of the race can be seen.
    durations = [round(1000 / fps)] * (len(frames) - 1) + [1000]
    frames[0].save(
        path, save_all=True, append_images=frames[1:], duration=durations, loop=0, optimize=True
    )


def _ffmpeg() -> str | None:
    import shutil

    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _write_mp4(images: list[np.ndarray], path: str, fps: int, ffmpeg: str) -> None:
    import subprocess

    h, w = images[0].shape[:2]
    cmd = [ffmpeg, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    cmd += ["-s", f"{w}x{h}", "-r", str(fps), "-i", "-"]
    # H.264 in yuv420p needs even sides; pad by a pixel where one is odd.
    cmd += ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", path]
    frames = b"".join(im.tobytes() for im in images)
    done = subprocess.run(cmd, input=frames, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed writing {path}: {done.stderr.decode(errors='replace')}")
