"""Voice catalogs (podrender.engines.catalog) and casting speakers (podrender.speech.cast)."""

from __future__ import annotations

import pytest

from podrender.config import parse_config
from podrender.engines import VoiceInfo
from podrender.engines.catalog import Catalog, UnknownVoice
from podrender.engines.fake import FakeEngine
from podrender.errors import ConfigError, VoiceError
from podrender.input.script import ParseOptions, parse
from podrender.speech.cast import build_cast
from podrender.speech.chapters import build_chapters

ESPEAK_LIKE = Catalog(
    "pyttsx3",
    (
        VoiceInfo("gmw/en-us", "English (America)", ("en-us",), None),
        VoiceInfo("gmw/en-gb", "English (Great Britain)", ("en-gb", "en"), None),
        VoiceInfo("roa/fr", "French", ("fr-fr", "fr"), None),
        VoiceInfo("gmw/de", "German", ("de",), "Male"),
        VoiceInfo("zle/ru", "Russian", ("ru",), None),
    ),
    ("f1", "f2", "f3", "m1", "m3", "m7"),
)
# Two groups offer the same short name.
AMBIGUOUS = Catalog(
    "pyttsx3",
    (VoiceInfo("gmw/en-us", "A", ("en-us",)), VoiceInfo("other/en-us", "B", ("en-us",))),
    ("f3",),
)


def fake_catalog() -> Catalog:
    engine = FakeEngine()
    return Catalog("fake", tuple(engine.voices()), tuple(engine.variants()), tuple(engine.pitch_profiles().items()))


def unknown(catalog: Catalog, spec: str) -> UnknownVoice:
    with pytest.raises(UnknownVoice) as info:
        catalog.resolve(spec)
    return info.value


# --- Catalog.resolve -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "full"),
    [
        ("gmw/en-us+f3", "gmw/en-us+f3"),
        ("gmw/en-gb", "gmw/en-gb"),
        ("en-us+f3", "gmw/en-us+f3"),
        ("  en-gb+m7 ", "gmw/en-gb+m7"),
        ("GMW/EN-GB+F3", "gmw/en-gb+f3"),
        ("fr", "roa/fr"),
        ("fr-fr+m1", "roa/fr+m1"),
        ("en", "gmw/en-gb"),
        ("ru", "zle/ru"),
    ],
)
def test_resolve(spec: str, full: str) -> None:
    assert ESPEAK_LIKE.resolve(spec) == full


def test_unknown_variant_lists_closest_variants() -> None:
    err = unknown(ESPEAK_LIKE, "en-us+f9")
    assert err.spec == "en-us+f9"
    assert err.closest
    assert all(c.startswith("en-us+") for c in err.closest)
    assert "en-us+f3" in err.closest or "en-us+f1" in err.closest
    assert str(err).startswith("unknown voice 'en-us+f9'; closest: ")
    assert ", ".join(err.closest) in str(err)


def test_unknown_variant_on_a_full_id_suggests_full_ids() -> None:
    err = unknown(ESPEAK_LIKE, "gmw/en-gb+m33")
    assert err.closest[0] == "gmw/en-gb+m3"


def test_unknown_base_voice_suggests_similar_ids() -> None:
    err = unknown(ESPEAK_LIKE, "gmw/en-uss")
    assert "gmw/en-us" in err.closest
    assert "closest:" in str(err)


def test_unknown_voice_with_nothing_close_points_to_the_voices_command() -> None:
    err = unknown(ESPEAK_LIKE, "qqqqqqq")
    assert err.closest == []
    assert "podrender voices" in str(err)


def test_ambiguous_short_id() -> None:
    err = unknown(AMBIGUOUS, "en-us+f3")
    assert err.ambiguous == ["gmw/en-us+f3", "other/en-us+f3"]
    assert str(err) == "voice 'en-us+f3' is ambiguous; say one of: gmw/en-us+f3, other/en-us+f3"
    assert AMBIGUOUS.resolve("other/en-us+f3") == "other/en-us+f3"


def test_variant_on_an_engine_without_variants_is_unknown() -> None:
    catalog = fake_catalog()
    assert catalog.resolve("fake/low") == "fake/low"
    assert catalog.resolve("high") == "fake/high"
    unknown(catalog, "fake/low+f3")


def test_gender_from_variant_or_engine() -> None:
    assert ESPEAK_LIKE.gender("gmw/en-us+f3") == "Female"
    assert ESPEAK_LIKE.gender("gmw/en-us+m1") == "Male"
    assert ESPEAK_LIKE.gender("gmw/de") == "Male"
    assert ESPEAK_LIKE.gender("gmw/en-us") is None
    assert fake_catalog().gender("fake/high") == "Female"


def test_catalog_json_round_trip() -> None:
    assert Catalog.from_json(ESPEAK_LIKE.to_json()) == ESPEAK_LIKE


# --- build_cast ------------------------------------------------------------------------------------------

TALK = "Soup Talk\n\nHello and welcome.\n\nMaya: Hi Tom, how are you?\n\nTom: Good, thanks. Soup is good.\n\nMaya: Bye."


