"""Casting for contrast (podrender.speech.distinct): every pair of speakers can be told apart.

The rule: two speakers are distinct when their voices differ in gender or their median pitches differ
by at least 20 %. The unit tests check the cast's predictions with the real espeak-ng voice data; the
render tests check the prediction against the pitch measured in the decoded MP3.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import DECODE_RATE, decode, median_pitch

from podrender.cli.main import cli
from podrender.config import Config, load_config, parse_config
from podrender.engines import VoiceSettings, get_engine
from podrender.engines.catalog import Catalog
from podrender.input.script import ParseOptions, Script, parse
from podrender.pipeline import load_catalog
from podrender.runner.pool import call_in_child
from podrender.speech.cast import Cast, Role, build_cast
from podrender.speech.distinct import DISTINCT_RATIO, Heard, distinct

REPO = Path(__file__).resolve().parent.parent
#: Names whose gender the name table does not make plain (podrender.speech.names): casting alternates.
NAMES = ("Ash", "Bay", "Kit", "Dee", "Jo", "Pat", "Sam", "Val")
LINE = "I have a few words to say about the lighthouse, the weather and the long winter ahead."


@pytest.fixture(scope="module")
def espeak() -> Catalog:
    """The real catalog: espeak-ng's voices (listed in a child process) and its voice files' pitches."""
    return load_catalog(get_engine("pyttsx3"))


@pytest.fixture(scope="module")
def fake() -> Catalog:
    return load_catalog(get_engine("fake"))


def talk(names: tuple[str, ...], narration: bool = True) -> str:
    intro = "A Test Talk\n\nThis part is narration.\n\n" if narration else ""
    return intro + "\n\n".join(f"{n}: {LINE}" for n in names + names)


def cast_for(catalog: Catalog, text: str, yaml_text: str = "") -> tuple[Config, Script, Cast]:
    config = parse_config(f"engine: {catalog.engine}\n" + yaml_text, "voices.yaml")
    script = parse(text, ParseOptions(aliases=config.aliases(), skip=config.skip))
    return config, script, build_cast(config, script, catalog)


def heard_roles(script: Script, cast: Cast) -> list[Role]:
    narration = any(t.speaker is None for t in script.turns)
    return ([cast.narrator] if narration else []) + list(cast.roles)


def alike_pairs(roles: list[Role]) -> list[tuple[str, str]]:
    """Pairs the rule cannot tell apart, judged on the cast's predictions."""
    out = []
    for a, b in itertools.combinations(roles, 2):
        if not distinct(Heard(a.name, a.gender, a.pitch_hz), Heard(b.name, b.gender, b.pitch_hz)):
            out.append((a.name, b.name))
    return out


# --- the rule ------------------------------------------------------------------------------------------


def test_the_rule() -> None:
    assert distinct(Heard("a", "Male", 100.0), Heard("b", "Female", 105.0)) is True  # gender alone suffices
    assert distinct(Heard("a", "Male", 100.0), Heard("b", "Male", 120.0)) is True  # exactly 20 % apart
    assert distinct(Heard("a", "Male", 100.0), Heard("b", "Male", 119.0)) is False
    assert distinct(Heard("a", None, 200.0), Heard("b", "Female", 150.0)) is True  # pitch when gender unknown
    assert distinct(Heard("a", None, None), Heard("b", "Male", 100.0)) is None  # cannot tell
    assert DISTINCT_RATIO == 1.2


# --- fallback choices ----------------------------------------------------------------------------------


# The fake engine's four voices hold eight speakers; espeak-ng's variants hold nine (eight and a narrator).
CASES = [("pyttsx3", n, narration) for n in range(2, 9) for narration in (True, False)]
CASES += [("fake", n, narration) for n in range(2, 9) for narration in (True, False) if n + narration <= 8]


