"""The engine interface and its registry. An engine turns text into PCM in one voice.

Engines are created and used inside worker processes; the parent process only asks for voice
lists, which engines compute in a throw-away child so that the parent never initializes a
speech library (forking after espeak is initialized hangs).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from podrender.errors import ConfigError


@dataclass(frozen=True)
class VoiceInfo:
    """A voice an engine offers."""

    id: str
    name: str
    languages: tuple[str, ...] = ()
    gender: str | None = None


@dataclass(frozen=True)
class PitchProfile:
    """How high a voice speaks, so that casting can predict its median pitch without rendering.

    The predicted median pitch at pitch setting `p` (0-100, 50 = the voice's own) is
    `base_hz * 2 ** ((p - 50) / steps_per_octave) + spread_hz`: the part of the voice's pitch
    that the setting shifts, plus the part it leaves alone (espeak moves the bottom of a voice's
    range but not its width). None means "as the base voice": a variant may set only its gender.
    """

    base_hz: float | None = None
    spread_hz: float = 0.0
    gender: str | None = None
    steps_per_octave: float = 50.0
    measured: tuple[tuple[int, float], ...] = ()
    """(setting, median Hz) pairs measured with the engine, in rising order; when given they replace
    the formula (straight lines between them on a log scale, the end lines continued beyond)."""

    def median_hz(self, pitch: int | None) -> float | None:
        setting = 50 if pitch is None else pitch
        if len(self.measured) >= 2:
            points = self.measured
            i = next((k for k in range(1, len(points) - 1) if setting < points[k][0]), len(points) - 1)
            (s0, h0), (s1, h1) = points[i - 1], points[i]
            return h0 * (h1 / h0) ** ((setting - s0) / (s1 - s0))
        if self.base_hz is None:
            return None
        return self.base_hz * 2 ** ((setting - 50) / self.steps_per_octave) + self.spread_hz


@dataclass(frozen=True)
class VoiceSettings:
    """Everything that decides how one speaker sounds."""

    engine: str
    voice: str
    rate: int | None = None
    pitch: int | None = None
    volume: float | None = None
    options: tuple[tuple[str, Any], ...] = ()
    """Settings only one engine reads, sorted by name, e.g. Piper's `model` (the absolute path of the
    voice's model file), `speaker_id` (which speaker of a multi-speaker model) and `length_scale` (above
    1 is slower). Unset ones are left out, so they add nothing to a cache key."""

    def option(self, name: str, default: Any = None) -> Any:
        """The engine-specific setting `name`, or `default`."""
        return next((value for key, value in self.options if key == name), default)

    def with_options(self, **changes: Any) -> VoiceSettings:
        """A copy with these options set (None removes one)."""
        merged = {**dict(self.options), **changes}
        return replace(self, options=tuple(sorted((k, v) for k, v in merged.items() if v is not None)))


class SettingError(ConfigError):
    """A voice setting an engine refuses (Engine.check_voice); `key` is the voices.yaml key at fault."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Pcm:
    """Mono signed 16-bit little-endian samples."""

    samples: bytes
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / 2 / self.rate


