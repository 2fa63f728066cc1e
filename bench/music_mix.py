"""The music mix made by pydub against the numpy sum, side by side in one run (issue 17).

    python bench/music_mix.py [--minutes 15 180] [--runs 3] [--channels 1]

For each length: a talk and music tones as in bench/music_memory.py (20 s intro, 60 s bed, 20 s outro), one
cache; the chunks are made once (not reported), then `podrender render` with intro, bed and outro runs
`--runs` times with each mixer, alternating, through bench/rss_entry.py: `numpy` is the shipped mix
(podrender.output.mix.mixed_blocks), `pydub` the same render with the blocks made by bench/pydub_mix.py. A
cached render with music is what a user waits for when only the music changes, so the pydub path's extra
time is reported as a share of the numpy render's time. Prints wall-time medians and the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from music_memory import episode

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def main_pydub() -> int | None:
    """`podrender` with the blocks mixed by pydub (run through rss_entry.py as music_mix:main_pydub)."""
    from pydub_mix import pydub_blocks

    import podrender.output.mix as mix
    from podrender.cli.main import main

    mix.mixed_blocks = pydub_blocks
    return main()


def run(folder: Path, entry: str, args: list[str], cache: Path) -> tuple[float, float, dict]:
    out = folder / "rss.json"
    episode = folder / "episode.mp3"
    cmd = [PYTHON, str(ROOT / "bench" / "rss_entry.py"), str(out), entry, "render", str(folder / "talk.txt"),
           "-o", str(episode), "--cache-dir", str(cache), "-q", "--sidecars", "none", "--force", *args]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'bench'}"}
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    wall = time.perf_counter() - start
    rss = json.loads(out.read_text())["self_maxrss_kb"] / 1024
    manifest = json.loads(episode.with_suffix(".json").read_text())
    return wall, rss, manifest["loudness"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, nargs="+", default=[15.0, 180.0])
    parser.add_argument("--runs", type=int, default=3, help="runs per mixer (the longest length: one)")
    parser.add_argument("--channels", type=int, choices=(1, 2), default=1)
    opts = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))

    mixers = {"numpy": "podrender.cli.main:main", "pydub": "music_mix:main_pydub"}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {opts.channels} channel(s)")
    print("| talk | mixer | runs | wall s (median) | peak RSS MB | LUFS | dBTP | pydub extra / numpy render |")
    print("|---|---|---|---|---|---|---|---|")
    for minutes in opts.minutes:
        folder = Path(tempfile.mkdtemp(prefix="podrender-mix-bench-"))
        try:
            music = episode(folder, minutes / 60)
            cache = folder / "cache"
            stereo = ["--channels", "2"] if opts.channels == 2 else []
            run(folder, mixers["numpy"], stereo, cache)  # makes the chunks
            runs = 1 if minutes == max(opts.minutes) and len(opts.minutes) > 1 else opts.runs
            walls: dict[str, list[float]] = {m: [] for m in mixers}
            rss: dict[str, float] = {m: 0.0 for m in mixers}
            loud: dict[str, dict] = {}
            for _ in range(runs):
                for name, entry in mixers.items():
                    wall, peak, loud[name] = run(folder, entry, [*stereo, *music], cache)
                    walls[name].append(wall)
                    rss[name] = max(rss[name], peak)
            base = statistics.median(walls["numpy"])
            for name in mixers:
                median = statistics.median(walls[name])
                share = f"{(median - base) / base:+.0%}" if name == "pydub" else ""
                lufs, dbtp = loud[name]["integrated_lufs"], loud[name]["true_peak_dbtp"]
                row = f"| {minutes:g} min | {name} | {runs} | "
                row += f"{median:.1f} | {rss[name]:.0f} | {lufs} | {dbtp} | {share} |"
                print(row, flush=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
