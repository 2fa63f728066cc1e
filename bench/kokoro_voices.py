"""Measure Kokoro voices (presets, shipped vectors, candidate blends): median pitch and Whisper WER.

    python bench/kokoro_voices.py [--voices bass,baritone,...|all] [--blend "0.6*jm_kumo+0.4*jf_alpha" ...]

Each voice reads the same test paragraph (written for this benchmark) in one process through
podrender's kokoro engine; the median pitch is bench/pitch.py's rule on the 24 kHz samples, the word
error rate is Whisper tiny.en (bench/intelligibility.py's recognizer) against the paragraph, normalized
by bench/wer.py. The pitches are the Hz of PRESETS / SHIPPED in src/podrender/engines/kokoro_engine.py.
Needs the kokoro and bench extras. Takes a minute or two.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intelligibility import Recognizer  # noqa: E402
from pitch import median_pitch  # noqa: E402
from wer import wer  # noqa: E402

from podrender.engines import VoiceSettings, get_engine  # noqa: E402

PARAGRAPH = (
    "The ferry left the harbour a little after seven, loaded with crates of apples and two sleepy dogs. "
    "By noon the wind had turned, and the captain decided to wait behind the island until the weather "
    "cleared. Nobody complained: there was coffee, a deck of cards, and a radio that still picked up the "
    "football results. When they finally docked, the market was closing, but the baker kept one loaf for "
    "each of them."
)


def measure(engine_voice: str, folder: Path, recognizer: Recognizer) -> tuple[float, float, float]:
    engine = get_engine("kokoro")
    voice = engine.check_voice(VoiceSettings("kokoro", engine_voice))
    pcm = engine.synthesize(PARAGRAPH, voice, folder)
    x = np.frombuffer(pcm.samples, dtype="<i2").astype(np.float64) / 32768.0
    path = folder / f"{abs(hash(engine_voice))}.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(pcm.rate)
        w.writeframes(pcm.samples)
    heard = recognizer.transcribe(path).text
    return median_pitch(x, pcm.rate), wer(PARAGRAPH, heard), pcm.seconds


def main(argv: list[str] | None = None) -> int:
    from podrender.engines.kokoro_engine import PRESETS, SHIPPED

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default="all")
    parser.add_argument("--blend", action="append", default=[])
    args = parser.parse_args(argv)
    names = [p.name for p in PRESETS] + list(SHIPPED) if args.voices == "all" else args.voices.split(",")
    recognizer = Recognizer()
    print("| voice | recipe | median pitch | WER | seconds |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in [*names, *args.blend]:
            recipe = next((p.recipe for p in PRESETS if p.name == name), name)
            hz, error, seconds = measure(name, Path(tmp), recognizer)
            print(f"| {name} | {recipe} | {hz:.0f} Hz | {error:.1%} | {seconds:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