def cast_of(yaml_text: str, script_text: str):
    config = parse_config(yaml_text, "voices.yaml")
    script = parse(script_text, ParseOptions(aliases=config.aliases()))
    return config, script, build_cast(config, script, fake_catalog())


def test_configured_speakers_keep_their_voices() -> None:
    _, _, cast = cast_of(
        "engine: fake\nspeakers:\n  Narrator: mid\n  Maya: {voice: fake/high, rate: 190, pitch: 60}\n"
        "  Tom: {voice: fake/low, volume: 0.5}\n",
        TALK,
    )
    assert cast.narrator.name == "Narrator"
    assert cast.narrator.voice.voice == "fake/mid"
    maya, tom = cast.roles
    assert (maya.name, maya.voice.voice, maya.voice.rate, maya.voice.pitch) == ("Maya", "fake/high", 190, 60)
    assert (tom.name, tom.voice.voice, tom.voice.volume) == ("Tom", "fake/low", 0.5)
    assert maya.voice.engine == "fake"
    assert not any(r.fallback for r in (cast.narrator, *cast.roles))
    assert maya.gender == "Female" and tom.gender == "Male"
    assert cast.warnings == ()
    assert cast.host == "Maya"  # the first speaker when voices.yaml names no host
    assert cast.role(None) is cast.narrator
    assert cast.role("Tom") is tom


def test_unlisted_speakers_get_unused_fallback_voices_and_a_warning() -> None:
    _, _, cast = cast_of(
        "engine: fake\nspeakers:\n  Narrator: fake/mid\n  Maya: fake/high\n",
        TALK + "\n\nSky: Me too, I am also here.\n\nTom: Yes.\n\nSky: Indeed.",
    )
    by_name = {r.name: r for r in cast.roles}
    assert list(by_name) == ["Maya", "Tom", "Sky"]
    tom, sky = by_name["Tom"], by_name["Sky"]
    assert tom.fallback and sky.fallback and not by_name["Maya"].fallback
    voices = [cast.narrator.voice.voice, by_name["Maya"].voice.voice, tom.voice.voice, sky.voice.voice]
    assert len(set(voices)) == 4  # every speaker sounds different
    assert {tom.voice.voice, sky.voice.voice} == {"fake/low", "fake/bright"}
    # Tom, the second man, goes 40 % below the narrator (fake/mid, 150 Hz): fake/low at 89 Hz.
    assert "speaker 'Tom' is not in voices.yaml; using fallback voice fake/low (pitch 19, rate 155)" in cast.warnings
    sky_note = "speaker 'Sky' is not in voices.yaml; using fallback voice fake/bright"
    assert any(w.startswith(sky_note) for w in cast.warnings)


def test_fallback_voices_from_voices_yaml_come_first() -> None:
    _, _, cast = cast_of("engine: fake\nfallback_voices: [bright]\nspeakers:\n  Narrator: fake/mid\n", TALK)
    maya, tom = cast.roles
    assert maya.voice.voice == "fake/bright"
    assert tom.voice.voice not in {"fake/bright", "fake/mid"}


def test_unknown_fallback_voice_raises_with_its_line() -> None:
    with pytest.raises(VoiceError) as info:
        cast_of("engine: fake\nnarrator: Narrator\nfallback_voices:\n  - fake/low\n  - fake/nope\n", TALK)
    assert info.value.line == 5
    assert "fallback_voices" in str(info.value)


def test_more_speakers_than_voices_reuse_a_voice_at_another_pitch() -> None:
    names = ["Ann", "Ben", "Cat", "Dan", "Eve"]
    text = "\n\n".join(f"{n}: Hello from {n}, with a few words.\n\n{n}: And again." for n in names)
    _, _, cast = cast_of("engine: fake\n", text)
    assert len(cast.roles) == 5
    assert len({r.voice.voice for r in cast.roles}) == 4  # the fake engine has four voices ...
    assert len({(r.voice.voice, r.voice.pitch) for r in cast.roles}) == 5  # ... so one is heard at two pitches
    assert not any("sound alike" in w or "clearly distinct" in w for w in cast.warnings)


def test_engine_without_pitch_profiles_falls_back_to_unused_voices() -> None:
    config = parse_config("engine: fake\n", "voices.yaml")
    names = ["Ann", "Ben", "Cat", "Dan", "Eve"]
    script = parse("\n\n".join(f"{n}: Hello from {n}, with a few words." for n in names), ParseOptions())
    engine = FakeEngine()
    cast = build_cast(config, script, Catalog("fake", tuple(engine.voices())))  # no profiles: pitch unknown
    assert [r.voice.pitch for r in cast.roles] == [None] * 5
    assert any(w.startswith("no unused voice left for ") for w in cast.warnings)
    assert all(r.pitch_hz is None and r.why == "fallback: first unused voice" for r in cast.roles)


def test_narrator_without_entry_gets_a_voice_silently() -> None:
    _, _, cast = cast_of("engine: fake\nspeakers:\n  Maya: fake/high\n  Tom: fake/low\n", TALK)
    assert cast.narrator.fallback
    assert cast.narrator.voice.voice not in {"fake/high", "fake/low"}
    assert not any("Narrator" in w for w in cast.warnings)