@pytest.mark.parametrize(("engine", "count", "narration"), CASES)
def test_fallbacks_for_2_to_8_speakers_are_all_distinct(
    espeak: Catalog, fake: Catalog, engine: str, count: int, narration: bool
) -> None:
    catalog = espeak if engine == "pyttsx3" else fake
    text = talk(NAMES[:count], narration)
    _, script, cast = cast_for(catalog, text)
    roles = heard_roles(script, cast)
    assert len(roles) == count + narration
    assert all(r.fallback and r.pitch_hz for r in roles)
    assert alike_pairs(roles) == []
    assert not [w for w in cast.warnings if "sound alike" in w or "clearly distinct" in w]
    assert cast == cast_for(catalog, text)[2]  # deterministic
    for r in roles:  # every fallback stays in the range where the engine's voices sound natural
        assert r.voice.pitch is not None and 10 <= r.voice.pitch <= 95


def test_genders_alternate_in_order_of_appearance(espeak: Catalog) -> None:
    _, script, cast = cast_for(espeak, talk(NAMES[:4], narration=False))
    assert [r.gender for r in cast.roles] == ["Female", "Male", "Female", "Male"]
    _, script, cast = cast_for(espeak, talk(NAMES[:3]))
    assert [r.gender for r in heard_roles(script, cast)] == ["Female", "Male", "Female", "Male"]


def test_planned_pitches_spread_each_gender_evenly(espeak: Catalog) -> None:
    _, _, cast = cast_for(espeak, talk(NAMES[:3], narration=False))
    ann, ben, cat = cast.roles
    # Two women: 40 % apart around the female centre (205 Hz), the higher one first.
    assert (ann.voice.voice, round(ann.pitch_hz or 0)) == ("gmw/en-us+f3", 243)  # the first built-in voice
    assert ann.why == "fallback: a female voice to start"
    assert (ben.voice.voice, ben.voice.pitch, round(ben.pitch_hz or 0)) == ("gmw/en-us+m3", 49, 105)  # male centre
    assert ben.why == "fallback: a male voice beside Ash (female, 243 Hz)"
    assert cat.voice.voice == "gmw/en-us+f5" and cat.pitch_hz == pytest.approx(174, rel=0.01)  # unused; 40 % below Ash
    assert cat.why == "fallback: contrast with Ash (female, 243 Hz)"
    assert len({r.voice.rate for r in cast.roles}) == 3  # neighbours differ in pace too
    # Eight speakers: four of each gender, 36 % (women) and 30 % (men) apart across what the voices reach; the
    # highest woman at 304 Hz, not the planned 330: the American voices reach no higher within pitch 95.
    _, _, cast = cast_for(espeak, talk(NAMES, narration=False))
    women = sorted(r.pitch_hz or 0 for r in cast.roles if r.gender == "Female")
    men = sorted(r.pitch_hz or 0 for r in cast.roles if r.gender == "Male")
    assert women == pytest.approx([130, 177, 243, 304], rel=0.01)
    assert men == pytest.approx([77, 98, 127, 165], rel=0.01)


def test_when_no_pitch_is_free_the_cast_warns(fake: Catalog) -> None:
    _, script, cast = cast_for(fake, talk(NAMES[:8]))  # nine voices from four
    assert any(w.startswith("no fallback voice for 'Val' is clearly distinct from ") for w in cast.warnings)
    assert any("may sound alike" in w and "'Val'" in w for w in cast.warnings)
    assert alike_pairs(heard_roles(script, cast))


