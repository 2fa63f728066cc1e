"""Peak memory and time of a long episode with music, against the same episode without.

    python bench/music_memory.py [--hours 3] [--channels 1] [--keep-temp]

Builds a ~`--hours` talk (host and guest turns, written here: a few distinct turns repeated, so the
speech chunks are made once and the cost measured is the mix), music tones made by ffmpeg (a 20 s intro,
a 60 s bed, a 20 s outro), and runs `podrender render` three times through bench/rss_entry.py, with one
cache: once to make the chunks (not reported), then without music (the chunks joined byte for byte) and
with intro, bed and outro (decoded, mixed in blocks, encoded again). Prints, per case, the podrender
process's peak RSS (`getrusage(RUSAGE_SELF)`; the ffmpeg decoders it runs are reported apart, as the
largest waited-for child), the wall time and the episode's length and loudness.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

QUESTIONS = [
    "What got you started on this, and what did the first version look like?",
    "How do you decide what to leave out when a project grows?",
    "What surprised you most about the people who use it every day?",
    "Which mistake taught you the most, and what would you do differently?",
    "Where do you see the whole field going over the next few years?",
    "What would you tell someone who wants to start something similar today?",
]
ANSWERS = [
    "It began as a weekend experiment on an old laptop. The first version read one file aloud in a flat voice, "
    "and it crashed whenever a line was longer than a paragraph, but it was enough to show the idea worked.",
    "We keep a short list of what the tool is for and read it before every change. If a feature needs a new "
    "screen of settings to explain it, it usually belongs somewhere else, and we say so early and kindly.",
    "They listen while they cook, walk and drive, far more than while they sit at a desk. That changed how we "
    "think about pauses, chapter titles and how loud the whole thing should be from start to finish.",
    "We once rewrote the storage layer without measuring anything first. It took three months and was slower. "
    "Now every change of that size starts with a benchmark and a plain note saying what we expect to see.",
    "Tools will run on the machines people already own, without accounts or keys. The interesting work is in "
    "making the results trustworthy: the right words, the right names, and times that point at the right place.",
    "Start with one real user and one real document, and make that case excellent. Write down every surprise, "
    "keep the tests honest, and do not let the list of ideas grow faster than the list of things that work.",
]


def tone(path: Path, hz: int, seconds: float, ffmpeg: str) -> None:
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency={hz}:duration={seconds}", str(path)],
        check=True,
    )


def talk(hours: float) -> str:
    lines = ["A Long Conversation", ""]
    seconds, i = 0.0, 0
    while seconds < hours * 3600:
        q, a = QUESTIONS[i % len(QUESTIONS)], ANSWERS[i % len(ANSWERS)]
        lines += [f"Host: {q}", "", f"Guest: {a}", ""]
        seconds += (len(q.split()) + len(a.split())) / 160 * 60 + 0.8  # ~160 words a minute, two pauses
        i += 1
    return "\n".join(lines)


def episode(folder: Path, hours: float) -> list[str]:
    """Write `talk.txt` of `hours` and the intro, bed and outro tones into `folder`; the render flags for them."""
    from podrender.runtime import ffmpeg

    (folder / "talk.txt").write_text(talk(hours))
    for name, hz, seconds in (("intro", 880, 20), ("bed", 440, 60), ("outro", 660, 20)):
        tone(folder / f"{name}.mp3", hz, seconds, ffmpeg().path)
    return [arg for name in ("intro", "bed", "outro") for arg in (f"--{name}", str(folder / f"{name}.mp3"))]


def run(folder: Path, name: str, args: list[str], cache: Path) -> dict:
    out = folder / f"{name}.rss.json"
    episode = folder / f"{name}.mp3"
    cmd = [PYTHON, str(ROOT / "bench" / "rss_entry.py"), str(out), "podrender.cli.main:main", "render",
           str(folder / "talk.txt"), "-o", str(episode), "--cache-dir", str(cache), "-q", "--sidecars", "none",
           "--force", *args]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    wall = time.perf_counter() - start
    rss = json.loads(out.read_text())
    manifest = json.loads(episode.with_suffix(".json").read_text())
    return {
        "case": name, "wall_s": round(wall, 1), "self_mb": round(rss["self_maxrss_kb"] / 1024, 1),
        "children_mb": round(rss["children_maxrss_kb"] / 1024, 1),
        "duration_min": round(manifest["duration_ms"] / 60000, 1),
        "lufs": manifest["loudness"]["integrated_lufs"], "dbtp": manifest["loudness"]["true_peak_dbtp"],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--channels", type=int, choices=(1, 2), default=1)
    parser.add_argument("--keep-temp", action="store_true")
    opts = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    folder = Path(tempfile.mkdtemp(prefix="podrender-music-bench-"))
    try:
        music = episode(folder, opts.hours)
        cache = folder / "cache"
        stereo = ["--channels", "2"] if opts.channels == 2 else []
        run(folder, "warm", stereo, cache)  # makes the chunks
        rows = [run(folder, "no music", stereo, cache), run(folder, "intro + bed + outro", [*stereo, *music], cache)]
        machine = f"python {sys.version.split()[0]}, {os.cpu_count()} cores"
        print(f"{opts.hours:g} h talk, {opts.channels} channel(s); {machine}")
        print("| case | wall s | podrender peak RSS MB | largest child MB | length min | LUFS | dBTP |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['case']} | {r['wall_s']} | {r['self_mb']} | {r['children_mb']} | {r['duration_min']} | "
                  f"{r['lufs']} | {r['dbtp']} |")  # fmt: skip
    finally:
        if opts.keep_temp:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