class Engine(ABC):
    """A speech engine. Subclasses register themselves with `register`."""

    name: ClassVar[str]
    #: Longest text handed to `synthesize` in one call; longer turns are split at sentences.
    max_chars: ClassVar[int] = 2000
    #: Whether voices take espeak's `pitch` (0-100) and `rate` settings, so casting may move a voice's pitch.
    tunable: ClassVar[bool] = True
    #: Whether a weighted sum of voices is a voice (`0.7*a + 0.3*b`, podrender.engines.blend).
    blends: ClassVar[bool] = False
    #: Whether the engine reads espeak phoneme input (`[[h@l'oU]]`) in a lexicon respelling.
    phoneme_input: ClassVar[bool] = False

    @abstractmethod
    def identity(self) -> str:
        """A string that changes whenever the engine's output could change (versions, library)."""

    @abstractmethod
    def voices(self) -> list[VoiceInfo]:
        """Base voices the engine offers."""

    def variants(self) -> list[str]:
        """Suffixes that may follow a base voice after '+' (espeak's variants)."""
        return []

    def pitch_profiles(self) -> dict[str, PitchProfile]:
        """How high each voice speaks, keyed by base voice id or by '+variant'; {} when unknown."""
        return {}

    @abstractmethod
    def synthesize(self, text: str, voice: VoiceSettings, workdir: Path) -> Pcm:
        """Speak `text`; `workdir` is a private scratch directory."""

    def preload(self, voices: Sequence[VoiceSettings] = ()) -> None:
        """Import what `synthesize` needs, in the parent, so forked workers start warm; `voices` are
        the settings the coming units use. Must not initialize anything that breaks across fork."""

    def start_for_workers(self) -> None:
        """Start the engine in a process that only forks workers and never speaks itself (the zygote),
        when a started engine survives fork and its workers' output is the same as from a fresh start."""

    def missing(self) -> str | None:
        """How to install what this engine needs when it is not installed (a pip command), else None."""
        return None

    def check_voice(self, voice: VoiceSettings) -> VoiceSettings:
        """Validate settings that `voices` cannot (a model file, a speaker id) and complete them (the
        model's absolute path). Raise ConfigError with a message naming what is wrong; the caller adds
        the file, line and speaker; a SettingError names the key at fault."""
        return voice

    def voice_identity(self, voice: VoiceSettings) -> str:
        """Like `identity`, plus whatever of this voice's own files changes the output (a model file)."""
        return self.identity()

    def describe(self) -> dict[str, str]:
        """What the engine runs on, for `podrender doctor`."""
        return {"engine": self.name, "identity": self.identity()}


_REGISTRY: dict[str, Callable[[], Engine]] = {}


def register(name: str, factory: Callable[[], Engine]) -> None:
    """Make an engine available under `name` in voices.yaml (`engine: NAME`)."""
    _REGISTRY[name] = factory


ENTRY_POINT_GROUP = "podrender.engines"
"""Packages add engines by declaring an entry point in this group: `name = "package.module:EngineClass"`."""

_builtin_loaded = False
_plugins_loaded = False


def engine_names() -> list[str]:
    _load_builtin()
    _load_plugins()
    return sorted(_REGISTRY)


def check_engine_name(name: str) -> None:
    """ConfigError naming the engines that exist, when no engine is called `name` (nothing is created)."""
    _load_builtin()
    if name not in _REGISTRY:
        _load_plugins()
    if name not in _REGISTRY:
        from podrender.yamlnodes import did_you_mean

        raise ConfigError(f"unknown engine '{name}'{did_you_mean(name, sorted(_REGISTRY), 'available')}")


def get_engine(name: str) -> Engine:
    """Create the engine called `name`, or raise ConfigError naming the ones that exist."""
    _load_builtin()
    # Installed plugins are looked up only for a name that is not built in: a render with a built-in
    # engine does not scan the installed packages' metadata.
    check_engine_name(name)
    return _REGISTRY[name]()


def _load_builtin() -> None:
    global _builtin_loaded
    if _builtin_loaded:
        return
    _builtin_loaded = True
    # Each engine's module is imported when the engine is first asked for: a render that uses only
    # espeak does not pay for Piper's imports. An engine registered earlier under the same name (a
    # plugin, a test) keeps its place; the others are added beside it.
    for name, module, cls in (
        ("pyttsx3", "pyttsx3_engine", "Pyttsx3Engine"),
        ("piper", "piper_engine", "PiperEngine"),
        ("kokoro", "kokoro_engine", "KokoroEngine"),
        ("fake", "fake", "FakeEngine"),
    ):
        _REGISTRY.setdefault(name, _lazy(f"podrender.engines.{module}", cls))


def _load_plugins() -> None:
    """Register the engines that installed packages declare under ENTRY_POINT_GROUP (loaded when used)."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        module, _, attr = ep.value.partition(":")
        _REGISTRY.setdefault(ep.name, _lazy(module.strip(), attr.strip()))


def _lazy(module: str, cls: str) -> Callable[[], Engine]:
    def factory() -> Engine:
        import importlib

        engine: Engine = getattr(importlib.import_module(module), cls)()
        return engine

    return factory
