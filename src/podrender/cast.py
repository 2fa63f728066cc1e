"""Give every speaker a voice: from voices.yaml, else a fallback that differs from every voice in use."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from podrender.config import Config, SpeakerConfig
from podrender.engines import VoiceSettings
from podrender.errors import VoiceError
from podrender.script import Script
from podrender.voices import Catalog, UnknownVoice

#: Voices tried, in order, for speakers voices.yaml does not list (after its fallback_voices).
BUILTIN_FALLBACKS = {
    "pyttsx3": (
        "gmw/en-us+f3", "gmw/en-gb+m4", "gmw/en-us+m3", "gmw/en+f4", "gmw/en-gb-x-rp+m7",
        "gmw/en-us+f5", "gmw/en-gb-scotland+m2", "gmw/en-us+f2", "gmw/en-029+m6", "gmw/en+f1",
    ),
    "fake": ("fake/high", "fake/low", "fake/bright", "fake/mid"),
}  # fmt: skip


@dataclass(frozen=True)
class Role:
    """A speaker as cast."""

    name: str
    voice: VoiceSettings
    aliases: tuple[str, ...] = ()
    fallback: bool = False
    """True when voices.yaml did not choose the voice."""
    pronounce: tuple[tuple[str, str], ...] = ()
    """Global table plus this speaker's own entries (which win)."""
    gender: str | None = None


@dataclass(frozen=True)
class Cast:
    narrator: Role
    roles: tuple[Role, ...]
    """Labeled speakers in order of appearance (the narrator is separate)."""
    host: str | None
    warnings: tuple[str, ...] = ()

    def role(self, speaker: str | None) -> Role:
        if speaker is None or speaker == self.narrator.name:
            return self.narrator
        return next(r for r in self.roles if r.name == speaker)


def _resolve(catalog: Catalog, spec: str, config: Config, line: int, who: str) -> str:
    try:
        return catalog.resolve(spec)
    except UnknownVoice as exc:
        raise VoiceError(f"{exc} (speaker '{who}')", path=config.path, line=line or None) from None


def build_cast(config: Config, script: Script, catalog: Catalog) -> Cast:
    """Cast the narrator and every labeled speaker of `script`."""
    warnings: list[str] = []
    used: set[str] = set()
    plan: list[tuple[str, SpeakerConfig | None]] = [(config.narrator, config.speaker(config.narrator))]
    plan += [(name, config.speaker(name)) for name in script.speakers]
    chosen: dict[str, str] = {}
    for name, entry in plan:
        if entry is not None and entry.voice:
            chosen[name] = _resolve(catalog, entry.voice, config, entry.voice_line, name)
            used.add(chosen[name].casefold())

    candidates: list[tuple[str, int]] = list(config.fallback_voices)
    candidates += [(v, 0) for v in BUILTIN_FALLBACKS.get(catalog.engine, ())]
    candidates += [(v.id, 0) for v in catalog.voices]
    resolved_candidates: list[str] = []
    for spec, line in candidates:
        try:
            resolved_candidates.append(catalog.resolve(spec))
        except UnknownVoice as exc:
            if line:
                raise VoiceError(f"fallback_voices: {exc}", path=config.path, line=line) from None

    roles: dict[str, Role] = {}
    for name, entry in plan:
        fallback = name not in chosen
        if fallback:
            free = next((v for v in resolved_candidates if v.casefold() not in used), None)
            if free is None:
                free = resolved_candidates[len(chosen) % len(resolved_candidates)]
                warnings.append(f"no unused voice left for '{name}'; reusing {free}")
            chosen[name] = free
            used.add(free.casefold())
            if name != config.narrator:
                warnings.append(f"speaker '{name}' is not in voices.yaml; using fallback voice {free}")
        lexicon = dict(config.pronounce)
        if entry is not None:
            lexicon.update(dict(entry.pronounce))
        roles[name] = Role(
            name=name,
            voice=VoiceSettings(
                engine=catalog.engine,
                voice=chosen[name],
                rate=entry.rate if entry else None,
                pitch=entry.pitch if entry else None,
                volume=entry.volume if entry else None,
            ),
            aliases=tuple(a for a in script.labels.get(name, ()) if a != name) or (entry.aliases if entry else ()),
            fallback=fallback,
            pronounce=tuple(lexicon.items()),
            gender=catalog.gender(chosen[name]),
        )

    warnings += _name_warnings(script, config)
    host = script.speakers[0] if script.speakers else None
    if config.host:
        wanted = config.aliases().get(config.host.casefold(), config.host)
        host = next((s for s in script.speakers if s.casefold() == wanted.casefold()), wanted)
        if script.speakers and host not in script.speakers:
            warnings.append(f"host '{config.host}' never speaks in this script")
    return Cast(
        narrator=roles[config.narrator],
        roles=tuple(roles[s] for s in script.speakers if s != config.narrator),
        host=host,
        warnings=tuple(warnings),
    )


def _name_warnings(script: Script, config: Config) -> list[str]:
    out: list[str] = []
    names = list(script.speakers)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if difflib.SequenceMatcher(None, a.casefold(), b.casefold()).ratio() >= 0.75:
                out.append(f"speakers '{a}' and '{b}' look alike: a typo? (add one as an alias of the other)")
    for name in names:
        turns = [t for t in script.turns if t.speaker == name]
        if len(turns) == 1 and config.speaker(name) is None and len(turns[0].text.split()) <= 15:
            out.append(f"'{name}' speaks only once (line {turns[0].line}); is '{name}:' prose rather than a speaker?")
    return out
