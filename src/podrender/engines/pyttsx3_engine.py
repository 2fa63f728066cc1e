"""pyttsx3 driving espeak-ng: the default, fully offline engine.

Traps handled here (measured, see DESIGN.md): a bad voice is silently ignored, so the voice in
effect is checked before speaking; `runAndWait` can return before the WAV file is written, so
espeak runs in its synchronous mode through pyttsx3's driver and hands the samples over in memory
(no WAV file, nothing to wait for); output depends on what the process said before, so each call
must run in a fresh process (the worker pool forks one per unit).
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from podrender.engines import Engine, Pcm, PitchProfile, VoiceInfo, VoiceSettings
from podrender.errors import EngineError
from podrender.runtime import espeak_library, load_espeak


def _pyttsx3_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pyttsx3")
    except PackageNotFoundError:
        return "unknown"


@functools.cache
def _pyttsx3_stamp() -> str:
    """Changes when the installed pyttsx3 changes; cheaper than reading package metadata (40 ms)."""
    import importlib.util

    spec = importlib.util.find_spec("pyttsx3")
    if spec is None or spec.origin is None:
        return "missing"
    folder = Path(spec.origin).parent
    stamps = []
    for name in ("__init__.py", "engine.py", "drivers/espeak.py", "drivers/_espeak.py"):
        try:
            st = (folder / name).stat()
            stamps.append(f"{st.st_size}:{int(st.st_mtime)}")
        except OSError:
            stamps.append("-")
    return ",".join(stamps)


class Pyttsx3Engine(Engine):
    name = "pyttsx3"
    max_chars = 1500
    phoneme_input = True

    def identity(self) -> str:
        lib = espeak_library()
        try:
            st = os.stat(lib.path)
            stamp = f"{st.st_size}:{int(st.st_mtime)}"
        except OSError:
            stamp = "soname"
        return f"pyttsx3-{_pyttsx3_stamp()}|{lib.source}|{os.path.basename(lib.path)}|{stamp}"

    def voices(self) -> list[VoiceInfo]:
        from podrender.runner.pool import call_in_child

        rows: list[tuple[str, str, tuple[str, ...], str | None]] = call_in_child(_list_voices, timeout=30.0)
        return [VoiceInfo(*row) for row in rows]

    def variants(self) -> list[str]:
        return list(_variants(espeak_library().data_path or _system_data_path()))

    def pitch_profiles(self) -> dict[str, PitchProfile]:
        return dict(_pitch_profiles(espeak_library().data_path or _system_data_path()))

    def preload(self, voices: Sequence[VoiceSettings] = ()) -> None:
        # Loading the library and importing the driver is safe before fork. espeak is started in
        # `synthesize`, inside the worker, unless the zygote started it (start_for_workers).
        load_espeak()
        import pyttsx3.drivers.espeak  # noqa: F401

    def start_for_workers(self) -> None:
        """Start espeak in its synchronous mode and load the English dictionary before workers fork.

        The synchronous mode has no thread of its own, so it survives fork; a process that has spoken
        must not be reused, and the zygote never speaks. Measured: every unit of the sample, and
        French, German, Russian and British English units after a start with another voice, came out
        byte for byte as from a worker that started espeak itself; each worker saves the start and,
        for English voices, the dictionary load (about 6 ms of its 10-50 ms of synthesis).
        """
        _initialize_synchronous()
        from pyttsx3.drivers import _espeak

        _espeak.SetVoiceByName(b"en")

    def describe(self) -> dict[str, str]:
        lib = espeak_library()
        return {
            "engine": self.name,
            "pyttsx3": _pyttsx3_version(),
            "espeak-ng library": f"{lib.path} ({lib.source})",
            "espeak-ng data": lib.data_path or _system_data_path() or "built-in default",
        }

    def synthesize(self, text: str, voice: VoiceSettings, workdir: Path) -> Pcm:
        rate = _initialize_synchronous()  # loads the library first: pyttsx3's driver looks for it on import
        from pyttsx3.drivers import _espeak

        _apply_voice(voice)
        in_effect = _current_voice()
        if in_effect.casefold() != voice.voice.casefold():
            raise EngineError(f"espeak-ng would not use voice '{voice.voice}' (it used '{in_effect}')")
        pieces: list[bytes] = []

        def collect(wav: Any, count: int, events: Any) -> int:
            if count > 0:
                pieces.append(ctypes.string_at(wav, count * 2))
            return 0

        _espeak.SetSynthCallback(collect)  # the driver keeps a reference while espeak may call it
        # PHONEMES: `[[...]]` (a lexicon respelling such as `[[r'VS]]`) is read as espeak phonemes, not
        # letters; pyttsx3 never passes it. It changes nothing for text without `[[`.
        flags = _espeak.ENDPAUSE | _espeak.CHARS_UTF8 | _espeak.PHONEMES
        status = _espeak.Synth(text.encode("utf-8"), flags=flags)
        if status != 0:
            raise EngineError(f"espeak-ng could not speak this text (error {status})")
        return Pcm(b"".join(pieces), rate)


_SYNCHRONOUS_RATE: list[int] = []


def _initialize_synchronous() -> int:
    """Start espeak-ng in its synchronous mode, once per (worker) process; its sample rate.

    pyttsx3's driver starts espeak in its asynchronous mode, where synthesis runs on a thread of
    espeak's own and `runAndWait` can return before a long file is written (DESIGN.md). In the
    synchronous mode `Synth` returns when the last sample has been handed over: no thread, no
    waiting, no WAV file. Measured on the sample's 40 units: byte-identical audio, synthesis CPU
    1.9 s -> 1.2 s. pyttsx3's driver is told espeak is initialized so it never starts it again.
    """
    if _SYNCHRONOUS_RATE:
        return _SYNCHRONOUS_RATE[0]
    load_espeak()
    from pyttsx3.drivers import _espeak
    from pyttsx3.drivers.espeak import EspeakDriver

    if EspeakDriver._moduleInitialized:
        raise EngineError("espeak-ng was already started in another mode in this process")
    rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 1000)
    if rate <= 0:
        raise EngineError("espeak-ng could not start (is its data folder missing?)")
    EspeakDriver._moduleInitialized = True
    EspeakDriver._defaultVoice = _current_voice() or "gmw/en"
    _SYNCHRONOUS_RATE.append(rate)
    return rate


def _current_voice() -> str:
    from pyttsx3.drivers.espeak import EspeakDriver

    return str(EspeakDriver.getProperty("voice") or "")


def _apply_voice(voice: VoiceSettings) -> None:
    """Set voice, rate, pitch and volume in a fixed order and wait until espeak has applied them.

    In the asynchronous mode pyttsx3 uses, espeak applies a voice change at once but queues
    parameter changes; pyttsx3's own defaults (rate 200, volume 1.0) are still queued when the
    engine is created. Measured here: without waiting, the rate and pitch in effect depended on
    timing, and the same turn rendered at different speeds when other workers loaded the CPU.
    """  # noqa: D401
    from pyttsx3.drivers import _espeak
    from pyttsx3.drivers.espeak import EspeakDriver

    _espeak.Synchronize()
    EspeakDriver.setProperty("voice", voice.voice)
    EspeakDriver.setProperty("rate", voice.rate if voice.rate is not None else 175)
    EspeakDriver.setProperty("pitch", voice.pitch if voice.pitch is not None else 50)
    EspeakDriver.setProperty("volume", 1.0 if voice.volume is None else voice.volume)
    _espeak.Synchronize()
    # espeak-ng draws the breath noise of voices such as +f3 from its own generator, seeded from
    # the clock when it starts; a fixed seed makes every turn byte for byte the same in every run.
    seed = getattr(_espeak.dll, "espeak_ng_SetRandSeed", None)
    if seed is not None:
        seed(ctypes.c_long(1))
    ctypes.CDLL(None).srand(1)


def _list_voices() -> list[tuple[str, str, tuple[str, ...], str | None]]:
    load_espeak()
    import pyttsx3

    engine = pyttsx3.init("espeak")
    out = []
    for v in engine.getProperty("voices"):
        langs = tuple(str(x) for x in (v.languages or ()))
        gender = v.gender if isinstance(v.gender, str) else None
        out.append((str(v.id), str(v.name), langs, gender))
    return out


@functools.cache
def _system_data_path() -> str | None:
    for candidate in (
        "/usr/lib/x86_64-linux-gnu/espeak-ng-data",
        "/usr/lib/aarch64-linux-gnu/espeak-ng-data",
        "/usr/share/espeak-ng-data",
        "/usr/lib/espeak-ng-data",
    ):
        if os.path.isdir(candidate):
            return candidate
    return None


@functools.cache
def _variants(data_path: str | None) -> tuple[str, ...]:
    if not data_path:
        return ()
    folder = Path(data_path) / "voices" / "!v"
    try:
        return tuple(sorted(p.name for p in folder.iterdir() if p.is_file()))
    except OSError:
        return ()


#: espeak-ng's own pitch range for a voice file without a `pitch` line (lowest, highest Hz).
ESPEAK_DEFAULT_PITCH = (82, 118)
#: The median pitch of espeak speech, from a voice file's `pitch LOW HIGH` line and the pitch setting p:
#: LOW_WEIGHT * LOW * 2 ** ((p - 50) / 50) + RANGE_WEIGHT * (HIGH - LOW). espeak-ng scales the bottom of
#: the range by the setting (an octave per 50 steps) and keeps its width; the weights were fitted on
#: this machine to 27 variants (f1-f5, m1-m8 and others) at settings 20-90, one sentence each, median
#: F0 by autocorrelation: root-mean-square error 2.8 %, worst 8 % (docs/voices-yaml.md, "How speakers are told apart").
LOW_WEIGHT = 0.92
RANGE_WEIGHT = 0.80
#: Median pitch (Hz) of the common variants at pitch settings 15, 35, 50, 65, 80 and 95, measured on
#: this machine by `python bench/voice_pitch.py` (espeak-ng from espeakng-loader, base voice gmw/en-us,
#: rate 170, mean of four sentences; other English base voices measured within 2 %). They replace the
#: formula above for these variants, whose residuals are systematic (up to 7 % for male variants at low
#: settings). Changing them or the weights: bump podrender.engines.catalog.CATALOG_FORMAT (catalogs are
#: remembered per machine).
MEASURED_SETTINGS = (15, 35, 50, 65, 80, 95)
MEASURED_HZ = {
    "f1": (131, 156, 180, 210, 247, 293),
    "f2": (146, 171, 196, 227, 263, 311),
    "f3": (164, 189, 212, 241, 278, 323),
    "f4": (129, 154, 179, 210, 248, 295),
    "f5": (149, 177, 206, 240, 283, 335),
    "m1": (75, 84, 95, 110, 128, 151),
    "m2": (74, 87, 102, 120, 141, 169),
    "m3": (84, 94, 106, 121, 141, 166),
    "m4": (79, 87, 96, 109, 125, 146),
    "m5": (80, 91, 103, 120, 139, 164),
    "m6": (77, 89, 102, 119, 138, 165),
    "m7": (89, 98, 109, 123, 141, 164),
    "m8": (72, 78, 87, 99, 115, 134),
}


@functools.cache
def _pitch_profiles(data_path: str | None) -> tuple[tuple[str, PitchProfile], ...]:
    """Profiles of base voices (keyed by lower-case id) and variants (keyed '+name') from espeak's files."""
    if not data_path:
        return ()
    out: list[tuple[str, PitchProfile]] = []
    root = Path(data_path)
    lang = root / "lang"
    for path in sorted(lang.rglob("*")) if lang.is_dir() else []:
        if path.is_file():
            pitch, gender = _voice_file_facts(path)
            out.append((path.relative_to(lang).as_posix().casefold(), _profile(pitch or ESPEAK_DEFAULT_PITCH, gender)))
    for name in _variants(data_path):
        pitch, gender = _voice_file_facts(root / "voices" / "!v" / name)
        profile = _profile(pitch, gender)
        if name in MEASURED_HZ:
            hz = tuple(float(h) for h in MEASURED_HZ[name])
            profile = replace(profile, measured=tuple(zip(MEASURED_SETTINGS, hz, strict=True)))
        out.append(("+" + name, profile))
    return tuple(out)


