"""Load voices.yaml into frozen settings, with the file and line of every mistake."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import yaml

from podrender.audio.settings import AudioSettings, MusicFile, MusicSettings
from podrender.errors import ConfigError
from podrender.input.source import TooBig, read_limited
from podrender.yamlnodes import Loader, compose, did_you_mean

T = TypeVar("T")

CHAPTER_POLICIES = ("host", "turn", "marker", "none")
#: voices.yaml's `gender:` values, and the catalog's spelling of them.
GENDERS = {"female": "Female", "male": "Male"}
#: A Piper voice's `length_scale` (above 1 is slower); outside this the duration check of a unit would
#: take plain speech for a broken engine (synthesize.check_audio allows a quarter to four times).
LENGTH_SCALE_RANGE = (0.5, 2.0)


#: Seconds one skip (or keep) pattern may take on one line of a script. A pattern with nested repeats, such as
#: `(a+)+$`, can take longer than the age of the universe on a line of 40 a's; ordinary ones take microseconds.
SKIP_TIMEOUT_S = 0.25


@dataclass(frozen=True)
class SkipRule:
    """A `skip:` (or `keep:`) pattern of voices.yaml, run with a time bound (the `regex` module's timeout)."""

    pattern: str
    compiled: Any = field(repr=False, compare=False)
    line: int = 0
    path: str | None = None
    key: str = "skip"
    """The voices.yaml key it was written under, for messages."""

    def search(self, text: str) -> bool:
        try:
            return self.compiled.search(text, timeout=SKIP_TIMEOUT_S) is not None
        except TimeoutError:
            raise ConfigError(
                f"{self.key} pattern {self.pattern!r} took more than {SKIP_TIMEOUT_S:g} s on one line of the script; "
                "simplify it (nested repeats such as (a+)+ can run for ever)",
                path=self.path, line=self.line,
            ) from None


def skip_rule(pattern: str, line: int = 0, path: str | None = None, key: str = "skip") -> SkipRule:
    """Compile a skip (or keep) pattern (Python `re` syntax), or raise ConfigError naming it."""
    import regex

    try:
        compiled = regex.compile(pattern, flags=regex.VERSION0)
    except (regex.error, RecursionError, OverflowError, ValueError) as exc:
        message = f"{key} pattern {pattern!r} is not a valid regular expression ({exc})"
        raise ConfigError(message, path=path, line=line) from None
    return SkipRule(pattern, compiled, line, path, key)


@dataclass(frozen=True)
class SpeakerConfig:
    """One entry under `speakers:`."""

    name: str
    voice: str | None = None
    """Engine voice id, full (`gmw/en-us+f3`) or short (`en-us+f3`)."""
    rate: int | None = None
    """Words per minute (espeak's default is 175-200)."""
    pitch: int | None = None
    """0-100, 50 is the voice's own pitch."""
    volume: float | None = None
    """0.0-1.0 before loudness matching; rarely needed."""
    aliases: tuple[str, ...] = ()
    """Other labels that mean this speaker."""
    pronounce: tuple[tuple[str, str], ...] = ()
    """Respellings for this speaker only, on top of the global table."""
    engine: str | None = None
    """This speaker's engine (default: the top-level `engine`), e.g. `piper`."""
    model: str | None = None
    """A model-file engine's voice (piper): an absolute path, or the name of an installed voice."""
    speaker_id: int | None = None
    """Which speaker of a multi-speaker model."""
    length_scale: float | None = None
    """Piper's phoneme duration factor: above 1 is slower."""
    gender: str | None = None
    """'Female' or 'Male' (voices.yaml `gender: female|male`): the gender of voice a fallback gives the
    speaker, overriding what their name suggests (podrender.speech.names)."""
    pan: float | None = None
    """Where the speaker sits in a stereo episode: -1 left .. 0 centre .. 1 right (default: the seating
    of podrender.output.mix)."""
    line: int = 0
    voice_line: int = 0
    engine_line: int = 0
    model_line: int = 0
    speaker_id_line: int = 0
    pitch_line: int = 0
    rate_line: int = 0


@dataclass(frozen=True)
class Episode:
    """ID3 metadata."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    year: str | None = None
    description: str | None = None
    cover: Path | None = None


@dataclass(frozen=True)
class Config:
    """Everything voices.yaml says."""

    path: str | None = None
    engine: str = "pyttsx3"
    engine_line: int = 0
    narrator: str = "Narrator"
    host: str | None = None
    pause_ms: int = 400
    chapter_pause_ms: int = 1200
    chapters: str = "host"
    speakers: tuple[SpeakerConfig, ...] = ()
    fallback_voices: tuple[tuple[str, int], ...] = ()
    """(voice, line) pairs."""
    skip: tuple[SkipRule, ...] = ()
    keep: tuple[SkipRule, ...] = ()
    """Lines matching these are spoken even when they look like page chrome (podrender.input.boilerplate)."""
    pronounce: tuple[tuple[str, str], ...] = ()
    episode: Episode = field(default_factory=Episode)
    audio: AudioSettings = field(default_factory=AudioSettings)
    audio_line: int | None = None
    qa: tuple[tuple[str, str], ...] = ()
    """`Q`/`A` label -> speaker (default: Q is the host, else `Host`; A is `Guest`)."""
    stage_directions: str = "skip"
    """Plays: stage directions and scene headings are `skip`ped (the default), or read by the `narrator`."""
    music: MusicSettings = field(default_factory=MusicSettings)
    """Intro, bed and outro music (docs/music.md)."""
    fold_names: bool = True
    """Fold the labels of one person into one speaker (`Full Name (AB):` then `AB:`, a nickname in the title,
    `MS. PSAKI` -> Jen Psaki, Q&A introductions; podrender.input.identity); false keeps every label apart."""

    def speaker(self, name: str) -> SpeakerConfig | None:
        """The entry for a canonical speaker name, matched case-insensitively."""
        key = name.casefold()
        return next((s for s in self.speakers if s.name.casefold() == key), None)

    def aliases(self) -> dict[str, str]:
        """Lower-cased label -> canonical name, for the parser."""
        out: dict[str, str] = {}
        for s in self.speakers:
            out[s.name.casefold()] = s.name
            for a in s.aliases:
                out[a.casefold()] = s.name
        return out


_TOP_KEYS = (
    "engine",
    "narrator",
    "host",
    "pause_ms",
    "chapter_pause_ms",
    "chapters",
    "speakers",
    "fallback_voices",
    "skip",
    "keep",
    "pronounce",
    "pronounce_files",
    "episode",
    "audio",
    "qa",
    "stage_directions",
    "music",
    "fold_names",
)
STAGE_DIRECTIONS = ("narrator", "skip")
_SPEAKER_KEYS = (
    "voice", "rate", "pitch", "volume", "aliases", "pronounce", "engine", "model", "speaker_id", "speaker",
    "length_scale", "gender", "pronounce_files", "pan",
)  # fmt: skip
_EPISODE_KEYS = ("title", "artist", "album", "year", "description", "cover")
_AUDIO_KEYS = ("sample_rate", "channels", "bitrate", "loudness", "true_peak")
_MUSIC_FILES = ("intro", "bed", "outro")
#: voices.yaml `music:` numbers: (lowest, highest, type).
_MUSIC_NUMBERS: dict[str, tuple[float, float, Callable[[Any], Any]]] = {
    "duck_db": (0.0, 60.0, float),
    "music_db": (-40.0, 0.0, float),
    "bed_db": (-60.0, 0.0, float),
    "fade_ms": (0, 30_000, int),
    "attack_ms": (10, 5_000, int),
    "release_ms": (10, 10_000, int),
}


class _Reader:
    """Walks the composed YAML nodes so that each value keeps its line."""

    def __init__(
        self, path: str, loader: yaml.SafeLoader, base_dir: Path | None = None, allow_files: bool = True
    ) -> None:
        self.path = path
        self.loader = loader
        self.base_dir = base_dir
        """Folder that relative file names (pronounce_files) are resolved against."""
        self.allow_files = allow_files

    def fail(self, node: yaml.Node, message: str) -> ConfigError:
        return ConfigError(message, path=self.path, line=node.start_mark.line + 1)

    def mapping(self, node: yaml.Node, where: str, keys: tuple[str, ...] | None) -> list[tuple[str, yaml.Node]]:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return []
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{where} must be a mapping of keys to values")
        out: list[tuple[str, yaml.Node]] = []
        seen: set[str] = set()
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                raise self.fail(knode, f"{where}: keys must be plain names")
            key = str(knode.value)
            if keys is not None and key not in keys:
                raise self.fail(knode, f"unknown key '{key}' in {where}{did_you_mean(key, keys)}")
            if key in seen:
                raise self.fail(knode, f"key '{key}' appears twice in {where}")
            seen.add(key)
            out.append((key, vnode))
        return out

    def scalar(self, node: yaml.Node, where: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{where} must be a single value, not a list or mapping")
        try:
            return self.loader.construct_object(node)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise self.fail(node, f"{where}: cannot read the value ({problem})") from None

    def string(self, node: yaml.Node, where: str, *, allow_none: bool = False) -> str | None:
        value = self.scalar(node, where)
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
            raise self.fail(node, f"{where} must be text, not {_kind(value)}")
        return str(value)

    def number(self, node: yaml.Node, where: str, kind: Callable[[Any], T], lo: float, hi: float) -> T:
        value = self.scalar(node, where)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, f"{where} must be a number, not {_kind(value)}")
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise self.fail(node, f"{where} must be a whole number, not {value}")
        if not lo <= value <= hi:
            raise self.fail(node, f"{where} must be between {lo:g} and {hi:g}, not {value}")
        return kind(value)

    def name(self, node: yaml.Node, where: str) -> str:
        """Text that must be written as text: a number here is a mistake, not a name."""
        value = self.scalar(node, where)
        if not isinstance(value, str):
            raise self.fail(node, f"{where} must be text, not {_kind(value)}")
        return value

    def engine(self, node: yaml.Node, where: str) -> str:
        """An engine's name, checked against the engines installed (built in, or added by a package)."""
        from podrender.engines import check_engine_name

        name = self.name(node, where)
        try:
            check_engine_name(name)
        except ConfigError as exc:
            raise self.fail(node, f"{where}: {exc.detail}") from None
        return name

    def strings(self, node: yaml.Node, where: str) -> list[tuple[str, int]]:
        if isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:null":
                return []
            return [(self.name(node, where), node.start_mark.line + 1)]
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{where} must be a list of text")
        return [(self.name(item, f"{where} item"), item.start_mark.line + 1) for item in node.value]

    def table(self, node: yaml.Node, where: str) -> tuple[tuple[str, str], ...]:
        out = []
        for key, vnode in self.mapping(node, where, None):
            say = str(self.string(vnode, f"{where} entry '{key}'"))
            if not key.strip():
                raise self.fail(vnode, f"{where}: an entry has an empty word")
            if "[[" in key or "]]" in key:
                raise self.fail(vnode, f"{where} entry '{key}': phoneme brackets [[ ]] belong in the respelling")
            if not _brackets_balanced(say):
                raise self.fail(vnode, f"{where} entry '{key}': unbalanced phoneme brackets in '{say}' (write [[...]])")
            out.append((key, say))
        return tuple(out)

    def lexicon_files(self, node: yaml.Node, where: str) -> tuple[tuple[str, str], ...]:
        """The entries of every file named by `pronounce_files`, in order (a later file's entry wins)."""
        out: dict[str, str] = {}
        for name, line in self.strings(node, where):
            if not self.allow_files:
                raise ConfigError(
                    f"{where} is not allowed here (voices.yaml from the web page cannot name files)",
                    path=self.path, line=line,
                )  # fmt: skip
            file = Path(name).expanduser()
            if not file.is_absolute() and self.base_dir is not None:
                file = self.base_dir / file
            if not file.is_file():
                why = _not_a_file(file, "a file")
                raise ConfigError(f"{where}: '{name}' {why}", path=self.path, line=line)
            try:
                text = read_limited(file, MAX_CONFIG_BYTES).decode("utf-8-sig")
            except TooBig:
                why = f"is more than {MAX_CONFIG_BYTES // (1024 * 1024)} MB"
                raise ConfigError(f"{where}: '{name}' {why}", path=self.path, line=line) from None
            except (OSError, UnicodeDecodeError) as exc:
                why = f"cannot be read ({exc.strerror})" if isinstance(exc, OSError) else "is not UTF-8 text"
                raise ConfigError(f"{where}: '{name}' {why}", path=self.path, line=line) from None
            root, loader = _compose(text, str(file))
            if root is None:
                continue
            out.update(_Reader(str(file), loader).table(root, "pronounce"))
        return tuple(out.items())


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    shown = " ".join(str(value).split())  # an error is one line, whatever the value holds
    return f"'{shown[:60]}…'" if len(shown) > 60 else f"'{shown}'"


def _compose(text: str, path: str) -> tuple[yaml.Node | None, Loader]:
    """The YAML node tree of `text` (None when empty), or ConfigError with the line of the mistake."""
    return compose(text, path, ConfigError, "invalid YAML")


def parse_config(
    text: str, path: str = "voices.yaml", base_dir: Path | None = None, *, allow_files: bool = True
) -> Config:
    """Parse voices.yaml text. `base_dir` resolves a relative cover path.

    With `allow_files=False` (text from the web page) nothing in it may name a file to open: an
    `episode: cover` is a ConfigError.
    """
    root, loader = _compose(text, path)
    if root is None:
        return Config(path=path)
    r = _Reader(path, loader, base_dir, allow_files)
    try:
        return _build(r, root, path, base_dir, allow_files)
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deeply", path=path) from None


def _build(r: _Reader, root: yaml.Node, path: str, base_dir: Path | None, allow_files: bool = True) -> Config:
    values: dict[str, Any] = {"path": path}
    for key, node in r.mapping(root, "voices.yaml", _TOP_KEYS):
        if key == "engine":
            values["engine"], values["engine_line"] = r.engine(node, "engine"), node.start_mark.line + 1
        elif key in ("narrator", "host"):
            values[key] = r.string(node, key, allow_none=key == "host")
        elif key in ("pause_ms", "chapter_pause_ms"):
            values[key] = r.number(node, key, int, 0, 10_000)
        elif key == "chapters":
            policy = r.string(node, "chapters")
            if policy not in CHAPTER_POLICIES:
                raise r.fail(node, f"chapters must be one of {', '.join(CHAPTER_POLICIES)}, not '{policy}'")
            values["chapters"] = policy
        elif key == "speakers":
            values["speakers"] = tuple(
                _speaker(r, name, vnode, base_dir, allow_files) for name, vnode in r.mapping(node, "speakers", None)
            )
        elif key == "fallback_voices":
            values["fallback_voices"] = tuple(r.strings(node, "fallback_voices"))
        elif key == "skip":
            values["skip"] = tuple(skip_rule(pattern, line, path) for pattern, line in r.strings(node, "skip"))
        elif key == "keep":
            values["keep"] = tuple(skip_rule(pattern, line, path, "keep") for pattern, line in r.strings(node, "keep"))
        elif key == "pronounce":
            values["pronounce"] = r.table(node, "pronounce")
        elif key == "pronounce_files":
            values["pronounce_files"] = r.lexicon_files(node, "pronounce_files")
        elif key == "episode":
            values["episode"] = _episode(r, node, base_dir, allow_files)
        elif key == "audio":
            values["audio"], values["audio_line"] = _audio(r, node), node.start_mark.line + 1
        elif key == "qa":
            values["qa"] = _qa(r, node)
        elif key == "music":
            values["music"] = _music(r, node, base_dir, allow_files)
        elif key == "stage_directions":
            setting = r.string(node, "stage_directions")
            if setting not in STAGE_DIRECTIONS:
                raise r.fail(node, f"stage_directions must be one of {', '.join(STAGE_DIRECTIONS)}, not '{setting}'")
            values["stage_directions"] = setting
        elif key == "fold_names":
            value = r.scalar(node, "fold_names")
            if not isinstance(value, bool):
                raise r.fail(node, f"fold_names must be true or false, not {_kind(value)}")
            values["fold_names"] = value
    values["pronounce"] = _merge(values.pop("pronounce_files", ()), values.get("pronounce", ()))
    config = Config(**values)
    _check_names(config, r, root)
    return config


def _speaker(
    r: _Reader, name: str, node: yaml.Node, base_dir: Path | None = None, allow_files: bool = True
) -> SpeakerConfig:
    where = f"speaker '{name}'"
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
        return SpeakerConfig(name=name, voice=r.string(node, f"{where} voice"), line=line, voice_line=line)
    fields: dict[str, Any] = {"name": name, "line": line}
    for key, vnode in r.mapping(node, where, _SPEAKER_KEYS):
        if key == "voice":
            fields["voice"] = r.string(vnode, f"{where}: voice")
            fields["voice_line"] = vnode.start_mark.line + 1
        elif key == "rate":
            fields["rate"] = r.number(vnode, f"{where}: rate", int, 80, 450)
            fields["rate_line"] = vnode.start_mark.line + 1
        elif key == "pitch":
            fields["pitch"] = r.number(vnode, f"{where}: pitch", int, 0, 100)
            fields["pitch_line"] = vnode.start_mark.line + 1
        elif key == "volume":
            fields["volume"] = r.number(vnode, f"{where}: volume", float, 0.0, 1.0)
        elif key == "aliases":
            fields["aliases"] = tuple(a for a, _ in r.strings(vnode, f"{where}: aliases"))
        elif key == "pronounce":
            fields["pronounce"] = r.table(vnode, f"{where}: pronounce")
        elif key == "pronounce_files":
            fields["pronounce_files"] = r.lexicon_files(vnode, f"{where}: pronounce_files")
        elif key == "engine":
            fields["engine"], fields["engine_line"] = r.engine(vnode, f"{where}: engine"), vnode.start_mark.line + 1
        elif key == "model":
            fields["model"], fields["model_line"] = _model(r, vnode, where, base_dir, allow_files)
        elif key in ("speaker_id", "speaker"):  # `speaker` is another name for speaker_id
            if "speaker_id" in fields:
                raise r.fail(vnode, f"{where}: give speaker_id or speaker (the same setting), not both")
            fields["speaker_id"] = r.number(vnode, f"{where}: {key}", int, 0, 100_000)
            fields["speaker_id_line"] = vnode.start_mark.line + 1
        elif key == "length_scale":
            fields["length_scale"] = r.number(vnode, f"{where}: length_scale", float, *LENGTH_SCALE_RANGE)
        elif key == "gender":
            said = r.name(vnode, f"{where}: gender")
            if said.casefold() not in GENDERS:
                raise r.fail(vnode, f"{where}: gender must be female or male, not '{said}'")
            fields["gender"] = GENDERS[said.casefold()]
        elif key == "pan":
            fields["pan"] = r.number(vnode, f"{where}: pan", float, -1.0, 1.0)
    fields["pronounce"] = _merge(fields.pop("pronounce_files", ()), fields.get("pronounce", ()))
    return SpeakerConfig(**fields)


def _brackets_balanced(text: str) -> bool:
    """True when every `[[` (espeak phoneme input) is closed by `]]` before the next one opens."""
    inside = False
    for mark in re.findall(r"\[\[|\]\]", text):
        if (mark == "[[") == inside:
            return False
        inside = not inside
    return not inside


def _merge(*tables: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Tables in order of precedence, lowest first: an entry for the same word replaces the earlier one."""
    out: dict[str, str] = {}
    for table in tables:
        out.update(table)
    return tuple(out.items())


def _model(r: _Reader, node: yaml.Node, where: str, base_dir: Path | None, allow_files: bool) -> tuple[str, int]:
    """A speaker's `model:`: a path (made absolute against voices.yaml's folder) or a bare voice name."""
    value = r.name(node, f"{where}: model").strip()
    if not value:
        raise r.fail(node, f"{where}: model must name a voice file or an installed voice")
    if "/" in value or "\\" in value or value.lower().endswith(".onnx") or value.startswith("~"):
        if not allow_files:
            raise r.fail(node, f"{where}: model paths are not allowed here; name an installed voice instead")
        path = Path(value).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        value = os.path.abspath(path)
    return value, node.start_mark.line + 1


def _episode(r: _Reader, node: yaml.Node, base_dir: Path | None, allow_files: bool = True) -> Episode:
    fields: dict[str, Any] = {}
    for key, vnode in r.mapping(node, "episode", _EPISODE_KEYS):
        if key == "cover" and not allow_files:
            raise r.fail(vnode, "episode: cover is not allowed here (voices.yaml from the web page cannot name files)")
        value = r.string(vnode, f"episode: {key}", allow_none=True)
        if key == "cover" and value is not None:
            cover = Path(value).expanduser()
            if not cover.is_absolute() and base_dir is not None:
                cover = base_dir / cover
            if not cover.is_file():
                raise r.fail(vnode, f"episode: cover file '{value}' {_not_a_file(cover, 'an image')}")
            try:
                with cover.open("rb") as f:
                    head = f.read(16)
            except OSError as exc:
                raise r.fail(vnode, f"episode: cover file '{value}' cannot be read ({exc.strerror})") from None
            if not (head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n")):
                raise r.fail(vnode, f"episode: cover '{value}' is not a JPEG or PNG image")
            fields["cover"] = cover
        elif key == "year" and value is not None and not _YEAR.fullmatch(value.strip()):
            wanted = "a year such as 2024 or a date such as 2024-05-01"
            raise r.fail(vnode, f"episode: year must be {wanted}, not '{value}'")
        else:
            fields[key] = value
    return Episode(**fields)


#: What ID3's recording time (TDRC) and a feed can carry: a year, or a year with month and day.
_YEAR = re.compile(r"[12]\d{3}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")


def _audio(r: _Reader, node: yaml.Node) -> AudioSettings:
    fields: dict[str, Any] = {}
    for key, vnode in r.mapping(node, "audio", _AUDIO_KEYS):
        if key in ("sample_rate", "channels", "bitrate"):
            fields[key] = r.number(vnode, f"audio: {key}", int, 1, 192_000)
        else:
            fields[key] = r.number(vnode, f"audio: {key}", float, -100.0, 100.0)
    settings = AudioSettings(**fields)
    settings.check("audio", r.path, node.start_mark.line + 1)
    return settings


def _music(r: _Reader, node: yaml.Node, base_dir: Path | None, allow_files: bool) -> MusicSettings:
    """`music:`: the intro, bed and outro files (checked to exist here, decoded when a render starts) and
    the mix's levels and times."""
    fields: dict[str, Any] = {}
    for key, vnode in r.mapping(node, "music", (*_MUSIC_FILES, *_MUSIC_NUMBERS)):
        if key in _MUSIC_FILES:
            value = r.string(vnode, f"music: {key}", allow_none=True)
            if value is None:
                continue
            if not allow_files:
                why = "voices.yaml from the web page cannot name files"
                raise r.fail(vnode, f"music: {key} is not allowed here ({why})")
            fields[key] = music_file(value, f"music: {key}", base_dir, r.path, vnode.start_mark.line + 1)
        else:
            lo, hi, kind = _MUSIC_NUMBERS[key]
            fields[key] = r.number(vnode, f"music: {key}", kind, lo, hi)
    return MusicSettings(**fields)


def music_file(
    name: str, where: str, base_dir: Path | None = None, source: str | None = None, line: int | None = None
) -> MusicFile:
    """A music file the user named, which must be a regular file (whether it is audio is found when it is
    decoded); ConfigError naming `where` (and voices.yaml's line) otherwise."""
    path = Path(name).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not name.strip() or not path.is_file():
        why = "is empty" if not name.strip() else _not_a_file(path, "an audio file")
        raise ConfigError(f"{where}: '{name}' {why}", path=source, line=line)
    return MusicFile(path.absolute(), name, where, source, line)


def with_music(
    config: Config,
    intro: str | None = None,
    bed: str | None = None,
    outro: str | None = None,
    *,
    names: Mapping[str, str] | None = None,
    prefix: str = "--",
) -> Config:
    """`config` with the music files given on the command line (`--intro` etc., relative to the current folder)
    in place of voices.yaml's. `names`: how messages name a role's file (default: the path as given, e.g. an
    upload's own name for a file the server stored); `prefix`: before the role in messages (`--intro`, or
    `intro` with "" for the web page's fields)."""
    given = {"intro": intro, "bed": bed, "outro": outro}
    files: dict[str, Any] = {}
    for key, value in given.items():
        if value is None:
            continue
        file = music_file(value, f"{prefix}{key}")
        label = (names or {}).get(key)
        files[key] = file if label is None else replace(file, name=label)
    if not files:
        return config
    return replace(config, music=replace(config.music, **files))


def _qa(r: _Reader, node: yaml.Node) -> tuple[tuple[str, str], ...]:
    """`qa: {Q: Host, A: Guest}`: which speaker each of the labels Q and A stands for."""
    out = []
    for label, vnode in r.mapping(node, "qa", ("Q", "A")):
        out.append((label, r.name(vnode, f"qa: {label}").strip()))
        if not out[-1][1]:
            raise r.fail(vnode, f"qa: {label} must name a speaker")
    return tuple(out)


def _check_names(config: Config, r: _Reader, root: yaml.Node) -> None:
    owner: dict[str, str] = {}
    for s in config.speakers:
        for label in (s.name, *s.aliases):
            key = label.casefold()
            if key in owner and owner[key] != s.name:
                raise ConfigError(f"'{label}' is used by both '{owner[key]}' and '{s.name}'", path=r.path, line=s.line)
            owner[key] = s.name


#: voices.yaml and lexicon files are read up to this size (a long lexicon is a few hundred KB).
MAX_CONFIG_BYTES = 5 * 1024 * 1024


def _not_a_file(path: Path, wanted: str) -> str:
    """Why `path`, which is not a regular file, cannot be used: for people."""
    if path.is_dir():
        return f"is a folder, not {wanted}"
    if path.exists():
        return f"is not a regular file (a device, a pipe or a socket), not {wanted}"
    return "does not exist"


def load_config(path: Path | None) -> Config:
    """Read voices.yaml from `path`; None gives the built-in defaults."""
    if path is None:
        return Config()
    if not path.exists():
        raise ConfigError("no such file", path=str(path))
    if path.is_dir():
        raise ConfigError("is a directory, not a voices.yaml file", path=str(path))
    if not path.is_file():
        raise ConfigError(f"{_not_a_file(path, 'a voices.yaml file')}", path=str(path))
    try:
        data = read_limited(path, MAX_CONFIG_BYTES)
    except TooBig:
        size = f"{MAX_CONFIG_BYTES // (1024 * 1024)} MB"
        raise ConfigError(f"is more than {size}; is it really voices.yaml?", path=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror})", path=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text", path=str(path)) from None
    return parse_config(text, str(path), path.parent)
