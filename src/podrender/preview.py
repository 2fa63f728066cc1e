"""`podrender say`: one line in one speaker's voice, to a WAV file, made the way a render makes a turn.

The line goes through the same parse, cast, normalization and units as a render (it is planned as a
one-turn script by that speaker, with no skip patterns), each unit is synthesized in a fresh worker
and checked, and the whole line is levelled to the episode's loudness target and true-peak ceiling.
The WAV is mono 16-bit at the engine's own sample rate.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from podrender.config import Config
from podrender.engines import Pcm, get_engine
from podrender.errors import ConfigError, EngineError, OutputError, ScriptError
from podrender.speech.plan import Unit


@dataclass(frozen=True)
class Said:
    """What `say` wrote."""

    path: Path
    speaker: str
    voice: str
    texts: tuple[str, ...]
    """What the engine was asked to say, one text per unit."""
    seconds: float
    sample_rate: int
    loudness: float
    """Integrated loudness of the file, LUFS."""


def speaker_name(config: Config, name: str) -> str:
    """The canonical name of `name` (a speaker, alias or the narrator, any case), else a ConfigError
    naming the closest speakers voices.yaml knows."""
    known = {config.narrator.casefold(): config.narrator, **config.aliases()}
    found = known.get(name.strip().casefold())
    if found is not None:
        return found
    names = [config.narrator, *(s.name for s in config.speakers if s.name != config.narrator)]
    labels = names + [a for s in config.speakers for a in s.aliases]
    close = difflib.get_close_matches(name.casefold(), [x.casefold() for x in labels], n=3, cutoff=0.5)
    shown = list(dict.fromkeys(next(x for x in labels if x.casefold() == c) for c in close))
    where = config.path or "voices.yaml"
    if shown:
        hint = "closest: " + ", ".join(shown)
    else:
        hint = "speakers: " + ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    raise ConfigError(f"no speaker '{name}' in {where}; {hint}")


def default_output(speaker: str, output_dir: Path = Path("output")) -> Path:
    """output/say-<speaker>.wav, the speaker's name as a file-name slug."""
    from podrender.pipeline import slugify

    return output_dir / f"say-{slugify(speaker)}.wav"


def say(text: str, speaker: str, config: Config, output: Path | None = None) -> Said:
    """Render `text` in `speaker`'s voice to a WAV file (default `default_output(speaker)`)."""
    from podrender.pipeline import prepare

    name = speaker_name(config, speaker)
    line = re.sub(r"\s+", " ", text).strip()
    if not line:
        raise ScriptError("there is no text to say")
    target = output or default_output(name)
    _check_target(target)
    script = f"{name}: {line}"  # labeled even for the narrator, so "Note: ..." is not taken for a speaker
    prepared = prepare(script, replace(config, skip=()), source="say", policy="none")
    units = prepared.plan.units
    if not units:
        raise ScriptError(f"'{line}' has nothing to say after removing markup, links and emoji")

    return _say_units(units, name, config, target)


#: How much of a speaker's first turn `say_from_script` speaks: whole units up to about this many characters.
PREVIEW_CHARS = 240


def say_from_script(
    text: str,
    speaker: str | None,
    config: Config,
    output: Path | None = None,
    *,
    source: str = "script",
    edits: Mapping[int, str] | None = None,
    turn: int | None = None,
) -> Said:
    """Speak the first line of `speaker` (a speaker or alias of the script `text`, any case) in the voice a
    render of that script gives them: a preview of the cast, with fallback voices chosen as the render
    chooses them. At most about PREVIEW_CHARS characters (whole sentences) of their first turn.

    `edits` (turn index -> new text) are applied as `prepare(edits=...)` applies them, so the preview says
    what a render with those edits would. `turn` (an index into the script's turns, from 0) speaks that
    turn instead of the speaker's first; `speaker` may then be None, else it must be that turn's speaker."""
    from podrender.pipeline import prepare

    prepared = prepare(text, config, source=source, edits=edits)
    cast = prepared.cast
    roles = [cast.narrator, *cast.roles]
    name: str | None = None
    if speaker is not None:
        labels = {label.casefold(): r.name for r in roles for label in (r.name, *r.aliases)}
        name = labels.get(speaker.strip().casefold())
        if name is None:
            close = difflib.get_close_matches(speaker.strip(), [r.name for r in roles], n=3, cutoff=0.5)
            hint = "closest: " + ", ".join(close) if close else "speakers: " + ", ".join(r.name for r in roles[:12])
            raise ConfigError(f"no speaker '{speaker}' in {source}; {hint}")
    if turn is not None:
        count = len(prepared.script.turns)
        if not 0 <= turn < count:
            raise ScriptError(f"turn {turn + 1}: there is no such turn (it has {count})", path=source)
        first = [u for u in prepared.plan.units if u.turn == turn]
        if not first:
            raise ScriptError(f"turn {turn + 1} has nothing to say after removing markup, links and emoji", path=source)
        if name is not None and first[0].speaker != name:
            raise ScriptError(f"turn {turn + 1} is {first[0].speaker}'s, not {name}'s", path=source)
        name = first[0].speaker
    elif name is None:
        raise ScriptError("name a speaker or a turn to preview", path=source)
    else:
        mine = [u for u in prepared.plan.units if u.speaker == name]
        if not mine:
            raise ScriptError(f"'{name}' has nothing to say in {source}")
        first = [u for u in mine if u.turn == mine[0].turn]
    units: list[Unit] = []
    size = 0
    for unit in first:
        if units and size + len(unit.text) > PREVIEW_CHARS:
            break
        units.append(replace(unit, index=len(units), text=_first_sentences(unit.text, PREVIEW_CHARS)))
        size += len(units[-1].text)
    target = output or default_output(name)
    _check_target(target)
    return _say_units(units, name, config, target)


