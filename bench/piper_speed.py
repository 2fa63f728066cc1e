"""Synthesis cost of Piper (the joe voice) against espeak (pyttsx3) on the same turns of a script.

    python bench/piper_speed.py [--script PATH] [--turns N]

Each turn is spoken in a fresh forked worker, as a render does (Piper's voice loaded once in the
parent and inherited); only the `synthesize` call is timed. Prints wall and CPU seconds per minute
of audio for each engine, and what loading Piper costs a process that does not inherit it. CPU
seconds are the steadier figure on a shared machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from podrender.engines import Engine, VoiceSettings, get_engine
from podrender.input.script import ParseOptions, parse
from podrender.runner.pool import call_in_child
from podrender.speech.normalize import spoken_text

LOAD = """
import time
c0, t0 = time.process_time(), time.perf_counter()
from podrender.engines import VoiceSettings, get_engine
from podrender.engines.piper_engine import _import_piper, _session
voice = get_engine("piper").check_voice(VoiceSettings("piper", "joe"))
_import_piper()
_session(voice.model)
print(f"{time.process_time() - c0:.2f} s CPU, {time.perf_counter() - t0:.2f} s wall")
"""


def measure(engine: Engine, voice: VoiceSettings, texts: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, audio seconds) of synthesizing `texts`, one fresh worker each."""
    wall = cpu = audio = 0.0
    for text in texts:

        def one(text: str = text) -> tuple[float, float, float]:
            c0, t0 = time.process_time(), time.perf_counter()
            with tempfile.TemporaryDirectory() as scratch:
                pcm = engine.synthesize(text, voice, Path(scratch))
            return time.perf_counter() - t0, time.process_time() - c0, pcm.seconds

        w, c, a = call_in_child(one, timeout=600)
        wall, cpu, audio = wall + w, cpu + c, audio + a
    return wall, cpu, audio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--script", type=Path, default=Path("../shared/samples/interview.txt"))
    parser.add_argument("--turns", type=int, default=8, help="labeled turns from the start (default 8)")
    args = parser.parse_args()
    turns = [t.text for t in parse(args.script.read_text(encoding="utf-8"), ParseOptions()).turns if t.speaker]
    texts = [spoken_text(t, ()) for t in turns[: args.turns]]
    print(f"{len(texts)} turns, {sum(map(len, texts))} characters of {args.script}")

    piper = get_engine("piper")
    if piper.missing():
        sys.exit(f"the Piper engine is not installed: {piper.missing()}")
    joe = piper.check_voice(VoiceSettings("piper", "joe"))
    espeak = get_engine("pyttsx3")
    for engine, voice in ((piper, joe), (espeak, VoiceSettings("pyttsx3", "gmw/en-us+m3", rate=175))):
        engine.preload([voice])
        wall, cpu, audio = measure(engine, voice, texts)
        minutes = audio / 60
        print(
            f"{engine.name:<8} {minutes:.2f} min of audio: {wall / minutes:.2f} s wall, "
            f"{cpu / minutes:.2f} s CPU per audio minute"
        )
    loads = [subprocess.run([sys.executable, "-c", LOAD], capture_output=True, text=True, check=True).stdout.strip()
             for _ in range(3)]  # fmt: skip
    print("loading Piper and the joe voice in a fresh process: " + "; ".join(loads))


if __name__ == "__main__":
    main()