def _profile(pitch: tuple[int, int] | None, gender: str | None) -> PitchProfile:
    if pitch is None:
        return PitchProfile(gender=gender)
    low, high = sorted(pitch)
    return PitchProfile(base_hz=LOW_WEIGHT * low, spread_hz=RANGE_WEIGHT * (high - low), gender=gender)


def _voice_file_facts(path: Path) -> tuple[tuple[int, int] | None, str | None]:
    """The `pitch LOW HIGH` and `gender` lines of an espeak voice or variant file."""
    pitch: tuple[int, int] | None = None
    gender: str | None = None
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None, None
    for line in text.splitlines():
        words = line.split("//")[0].split()
        if len(words) >= 3 and words[0] == "pitch" and words[1].isdigit() and words[2].isdigit():
            pitch = (int(words[1]), int(words[2]))
        elif len(words) >= 2 and words[0] == "gender" and words[1].casefold() in ("male", "female"):
            gender = words[1].capitalize()
    return pitch, gender


def espeak_version() -> str:
    """The version string libespeak-ng reports (loads the library; call in a child)."""
    lib = load_espeak()
    handle: Any = ctypes.CDLL(lib.path)
    handle.espeak_Info.restype = ctypes.c_char_p
    value = handle.espeak_Info(None)
    return value.decode() if value else "unknown"
