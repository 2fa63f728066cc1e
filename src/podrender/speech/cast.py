"""Give every speaker a voice: from voices.yaml, else a fallback that differs from every voice in use."""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, replace

from podrender.config import Config, SpeakerConfig
from podrender.engines import Engine, VoiceSettings, get_engine
from podrender.engines.catalog import Catalog, UnknownVoice
from podrender.errors import ConfigError, VoiceError
from podrender.input.script import Script, Turn, split_label
from podrender.speech.distinct import Heard, choose_fallback, clash_warnings, describe, plan_pitches
from podrender.speech.names import GenderGuess, guess_gender
from podrender.speech.normalize.spoken import PHONEMES

#: Voices tried, in order, for speakers voices.yaml does not list (after its fallback_voices).
BUILTIN_FALLBACKS = {
    # American English first: Whisper heard en-us voices best (the RP variants lost "of" and "is");
    # other accents only for large casts, where telling speakers apart needs them.
    "pyttsx3": (
        "gmw/en-us+f3", "gmw/en-us+m3", "gmw/en-us", "gmw/en-us+f5", "gmw/en-us+f2", "gmw/en-us+m4",
        "gmw/en-gb+m4", "gmw/en+f4", "gmw/en-gb-scotland+m2", "gmw/en-029+m6", "gmw/en+f1",
    ),
    "fake": ("fake/high", "fake/low", "fake/bright", "fake/mid"),
    # Kokoro's presets, the clearest first (Whisper tiny.en WER 1.4-4.1 %, bench/kokoro_voices.py)
    "kokoro": ("mezzo", "baritone", "soprano", "tenor", "alto", "bass"),
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
    pitch_hz: float | None = None
    """Predicted median pitch (podrender.speech.distinct), None when the engine cannot predict it."""
    why: str = "voices.yaml"
    """Why this voice: 'voices.yaml', or how the fallback was chosen."""
    heard_as: str | None = None
    """The gender the speaker's names suggest and why ('male: Alexander'), or voices.yaml's `gender:`."""


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
        return self._by_name[speaker]

    @functools.cached_property
    def _by_name(self) -> dict[str, Role]:
        return {r.name: r for r in self.roles}


def _resolve(catalog: Catalog, spec: str, config: Config, line: int, who: str) -> str:
    try:
        return catalog.resolve(spec)
    except UnknownVoice as exc:
        raise VoiceError(f"{exc} (speaker '{who}')", path=config.path, line=line or None) from None


#: Fallback speakers cast one by one by the pitch rule (speech/distinct.py). The rule has room for about
#: ten pitches per gender; past this many, later speakers take these voices again in turn, so casting
#: stays linear in the number of speakers (800 speakers took 75 s when every one was searched).
CAREFUL_FALLBACKS = 24
#: Speakers checked pair by pair for voices that sound alike (the number of pairs grows as its square).
CLASH_CHECKED = 200


def build_cast(config: Config, script: Script, catalog: Catalog) -> Cast:
    """Cast the narrator and every labeled speaker of `script`."""
    warnings: list[str] = []
    crowded = 0
    used: set[str] = set()
    plan: list[tuple[str, SpeakerConfig | None]] = [(config.narrator, config.speaker(config.narrator))]
    plan += [(name, config.speaker(name)) for name in script.speakers]
    chosen: dict[str, str] = {}
    own = _own_engine_voices(config, plan, catalog)
    for name, entry in plan:
        if name in own:
            chosen[name] = own[name].voice
        elif entry is not None and entry.voice:
            chosen[name] = _resolve(catalog, entry.voice, config, entry.voice_line, name)
            used.add(chosen[name].casefold())

    candidates: list[tuple[str, int]] = list(config.fallback_voices)
    candidates += [(v, 0) for v in BUILTIN_FALLBACKS.get(catalog.engine, ())]
    candidates += [(v.id, 0) for v in catalog.voices]
    resolved_candidates: list[str] = []
    listed = len(config.fallback_voices) + len(BUILTIN_FALLBACKS.get(catalog.engine, ()))
    own_list = 0  # how many of contrast_pool come from voices.yaml's fallback_voices
    contrast_pool: list[str] = []  # fallback_voices and the built-in list: voices meant for any speaker
    for i, (spec, line) in enumerate(candidates):
        try:
            resolved_candidates.append(catalog.resolve(spec))
            if i < listed:
                contrast_pool.append(resolved_candidates[-1])
                own_list += i < len(config.fallback_voices)
        except UnknownVoice as exc:
            if line:
                raise VoiceError(f"fallback_voices: {exc}", path=config.path, line=line) from None

    # Speakers who are heard (the narrator only when there is narration), for the contrast rule.
    speaking = {name for name, _ in plan[1:]}
    if any(t.speaker is None for t in script.turns):
        speaking.add(config.narrator)
    settings: dict[str, VoiceSettings] = {}
    heard: list[Heard] = []
    for name, entry in plan:
        if name in chosen and name not in settings:
            settings[name] = own.get(name) or _settings(catalog, chosen[name], entry)
            if name in speaking:
                heard.append(Heard(name, catalog.gender(chosen[name]), catalog.expected_pitch(settings[name])))
    contrast_pool = contrast_pool or resolved_candidates
    unvoiced = list(dict.fromkeys(n for n, _ in plan if n not in chosen and n in speaking))
    heard_as = _heard_as(plan, script)
    wanted = {name: guess.gender for name, guess in heard_as.items()}
    planned = plan_pitches(unvoiced[:CAREFUL_FALLBACKS], heard, contrast_pool, catalog, wanted)

    roles: dict[str, Role] = {}
    unread: dict[tuple[str, tuple[str, ...]], list[str]] = {}  # phoneme entries an engine cannot read
    why: dict[str, str] = {}
    fallbacks = 0
    careful: list[VoiceSettings] = []  # the first CAREFUL_FALLBACKS fallback speakers' voices
    for name, entry in plan:
        fallback = name not in chosen
        if fallback and fallbacks >= CAREFUL_FALLBACKS and careful:
            # More fallback speakers than the pitch rule can keep apart: the later ones take the careful
            # choices again in turn (a voice of their own would not be distinct either), in linear time.
            voice = careful[(fallbacks - CAREFUL_FALLBACKS) % len(careful)]
            if entry is not None:  # what voices.yaml sets for the speaker is kept, as for any fallback
                own_settings = {k: getattr(entry, k) for k in ("pitch", "rate", "volume")}
                voice = replace(voice, **{k: v for k, v in own_settings.items() if v is not None})
            fallbacks += 1
            chosen[name], settings[name], why[name] = voice.voice, voice, "fallback: shares a voice (many speakers)"
            if name in speaking:
                heard.append(Heard(name, catalog.gender(voice.voice), catalog.expected_pitch(voice)))
            crowded += 1
        elif fallback:
            choice = choose_fallback(
                name, contrast_pool, catalog, heard, used,
                pitch=entry.pitch if entry else None, rate=entry.rate if entry else None,
                volume=entry.volume if entry else None, index=fallbacks, planned=planned.get(name),
                preferred=own_list, wanted=wanted.get(name),
            )  # fmt: skip
            fallbacks += 1
            if choice is not None:
                free, settings[name], why[name] = choice.voice.voice, choice.voice, choice.why
                if not choice.clear:
                    others = ", ".join(describe(h) for h in heard)
                    warnings.append(f"no fallback voice for '{name}' is clearly distinct from {others}")
            else:
                spare = next((v for v in resolved_candidates if v.casefold() not in used), None)
                if spare is None:
                    spare = resolved_candidates[len(chosen) % len(resolved_candidates)]
                    warnings.append(f"no unused voice left for '{name}'; reusing {spare}")
                free = spare
                settings[name], why[name] = _settings(catalog, free, entry), "fallback: first unused voice"
            chosen[name] = free
            careful.append(settings[name])
            if name in speaking:  # a narrator who never speaks leaves its voice free for the speakers
                used.add(free.casefold())
                heard.append(Heard(name, catalog.gender(free), catalog.expected_pitch(settings[name])))
            if name != config.narrator and fallbacks <= CAREFUL_FALLBACKS:
                voice = settings[name]
                detail = f" (pitch {voice.pitch if voice.pitch is not None else 50}, rate {voice.rate or 175})"
                warnings.append(
                    f"speaker '{name}' is not in voices.yaml; using fallback voice {free}"
                    + (detail if catalog.tunable else "")
                )
        lexicon = dict(config.pronounce)
        if entry is not None:
            lexicon.update(dict(entry.pronounce))
        if name not in own:  # the top-level engine's own checks (a piper model named by `voice:`)
            voice = settings[name]
            if entry is not None:
                voice = voice.with_options(speaker_id=entry.speaker_id, length_scale=entry.length_scale)
            settings[name] = _checked(config, name, entry, voice)
        phonemes = [word for word, say in lexicon.items() if PHONEMES.search(say)]
        if phonemes and not get_engine(settings[name].engine).phoneme_input:
            for word in phonemes:  # the engine would read the brackets' letters: say the word as written
                del lexicon[word]
            if name in speaking:
                unread.setdefault((settings[name].engine, tuple(phonemes)), []).append(name)
        roles[name] = Role(
            name=name,
            voice=settings[name],
            aliases=tuple(a for a in script.labels.get(name, ()) if a != name) or (entry.aliases if entry else ()),
            fallback=fallback,
            pronounce=tuple(lexicon.items()),
            gender=catalog.gender(chosen[name]),
            pitch_hz=catalog.expected_pitch(settings[name]),
            why=why.get(name, "voices.yaml"),
            heard_as=heard_as[name].why if name in heard_as else None,
        )

    for (engine_name, words), names in unread.items():
        warnings.append(
            f"engine '{engine_name}' does not read espeak phonemes: pronounce entries for "
            f"{', '.join(repr(w) for w in words[:3])}{' and more' if len(words) > 3 else ''} are not used"
            f" ({', '.join(names)})"
        )
    if crowded:
        warnings.append(
            f"{crowded + CAREFUL_FALLBACKS} speakers are not in voices.yaml, more than the {CAREFUL_FALLBACKS} "
            f"that fallback voices can keep apart; the last {crowded} share voices with earlier ones"
        )
    order = [name for name, _ in plan if name in speaking]
    by_name = {h.name: h for h in heard}
    listened = [by_name[n] for n in dict.fromkeys(order) if n in by_name]
    if len(listened) <= CLASH_CHECKED:
        warnings += clash_warnings(listened, settings)
    else:  # pair by pair would be quadratic, and would bury the script in warnings
        warnings.append(f"{len(listened)} speakers: too many to check pair by pair that they sound distinct")
    warnings += _name_warnings(script, config)
    host = script.speakers[0] if script.speakers else None
    if config.host:
        named = config.aliases().get(config.host.casefold(), config.host)
        host = next((s for s in script.speakers if s.casefold() == named.casefold()), named)
        if script.speakers and host not in script.speakers:
            warnings.append(f"host '{config.host}' never speaks in this script")
    return Cast(
        narrator=roles[config.narrator],
        roles=tuple(roles[s] for s in script.speakers if s != config.narrator),
        host=host,
        warnings=tuple(warnings),
    )


def _heard_as(plan: list[tuple[str, SpeakerConfig | None]], script: Script) -> dict[str, GenderGuess]:
    """The gender each speaker's names suggest (podrender.speech.names), or voices.yaml's `gender:`."""
    out: dict[str, GenderGuess] = {}
    text: str | None = None
    for name, entry in plan[:CLASH_CHECKED]:
        if entry is not None and entry.gender:
            out[name] = GenderGuess(entry.gender, f"{entry.gender.lower()}: voices.yaml")
            continue
        if text is None:
            text = "\n".join([script.title or "", *(t.text for t in script.turns[:2000])])
        names = [name, *script.labels.get(name, ()), *(entry.aliases if entry else ())]
        guess = guess_gender(list(dict.fromkeys(names)), text)
        if guess is not None:
            out[name] = guess
    return out


def _settings(catalog: Catalog, voice: str, entry: SpeakerConfig | None) -> VoiceSettings:
    """A speaker's voice with the rate, pitch and volume voices.yaml gives it."""
    return VoiceSettings(
        engine=catalog.engine,
        voice=voice,
        rate=entry.rate if entry else None,
        pitch=entry.pitch if entry else None,
        volume=entry.volume if entry else None,
    )


def _own_engine_voices(
    config: Config, plan: list[tuple[str, SpeakerConfig | None]], catalog: Catalog
) -> dict[str, VoiceSettings]:
    """Checked settings of the speakers with an `engine:` other than the catalog's, or a `model:`."""
    out: dict[str, VoiceSettings] = {}
    catalogs: dict[str, Catalog] = {}
    for name, entry in plan:
        if entry is None or not ((entry.engine and entry.engine != catalog.engine) or entry.model):
            continue
        engine_name = entry.engine or catalog.engine
        engine = _engine(config, name, engine_name, entry.engine_line or config.engine_line)
        spec = entry.model
        if spec is None and entry.voice:  # an engine with a voice list (pyttsx3): resolve `voice:` in it
            if engine_name not in catalogs:
                catalogs[engine_name] = Catalog(
                    engine.name, tuple(engine.voices()), tuple(engine.variants()), (), engine.tunable, engine.blends
                )
            spec = _resolve(catalogs[engine_name], entry.voice, config, entry.voice_line, name)
        if spec is None:
            raise ConfigError(
                f"speaker '{name}' uses engine '{engine_name}' but names no voice (give model: or voice:)",
                path=config.path, line=entry.engine_line or entry.line or None,
            )  # fmt: skip
        voice = VoiceSettings(
            engine=engine_name, voice=spec, rate=entry.rate, pitch=entry.pitch, volume=entry.volume,
        ).with_options(model=entry.model, speaker_id=entry.speaker_id, length_scale=entry.length_scale)
        out[name] = _checked(config, name, entry, voice)
    return out


def _engine(config: Config, name: str, engine_name: str, line: int) -> Engine:
    """The engine a speaker uses, or a ConfigError at `line` when it is unknown or not installed."""
    try:
        engine = get_engine(engine_name)
    except ConfigError as exc:
        raise ConfigError(f"speaker '{name}': {exc.detail}", path=config.path, line=line or None) from None
    hint = engine.missing()
    if hint:
        raise ConfigError(
            f"speaker '{name}' uses engine '{engine_name}', which is not installed: {hint}",
            path=config.path, line=line or None,
        )  # fmt: skip
    return engine


def _checked(config: Config, name: str, entry: SpeakerConfig | None, voice: VoiceSettings) -> VoiceSettings:
    """`voice` as its engine completes it (a model's path), or a ConfigError at the speaker's line."""
    own_engine = entry is not None and entry.engine is not None
    engine = _engine(config, name, voice.engine, entry.engine_line if entry and own_engine else config.engine_line)
    if type(engine).check_voice is Engine.check_voice:
        return voice
    try:
        return engine.check_voice(voice)
    except ConfigError as exc:
        line = config.engine_line
        if entry is not None:
            lines = {"model": entry.model_line or entry.voice_line, "speaker_id": entry.speaker_id_line,
                     "rate": entry.rate_line, "pitch": entry.pitch_line}  # fmt: skip
            line = lines.get(getattr(exc, "key", ""), 0) or entry.line
        raise ConfigError(f"speaker '{name}': {exc.detail}", path=config.path, line=line or None) from None


def _name_warnings(script: Script, config: Config) -> list[str]:
    out: list[str] = []
    names = list(script.speakers)
    if len(names) <= CLASH_CHECKED:  # pair by pair: quadratic, so only for casts a person would read through
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                if difflib.SequenceMatcher(None, a.casefold(), b.casefold()).ratio() >= 0.75:
                    out.append(f"speakers '{a}' and '{b}' look alike: a typo? (add one as an alias of the other)")
    turns_of: dict[str, list[Turn]] = {}
    for turn in script.turns:
        if turn.speaker is not None:
            turns_of.setdefault(turn.speaker, []).append(turn)
    named = {f.into for f in script.folds}  # a speaker the document names (who is who) is no stray `Word:`
    named.update(s for s, labels in script.labels.items() if any(split_label(label)[1] for label in labels))
    for name in names:
        turns = turns_of.get(name, [])
        if name in named:
            continue
        if len(turns) == 1 and config.speaker(name) is None and len(turns[0].text.split()) <= 15:
            out.append(f"'{name}' speaks only once (line {turns[0].line}); is '{name}:' prose rather than a speaker?")
    return out
