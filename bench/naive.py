"""The naive peer: the obvious script a user would write instead of podrender.

    python bench/naive.py SCRIPT --voices voices.yaml -o episode.mp3 [--report naive.json]

One pyttsx3 engine in one process speaks every turn to a WAV file (save_to_file + runAndWait, then
wait until the file is complete), pydub loads the WAVs and joins them with 400 ms pauses, and one
pydub export writes a 64 kbit/s, 44.1 kHz mono MP3. Turns and speakers come from
`podrender.input.script.parse`; each speaker gets the voice, rate and pitch voices.yaml gives it, exactly
as podrender casts them (speakers missing from voices.yaml take the first unused fallback voice).
No text clean-up, no levelling, no chapters, no cache.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

from podrender.config import Config, load_config
from podrender.input.script import ParseOptions, parse
from podrender.runtime import ffmpeg, load_espeak

PAUSE_MS = 400


@dataclass(frozen=True)
class Voice:
    voice: str
    rate: int | None
    pitch: int | None


def voices_for(config: Config, speakers: list[str]) -> dict[str, Voice]:
    """Speaker -> voice from voices.yaml; speakers it does not list get an unused fallback voice."""
    chosen: dict[str, Voice] = {}
    for name in speakers:
        entry = config.speaker(name)
        if entry is not None and entry.voice:
            chosen[name] = Voice(entry.voice, entry.rate, entry.pitch)
    fallbacks = [v for v, _ in config.fallback_voices]
    for name in speakers:
        if name not in chosen:
            used = {v.voice for v in chosen.values()}
            entry = config.speaker(name)
            free = next((v for v in fallbacks if v not in used), fallbacks[0] if fallbacks else "gmw/en-us")
            chosen[name] = Voice(free, entry.rate if entry else None, entry.pitch if entry else None)
    return chosen


def wait_for_wav(path: Path, timeout: float = 60.0) -> None:
    """Wait until the WAV file exists, parses, holds all the frames its header announces and has
    stopped growing (pyttsx3's runAndWait can return before espeak has written it)."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        try:
            size = path.stat().st_size
            with wave.open(str(path), "rb") as w:
                complete = size >= 44 + w.getnframes() * w.getsampwidth() * w.getnchannels()
        except (OSError, EOFError, wave.Error):
            complete, size = False, -1
        if complete and size == last:
            return
        last = size
        time.sleep(0.01)
    raise TimeoutError(f"{path} was not completed within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("script", type=Path)
    parser.add_argument("--voices", type=Path, default=Path("voices.yaml"))
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--report", type=Path, help="JSON file for the voices used and the stage timings")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    load_espeak()  # the same libespeak-ng podrender uses; must precede importing pyttsx3
    import pyttsx3

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pydub warns when ffmpeg is not on PATH
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg().path

    config = load_config(args.voices)
    script = parse(args.script.read_text(encoding="utf-8"), ParseOptions(aliases=config.aliases(), skip=config.skip))
    speakers = [config.narrator, *(s for s in script.speakers if s != config.narrator)]
    voices = voices_for(config, speakers)

    t1 = time.perf_counter()
    engine = pyttsx3.init("espeak")
    in_effect: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="naive-") as tmp:
        wavs: list[Path] = []
        for i, turn in enumerate(script.turns):
            speaker = turn.speaker or config.narrator
            voice = voices[speaker]
            engine.setProperty("voice", voice.voice)
            if voice.rate is not None:
                engine.setProperty("rate", voice.rate)
            if voice.pitch is not None:
                engine.setProperty("pitch", voice.pitch)
            wav = Path(tmp) / f"turn-{i:04d}.wav"
            engine.save_to_file(turn.text, str(wav))
            engine.runAndWait()
            wait_for_wav(wav)
            # setProperty is queued until the engine is idle; read the voice back once it has spoken.
            in_effect.setdefault(speaker, str(engine.getProperty("voice")))
            wavs.append(wav)

        t2 = time.perf_counter()
        segments = [AudioSegment.from_wav(str(w)) for w in wavs]
        t3 = time.perf_counter()
        pause = AudioSegment.silent(duration=PAUSE_MS, frame_rate=segments[0].frame_rate)
        episode = segments[0]
        for segment in segments[1:]:
            episode = episode + pause + segment
        t4 = time.perf_counter()
        episode.export(str(args.output), format="mp3", bitrate="64k", parameters=["-ar", "44100", "-ac", "1"])
        t5 = time.perf_counter()

    if args.report:
        report = {
            "turns": len(script.turns),
            "voices": {name: {**asdict(v), "in_effect": in_effect.get(name)} for name, v in voices.items()},
            "seconds": {
                "startup_and_parse": t1 - t0,
                "synthesize": t2 - t1,
                "load_wavs": t3 - t2,
                "join": t4 - t3,
                "export": t5 - t4,
            },
        }
        args.report.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