def _first_sentences(text: str, limit: int) -> str:
    """Whole sentences from the start of `text`, as many as fit in `limit` characters (at least one)."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    out = sentences[0]
    for sentence in sentences[1:]:
        if len(out) + 1 + len(sentence) > limit:
            break
        out += " " + sentence
    return out


def _say_units(units: Sequence[Unit], name: str, config: Config, target: Path) -> Said:
    """Synthesize `units` (indexed from 0) in fresh workers, level them and write the WAV."""
    from podrender.audio.loudness import level
    from podrender.runner.pool import Task, run_tasks
    from podrender.runner.zygote import turn_timeout

    pieces: dict[int, Pcm] = {}

    def work(task: Task) -> Pcm:
        return _speak(units[task.id])

    def done(task: Task, pcm: Pcm) -> None:
        pieces[task.id] = pcm

    tasks = [Task(u.index, f"the line ({u.speaker})", turn_timeout(u)) for u in units]
    run_tasks(tasks, work, done, jobs=min(len(tasks), os.cpu_count() or 1))
    rates = {p.rate for p in pieces.values()}
    if len(rates) != 1:
        raise EngineError(f"the engine returned pieces at different sample rates ({sorted(rates)})")
    rate = rates.pop()
    parts: list[np.ndarray] = []
    for i in range(len(units)):
        if parts:  # the silence the plan puts after the previous unit: a sentence gap or a [pause]
            parts.append(np.zeros(int(round(rate * units[i - 1].pause_ms / 1000)), dtype=np.float32))
        parts.append(np.frombuffer(pieces[i].samples, dtype="<i2").astype(np.float32) / 32768)
    levelled = level(np.concatenate(parts), rate, config.audio.loudness, config.audio.true_peak)
    ints = np.clip(np.round(levelled.samples * 32767), -32768, 32767).astype("<i2")
    _write_wav(target, ints.tobytes(), rate)
    return Said(
        path=target,
        speaker=name,
        voice=units[0].voice.voice,
        texts=tuple(u.text for u in units),
        seconds=len(ints) / rate,
        sample_rate=rate,
        loudness=round(levelled.loudness, 1),
    )


def _speak(unit: Unit) -> Pcm:
    """Runs in a worker: synthesize one unit and check it as a render does."""
    from podrender.audio.synthesize import check_audio

    engine = get_engine(unit.voice.engine)
    with tempfile.TemporaryDirectory(prefix="podrender-say-") as work:
        pcm = engine.synthesize(unit.text, unit.voice, Path(work))
    check_audio(pcm, unit.text, unit.voice.rate)
    return pcm


def _check_target(target: Path) -> None:
    if target.suffix.lower() != ".wav":
        raise OutputError("the output file name must end in .wav", path=str(target))
    if target.is_dir():
        raise OutputError("is a directory; give a file name ending in .wav", path=str(target))
    probe = target.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError("cannot write here (permission denied)", path=str(target.parent))


def _write_wav(target: Path, samples: bytes, rate: int) -> None:
    """Mono 16-bit WAV, written to a temporary name beside the target and renamed."""
    from podrender.output.files import replacing

    target.parent.mkdir(parents=True, exist_ok=True)
    with replacing(target) as tmp, tmp.open("wb") as f, wave.open(f, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples)