def test_fallback_contrasts_with_the_voices_voices_yaml_chose(espeak: Catalog) -> None:
    yaml_text = (
        "speakers:\n  Narrator: {voice: gmw/en-us+f3, rate: 165}\n  Sayak: {voice: gmw/en-us+m3, pitch: 40}\n"
        "fallback_voices: [gmw/en-us+f5]\n"
    )
    _, script, cast = cast_for(espeak, talk(("Sayak", "Sky", "Yan")), yaml_text)
    sayak, sky, yan = cast.roles
    assert not sayak.fallback and sayak.why == "voices.yaml" and round(sayak.pitch_hz or 0) == 98
    # Sky: one female and one male so far; the last one heard is male, so a female voice ...
    assert sky.gender == "Female" and sky.voice.voice == "gmw/en-us+f5"  # ... from fallback_voices first
    assert sky.why == "fallback: contrast with Narrator (female, 212 Hz)"
    assert (sky.pitch_hz or 0) <= 212 / 1.25 or (sky.pitch_hz or 0) >= 212 * 1.25
    assert yan.gender == "Male" and yan.why == "fallback: contrast with Sayak (male, 98 Hz)"
    assert alike_pairs(heard_roles(script, cast)) == []


def test_pitch_set_for_a_speaker_without_a_voice_is_kept(espeak: Catalog) -> None:
    _, _, cast = cast_for(espeak, talk(("Ann", "Ben"), narration=False), "speakers:\n  Ben: {pitch: 80, rate: 150}\n")
    ben = cast.role("Ben")
    assert ben.fallback and ben.voice.pitch == 80 and ben.voice.rate == 150
    assert alike_pairs(list(cast.roles)) == []


def test_look_alike_voices_from_voices_yaml_warn_and_stay(espeak: Catalog) -> None:
    yaml_text = "speakers:\n  Ann: {voice: en-us+m3}\n  Ben: {voice: gmw/en-gb+m4, pitch: 60}\n  Cat: en-us+f3\n"
    _, _, cast = cast_for(espeak, talk(("Ann", "Ben", "Cat"), narration=False), yaml_text)
    ann, ben, _ = cast.roles
    assert (ann.voice.voice, ann.voice.pitch) == ("gmw/en-us+m3", None)  # the user's choice is not changed
    assert (ben.voice.voice, ben.voice.pitch) == ("gmw/en+m4", 60)
    assert (
        "speakers 'Ann' and 'Ben' may sound alike: both male, about 106 and 104 Hz (less than 20% apart); "
        "give one another voice or pitch" in cast.warnings
    )
    assert sum("sound alike" in w for w in cast.warnings) == 1


def test_same_voice_without_pitch_knowledge_warns() -> None:
    engine = get_engine("fake")
    blind = Catalog("fake", tuple(engine.voices()))  # an engine that cannot predict pitch
    yaml_text = "speakers:\n  Ann: fake/low\n  Ben: fake/low\n  Cat: fake/high\n"
    _, _, cast = cast_for(blind, talk(("Ann", "Ben", "Cat"), narration=False), yaml_text)
    assert "speakers 'Ann' and 'Ben' use the same voice; give one another voice" in cast.warnings
    assert not any("'Cat'" in w for w in cast.warnings)


def test_same_model_with_another_speaker_id_is_not_the_same_voice() -> None:
    from podrender.speech.distinct import clash_warnings

    voices = {
        "Ann": VoiceSettings("piper", "/voices/a.onnx").with_options(model="/voices/a.onnx", speaker_id=0),
        "Ben": VoiceSettings("piper", "/voices/a.onnx").with_options(model="/voices/a.onnx", speaker_id=1),
        "Cat": VoiceSettings("piper", "/voices/a.onnx").with_options(model="/voices/a.onnx", speaker_id=1),
    }
    heard = [Heard(name, None, None) for name in voices]
    assert clash_warnings(heard, voices) == ["speakers 'Ben' and 'Cat' use the same voice; give one another voice"]


def test_a_silent_narrator_takes_no_pitch_from_the_speakers(espeak: Catalog) -> None:
    _, _, with_narration = cast_for(espeak, talk(NAMES[:2]))
    _, _, dialogue = cast_for(espeak, talk(NAMES[:2], narration=False))
    assert dialogue.roles[0].voice.voice == with_narration.narrator.voice.voice  # Ann takes the first voice