def test_near_miss_names_warn() -> None:
    _, _, cast = cast_of(
        "engine: fake\nspeakers:\n  Sasha: fake/high\n  Maya: fake/low\n",
        "Maya: Who is here?\n\nSasha: Me.\n\nSacha: Me again, spelled differently.\n\nSasha: Indeed.",
    )
    assert "speakers 'Sasha' and 'Sacha' look alike: a typo? (add one as an alias of the other)" in cast.warnings


def test_alias_silences_the_near_miss_warning() -> None:
    _, script, cast = cast_of(
        "engine: fake\nspeakers:\n  Sasha: {voice: fake/high, aliases: [Sacha]}\n  Maya: fake/low\n",
        "Maya: Who is here?\n\nSasha: Me.\n\nSacha: Me again.",
    )
    assert script.speakers == ("Maya", "Sasha")
    assert not any("look alike" in w for w in cast.warnings)
    assert cast.role("Sasha").aliases == ("Sacha",)


def test_single_short_turn_by_an_unknown_speaker_warns() -> None:
    _, _, cast = cast_of(
        "engine: fake\nspeakers:\n  Maya: fake/high\n  Tom: fake/low\n",
        "Maya: Hi Tom.\n\nTom: Hi.\n\nNote: remember to buy soup.\n\nMaya: Right.",
    )
    assert "'Note' speaks only once (line 5); is 'Note:' prose rather than a speaker?" in cast.warnings


def test_configured_speaker_speaking_once_does_not_warn() -> None:
    _, _, cast = cast_of("engine: fake\nspeakers:\n  Maya: fake/high\n  Tom: fake/low\n", "Maya: Hi.\n\nTom: Hi.")
    assert not any("speaks only once" in w for w in cast.warnings)


def test_unknown_configured_voice_names_the_line() -> None:
    with pytest.raises(VoiceError) as info:
        cast_of(
            "engine: fake\nspeakers:\n  Maya: fake/high\n  Tom:\n    rate: 150\n    voice: fake/lwo\n",
            TALK,
        )
    err = info.value
    assert isinstance(err, ConfigError)
    assert err.line == 6
    assert err.path == "voices.yaml"
    assert "unknown voice 'fake/lwo'" in str(err)
    assert "fake/low" in str(err)  # the closest voice is suggested
    assert "speaker 'Tom'" in str(err)
    assert str(err).startswith("voices.yaml line 6: ")


def test_voice_of_a_speaker_absent_from_the_script_is_not_checked() -> None:
    # Only speakers in the plan are resolved: an entry for someone absent is not checked.
    _, _, cast = cast_of("engine: fake\nspeakers:\n  Sky: fake/nope\n", TALK)
    assert [r.name for r in cast.roles] == ["Maya", "Tom"]


def test_host_from_voices_yaml_and_missing_host_warning() -> None:
    _, _, cast = cast_of("engine: fake\nhost: Tom\nspeakers:\n  Maya: fake/high\n  Tom: fake/low\n", TALK)
    assert cast.host == "Tom"
    assert not any("never speaks" in w for w in cast.warnings)
    _, _, cast = cast_of("engine: fake\nhost: Sky\nspeakers:\n  Maya: fake/high\n  Tom: fake/low\n", TALK)
    assert "host 'Sky' never speaks in this script" in cast.warnings


def test_pronunciations_merge_global_and_per_speaker() -> None:
    _, _, cast = cast_of(
        "engine: fake\npronounce: {NLP: N L P, SQL: S Q L}\n"
        "speakers:\n  Maya: {voice: fake/high, pronounce: {SQL: sequel}}\n  Tom: fake/low\n",
        TALK,
    )
    assert dict(cast.role("Maya").pronounce) == {"NLP": "N L P", "SQL": "sequel"}
    assert dict(cast.role("Tom").pronounce) == {"NLP": "N L P", "SQL": "S Q L"}


def test_host_named_in_another_case_still_gets_question_chapters() -> None:
    config, script, cast = cast_of(
        "engine: fake\nhost: maya\nspeakers:\n  Maya: fake/high\n  Tom: fake/low\n",
        TALK,
    )
    assert not any("never speaks" in w for w in cast.warnings)  # the cast accepts 'maya' as Maya ...
    titles = [c.title for c in build_chapters(script, cast.host, "host")]
    assert "Hi Tom, how are you?" in titles  # ... so Maya's question should open a chapter


def test_cast_roles_follow_script_order() -> None:
    _, script, cast = cast_of("engine: fake\n", "Tom: One.\n\nMaya: Two.\n\nTom: Three.")
    assert tuple(r.name for r in cast.roles) == script.speakers == ("Tom", "Maya")


def test_catalog_remembered_by_another_version_is_listed_again() -> None:
    data = ESPEAK_LIKE.to_json()
    assert Catalog.from_json(data) == ESPEAK_LIKE
    for stale in ({k: v for k, v in data.items() if k != "format"}, {**data, "format": -1}):
        with pytest.raises(KeyError):
            Catalog.from_json(stale)  # load_catalog catches this and lists the voices again
