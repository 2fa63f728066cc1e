"""voices.yaml: podrender.config.parse_config / load_config."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from podrender.config import AudioSettings, Config, load_config, parse_config
from podrender.errors import ConfigError, PodrenderError

EXAMPLE = Path(__file__).resolve().parents[1] / "voices.yaml"
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def config_error(text: str, path: str = "v.yaml", **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, path, **kwargs)
    return info.value


# --- the example file ---------------------------------------------------------------------------------


def test_example_voices_yaml_loads() -> None:
    config = load_config(EXAMPLE)
    assert config.path == str(EXAMPLE)
    assert config.engine == "pyttsx3"
    assert config.narrator == "Narrator"
    assert config.chapters == "host"
    assert (config.pause_ms, config.chapter_pause_ms) == (400, 1200)
    # A general example: nothing written for one transcript (every speaker is cast from their name).
    assert config.speakers == () and config.skip == () and config.pronounce == ()
    assert config.fallback_voices == ()
    assert config.episode.album == "podrender examples"
    assert config.audio == AudioSettings()


def test_speaker_lines_are_recorded() -> None:
    config = parse_config("speakers:\n  Ann:\n    rate: 150\n    voice: fake/low\n  Ben: fake/high\n")
    ann, ben = config.speakers
    assert (ann.line, ann.voice_line) == (3, 4)
    assert (ben.voice, ben.line, ben.voice_line) == ("fake/high", 5, 5)


def test_speaker_is_another_name_for_speaker_id() -> None:
    config = parse_config("speakers:\n  Ann:\n    engine: piper\n    speaker: 12\n", "v.yaml")
    ann = config.speakers[0]
    assert (ann.speaker_id, ann.speaker_id_line) == (12, 4)
    err = config_error("speakers:\n  Ann: {engine: piper, speaker_id: 1, speaker: 2}\n")
    assert str(err) == "v.yaml line 2: speaker 'Ann': give speaker_id or speaker (the same setting), not both"
    assert "speaker 'Ann': speaker must be" in str(config_error("speakers:\n  Ann: {speaker: -1}\n"))


def test_empty_document_gives_defaults() -> None:
    assert parse_config("", "v.yaml") == Config(path="v.yaml")
    assert parse_config("# only a comment\n", "v.yaml") == Config(path="v.yaml")


def test_load_config_none_and_missing(tmp_path: Path) -> None:
    assert load_config(None) == Config()
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="directory"):
        load_config(tmp_path)
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"narrator: Jos\xe9\n")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(latin1)


# --- unknown keys ---------------------------------------------------------------------------------------


def test_unknown_speaker_key_suggests_the_right_one() -> None:
    err = config_error("speakers:\n  Ann:\n    voice: fake/low\n    pich: 40\n")
    assert err.line == 4
    assert "unknown key 'pich'" in err.detail
    assert "did you mean 'pitch'?" in err.detail
    assert str(err) == f"v.yaml line 4: {err.detail}"


def test_unknown_top_level_key_suggests_the_right_one() -> None:
    err = config_error("narrator: Ann\nengnie: fake\n")
    assert err.line == 2
    assert "did you mean 'engine'?" in err.detail


def test_unknown_key_without_close_match_lists_known_keys() -> None:
    err = config_error("audio:\n  zzzzzz: 1\n")
    assert err.line == 2
    assert "known keys: sample_rate, channels, bitrate, loudness, true_peak" in err.detail


def test_duplicate_key() -> None:
    err = config_error("engine: fake\nnarrator: A\nengine: pyttsx3\n")
    assert err.line == 3
    assert "appears twice" in err.detail


# --- wrong types and values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('speakers:\n  Ann:\n    rate: "fast"\n', 3, "rate must be a number, not 'fast'"),
        ("speakers:\n  Ann: {rate: 500}\n", 2, "rate must be between 80 and 450"),
        ("speakers:\n  Ann:\n    pitch: 12.5\n", 3, "must be a whole number"),
        ("speakers:\n  Ann:\n    volume: .nan\n", 3, "volume must be between 0 and 1"),
        ("speakers:\n  Ann:\n    aliases: {a: b}\n", 3, "aliases must be a list of text"),
        ("speakers:\n  Ann:\n    aliases: [[x]]\n", 3, "must be a single value"),
        ("speakers: [1, 2]\n", 1, "speakers must be a mapping"),
        ("\n\nspeakers: hello\n", 3, "speakers must be a mapping"),
        ("narrator: yes\n", 1, "narrator must be text, not true/false"),
        ("narrator:\n", 1, "narrator must be text, not empty"),
        ("pause_ms: -5\n", 1, "pause_ms must be between 0 and 10000"),
        ("pause_ms: [1]\n", 1, "must be a single value"),
        ("chapters: hosts\n", 1, "chapters must be one of host, turn, marker, none"),
        ("fallback_voices: {a: b}\n", 1, "fallback_voices must be a list of text"),
        ("pronounce: [NLP]\n", 1, "pronounce must be a mapping"),
        ("pronounce:\n  NLP:\n", 2, "pronounce entry 'NLP' must be text"),
        ("skip:\n  - ok\n  - '(unclosed'\n", 3, "not a valid regular expression"),
        ("- just\n- a list\n", 1, "voices.yaml must be a mapping"),
        ("? [complex]\n: key\n", 1, "keys must be plain names"),
    ],
)
def test_wrong_types_name_the_line(text: str, line: int, fragment: str) -> None:
    err = config_error(text)
    assert err.line == line
    assert fragment in err.detail
    assert str(err) == f"v.yaml line {line}: {err.detail}"


def test_aliases_given_as_a_number_is_an_error() -> None:
    try:
        config = parse_config("speakers:\n  Ann:\n    voice: fake/low\n    aliases: 3\n", "v.yaml")
    except ConfigError as err:
        assert err.line == 4
        assert "aliases" in err.detail
    else:
        raise AssertionError(f"accepted as aliases={config.speakers[0].aliases}")


def test_aliases_as_a_single_name_is_accepted() -> None:
    (ann,) = parse_config("speakers:\n  Ann: {aliases: Annie}\n").speakers
    assert ann.aliases == ("Annie",)


# --- invalid YAML ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("speakers:\n  Ann: {voice: x\n  Ben: y\n", 3, 6),
        ("engine: fake\nnarrator: a: b\n", 2, 12),
        ("engine:\tfake\n\tnarrator: x\n", 1, 8),
        ("engine: fake\n---\nnarrator: x\n", 2, 1),
    ],
)
def test_invalid_yaml_gives_line_and_column(text: str, line: int, column: int) -> None:
    err = config_error(text)
    assert err.line == line
    assert err.detail.startswith(f"invalid YAML, column {column}: ")
    assert str(err).startswith(f"v.yaml line {line}: invalid YAML, column {column}")


def test_control_character_is_a_config_error() -> None:
    config_error("engine: fake\nnarrator: A\x07B\n")


@pytest.mark.parametrize("text", ["engine: !custom x\n", "engine: !!binary zz\n", "pause_ms: !!int x\n"])
def test_yaml_tags_give_config_errors(text: str) -> None:
    err = config_error(text)
    assert err.line == 1


def test_deeply_nested_yaml_is_a_config_error() -> None:
    config_error("skip: " + "[" * 1000 + "]" * 1000 + "\n")


# --- episode cover -----------------------------------------------------------------------------------


def test_missing_cover_file(tmp_path: Path) -> None:
    err = config_error(f"episode:\n  title: T\n  cover: {tmp_path / 'nope.png'}\n")
    assert err.line == 3
    assert "does not exist" in err.detail


def test_cover_that_is_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "cover.png").write_bytes(b"not really a picture")
    err = config_error("episode:\n  cover: cover.png\n", base_dir=tmp_path)
    assert err.line == 2
    assert "is not a JPEG or PNG image" in err.detail


def test_png_and_jpeg_covers_load_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "cover.png").write_bytes(PNG_HEADER)
    (tmp_path / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    png = parse_config("episode:\n  cover: cover.png\n", base_dir=tmp_path)
    assert png.episode.cover == tmp_path / "cover.png"
    jpg = parse_config(f"episode:\n  cover: {tmp_path / 'cover.jpg'}\n")
    assert jpg.episode.cover == tmp_path / "cover.jpg"


def test_load_config_resolves_cover_next_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "art.png").write_bytes(PNG_HEADER)
    yaml_path = tmp_path / "voices.yaml"
    yaml_path.write_text("episode:\n  title: Soup\n  year: 2024\n  cover: art.png\n", encoding="utf-8")
    config = load_config(yaml_path)
    assert config.episode.cover == tmp_path / "art.png"
    assert config.episode.title == "Soup"
    assert config.episode.year == "2024"


def test_null_cover_is_no_cover() -> None:
    assert parse_config("episode:\n  cover:\n").episode.cover is None


# --- audio ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audio", "fragment"),
    [
        ("sample_rate: 44000", "sample_rate 44000 is not an MP3 rate"),
        ("sample_rate: 44100\n  bitrate: 8", "bitrate 8 kbit/s is not possible at 44100 Hz"),
        ("sample_rate: 22050\n  bitrate: 320", "bitrate 320 kbit/s is not possible at 22050 Hz"),
        ("channels: 3", "channels must be 1 or 2"),
        ("loudness: -3", "loudness -3.0 LUFS is outside -40..-5"),
        ("true_peak: 1", "true_peak 1.0 dBTP is outside -20..0"),
    ],
)
def test_impossible_audio_settings(audio: str, fragment: str) -> None:
    err = config_error(f"engine: fake\naudio:\n  {audio}\n")
    assert fragment in err.detail
    assert err.line == 3


def test_possible_audio_settings() -> None:
    config = parse_config("audio:\n  sample_rate: 22050\n  bitrate: 32\n  channels: 2\n  loudness: -19\n")
    assert config.audio == AudioSettings(sample_rate=22050, channels=2, bitrate=32, loudness=-19.0)
    assert config.audio_line == 2


# --- names ---------------------------------------------------------------------------------------------


def test_alias_used_by_two_speakers() -> None:
    err = config_error("speakers:\n  Ann: {aliases: [Annie]}\n  Ben: {aliases: [ANNIE]}\n")
    assert err.line == 3
    assert "'ANNIE' is used by both 'Ann' and 'Ben'" in err.detail


def test_alias_equal_to_another_speakers_name() -> None:
    err = config_error("speakers:\n  Ann: {aliases: [Ben]}\n  Ben: fake/low\n")
    assert "used by both 'Ann' and 'Ben'" in err.detail


# --- YAML aliases -------------------------------------------------------------------------------------


BOMBS = [
    "speakers: &s\n  Ann: *s\n",
    "pronounce: &p\n  x: *p\n",
    "skip: &a [*a]\n",
    "\n".join(
        ["skip: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        + [f"fallback_voices{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    ),
    "skip: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    "fallback_voices: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n"
    "pronounce: &a2 {a: *a1, b: *a1, c: *a1}\n"
    "speakers:\n  Ann: {aliases: *a1}\n",
]


@pytest.mark.parametrize("text", BOMBS)
def test_alias_bombs_finish_quickly(text: str) -> None:
    start = time.monotonic()
    try:
        result = parse_config(text)
    except ConfigError:
        pass
    else:
        assert isinstance(result, Config)
    assert time.monotonic() - start < 2.0


def test_shared_anchor_between_speakers_is_caught_as_duplicate_alias() -> None:
    err = config_error("speakers:\n  Ann: &a\n    aliases: [Annie]\n  Ben: *a\n")
    assert "'Annie' is used by both 'Ann' and 'Ben'" in err.detail


# --- error format -------------------------------------------------------------------------------------


def test_error_string_format() -> None:
    err = config_error("engine: fake\nchapters: sometimes\n", path="/somewhere/voices.yaml")
    assert (
        str(err) == "/somewhere/voices.yaml line 2: chapters must be one of host, turn, marker, none, not 'sometimes'"
    )
    assert err.path == "/somewhere/voices.yaml"
    assert isinstance(err, PodrenderError)