def test_repo_voices_yaml_keeps_the_interview_speakers_apart(espeak: Catalog) -> None:
    config = load_config(REPO / "voices.yaml")
    text = (
        "An Interview\n\nToday we talk with a guest.\n\nSayak: Welcome, Sasha!\n\n"
        "Sasha: Thank you. Call me Sasha.\n\nSayak: Sure, Sasha.\n\nSasha: Happy to be here."
    )
    script = parse(text, ParseOptions(aliases=config.aliases(), skip=config.skip))
    cast = build_cast(config, script, espeak)
    roles = heard_roles(script, cast)
    assert [r.name for r in roles] == ["Narrator", "Sayak", "Sasha"]
    assert alike_pairs(roles) == []
    assert not any("sound alike" in w for w in cast.warnings)


def test_repo_voices_yaml_keeps_the_bundled_example_speakers_apart(espeak: Catalog) -> None:
    config = load_config(REPO / "voices.yaml")
    text = (REPO / "examples" / "welcome.txt").read_text(encoding="utf-8")
    script = parse(text, ParseOptions(aliases=config.aliases(), skip=config.skip))
    cast = build_cast(config, script, espeak)
    roles = heard_roles(script, cast)
    assert [r.name for r in roles] == ["Narrator", "Maya", "Tom"]
    assert [r.gender for r in roles[1:]] == ["Female", "Male"]  # heard from their names
    assert alike_pairs(roles) == []
    assert not any("sound alike" in w for w in cast.warnings)


def test_inspect_shows_each_choice_and_why(tmp_path: Path) -> None:
    (tmp_path / "talk.txt").write_text(talk(("Sayak", "Sky")), encoding="utf-8")
    (tmp_path / "voices.yaml").write_text(
        "engine: pyttsx3\nspeakers:\n  Narrator: {voice: gmw/en-us+f3}\n  Sayak: {voice: gmw/en-us+m3, pitch: 40}\n",
        encoding="utf-8",
    )
    args = ["inspect", str(tmp_path / "talk.txt"), "--voices", str(tmp_path / "voices.yaml")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "pitch 40, rate 175 wpm, male ~98 Hz; from voices.yaml" in result.output
    assert "fallback: a female voice beside" not in result.output  # Sky: one of each so far, Sayak last: female
    assert "; fallback: contrast with Narrator (female, 212 Hz)" in result.output
    sheet = json.loads(CliRunner().invoke(cli, [*args, "--json"]).output)
    sky = next(s for s in sheet["speakers"] if s["name"] == "Sky")
    assert sky["why"] == "fallback: contrast with Narrator (female, 212 Hz)"
    assert sky["fallback"] and isinstance(sky["pitch_hz"], int) and isinstance(sky["pitch"], int)


def test_look_alike_warning_is_printed_by_render_and_inspect(tmp_path: Path) -> None:
    (tmp_path / "talk.txt").write_text("Ann: Hello there, Ben.\n\nBen: Hello, Ann.\n", encoding="utf-8")
    (tmp_path / "voices.yaml").write_text(
        "engine: fake\nspeakers:\n  Ann: fake/low\n  Ben: {voice: fake/mid, pitch: 10}\n", encoding="utf-8"
    )
    args = [str(tmp_path / "talk.txt"), "--voices", str(tmp_path / "voices.yaml")]
    warning = "speakers 'Ann' and 'Ben' may sound alike: both male, about 110 and 114 Hz"
    assert warning in CliRunner().invoke(cli, ["inspect", *args]).output
    result = CliRunner().invoke(cli, ["render", *args, "-o", str(tmp_path / "t.mp3"), "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"Warning: {warning}" in result.stderr


# --- measured on real audio ----------------------------------------------------------------------------

SIX = """\
Six at the Harbour

A short scene for six voices, written for the podrender tests.

Ada: The boats are late again this morning.

Brook: The wind turned in the night and the sea is rough.

Cyrus: I saw the lights of two of them an hour ago.

Dana: Then they will be here before the market opens.

Emil: Unless the fog comes down over the harbour wall.

Flora: It will not. The sky is clear all the way to the island.

Ada: Good. Then we wait for them here with the tea.
"""


def test_six_speaker_fallback_cast_is_distinct_in_the_rendered_mp3(tmp_path: Path) -> None:
    """Six unlisted speakers plus the narrator, rendered with espeak-ng; pitch measured in the decoded MP3."""
    (tmp_path / "six.txt").write_text(SIX, encoding="utf-8")
    (tmp_path / "voices.yaml").write_text("engine: pyttsx3\n", encoding="utf-8")
    out = tmp_path / "six.mp3"
    result = CliRunner().invoke(
        cli,
        ["render", str(tmp_path / "six.txt"), "--voices", str(tmp_path / "voices.yaml"), "-o", str(out),
         "--cache-dir", str(tmp_path / "cache")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads(out.with_suffix(".json").read_text())
    audio = decode(out)
    speech: dict[str, list[np.ndarray]] = {}
    for turn in manifest["turns"]:
        a, b = (int(turn[k] * DECODE_RATE / 1000) for k in ("start_ms", "end_ms"))
        speech.setdefault(turn["speaker"], []).append(audio[a:b])
    measured = {name: median_pitch(np.concatenate(parts)) for name, parts in speech.items()}
    assert sorted(measured) == sorted(["Narrator", "Ada", "Brook", "Cyrus", "Dana", "Emil", "Flora"])

    config = parse_config("engine: pyttsx3\n", "voices.yaml")
    catalog = load_catalog(get_engine("pyttsx3"))
    cast = build_cast(config, parse(SIX, ParseOptions()), catalog)
    roles = {r.name: r for r in (cast.narrator, *cast.roles)}
    for speaker in manifest["speakers"]:  # the render used the cast's choices
        role = roles[speaker["name"]]
        assert (speaker["voice"], speaker["pitch"]) == (role.voice.voice, role.voice.pitch)
    for name, hz in measured.items():  # the prediction holds on real speech (one or two sentences each)
        assert abs(hz / (roles[name].pitch_hz or 0) - 1) < 0.08, (name, hz, roles[name].pitch_hz)
    for a, b in itertools.combinations(measured, 2):  # the rule holds on what a listener hears
        ra, rb = roles[a], roles[b]
        assert ra.gender != rb.gender or max(measured[a], measured[b]) / min(measured[a], measured[b]) >= 1.2, (
            a, b, measured,
        )


def _spoken_pitch(voice: VoiceSettings) -> float:
    """Median pitch of one sentence spoken by the real engine in a fresh worker."""
    engine = get_engine(voice.engine)
    engine.preload()

    def work() -> float:
        with tempfile.TemporaryDirectory() as folder:
            pcm = engine.synthesize(LINE, voice, Path(folder))
        return median_pitch(np.frombuffer(pcm.samples, "<i2").astype(np.float64) / 32768.0, pcm.rate)

    return call_in_child(work, timeout=60.0)


def test_interview_voices_from_the_repo_voices_yaml_are_distinct_when_spoken(espeak: Catalog) -> None:
    config = load_config(REPO / "voices.yaml")
    script = parse("Narration.\n\nSayak: Hello.\n\nSasha: Hi.", ParseOptions(aliases=config.aliases()))
    cast = build_cast(config, script, espeak)
    measured = {r.name: (_spoken_pitch(r.voice), r) for r in (cast.narrator, *cast.roles)}
    for (a, (hz_a, ra)), (b, (hz_b, rb)) in itertools.combinations(measured.items(), 2):
        assert ra.gender != rb.gender or max(hz_a, hz_b) / min(hz_a, hz_b) >= 1.2, (a, b, hz_a, hz_b)
    sayak, sasha = measured["Sayak"][0], measured["Sasha"][0]
    assert sasha / sayak >= 1.2  # both male: told apart by pitch alone
