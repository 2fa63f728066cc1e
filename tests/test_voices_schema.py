"""The published voices.yaml schema (src/podrender/schemas/voices.schema.json) says what config.py reads.

jsonschema, an independent validator, checks real voices.yaml files against it; podrender's own reader
must accept what the schema accepts and refuse, with a line number, what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

import podrender
from podrender import config as config_module
from podrender.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((Path(podrender.__file__).parent / "schemas" / "voices.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def test_the_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_schema_names_exactly_the_keys_podrender_reads() -> None:
    props = SCHEMA["properties"]
    assert set(props) == set(config_module._TOP_KEYS)
    speaker = next(o for o in props["speakers"]["additionalProperties"]["oneOf"] if o["type"] == "object")
    assert set(speaker["properties"]) == set(config_module._SPEAKER_KEYS)
    assert set(props["episode"]["properties"]) == set(config_module._EPISODE_KEYS)
    assert set(props["audio"]["properties"]) == set(config_module._AUDIO_KEYS)
    assert props["chapters"]["enum"] == list(config_module.CHAPTER_POLICIES)
    assert set(props["music"]["properties"]) == {*config_module._MUSIC_FILES, *config_module._MUSIC_NUMBERS}
    assert props["stage_directions"]["enum"] == list(config_module.STAGE_DIRECTIONS)


def test_the_repository_voices_yaml_matches_the_schema() -> None:
    VALIDATOR.validate(yaml.safe_load((ROOT / "voices.yaml").read_text()))


GOOD = [
    "engine: fake\nnarrator: Host\n",
    "speakers:\n  Ann: fake/low\n  Bo:\n  Cy: {voice: fake/high, rate: 170, pitch: 40, aliases: [C]}\n",
    "pronounce:\n  SoTA: state of the art\nskip: ['^Footer']\nchapters: turn\n",
    "audio: {sample_rate: 48000, channels: 2, bitrate: 96, loudness: -16, true_peak: -1}\n",
    "episode: {title: Soup, artist: Me, year: 2024}\nqa: {Q: Host, A: Guest}\nstage_directions: skip\n",
    "host:\npause_ms: 300\nchapter_pause_ms: 900\nfallback_voices: [fake/mid]\n",
    "speakers:\n  Ann: {engine: piper, model: en_US-libritts_r-medium, speaker: 12}\n",  # speaker_id's other name
    "speakers:\n  Ann: {pan: -0.5}\nmusic: {duck_db: 15, music_db: -6, bed_db: -20, fade_ms: 2000, release_ms: 500}\n",
]
BAD = [
    "speakers:\n  Ann: {voice: fake/low, pich: 40}\n",  # unknown key
    "rate: 170\n",  # a speaker key at the top
    "chapters: sometimes\n",
    "pause_ms: lots\n",
    "speakers:\n  Ann: {rate: 20}\n",  # below the range
    "speakers:\n  Ann: {pitch: 101}\n",
    "audio: {channels: 3}\n",
    "episode: {titel: Soup}\n",
    "skip: 3\n",
    "qa: {C: Host}\n",
    "speakers:\n  Ann: {engine: piper, speaker: 1, speaker_id: 1}\n",  # one setting, given twice
    "music: {duck_db: -3}\n",  # ducking raises nothing
    "music: {fade_ms: 1.5}\n",
    "music: {volume: 3}\n",
    "speakers:\n  Ann: {pan: 1.5}\n",
]


@pytest.mark.parametrize("text", GOOD)
def test_what_the_schema_accepts_podrender_reads(text: str) -> None:
    VALIDATOR.validate(yaml.safe_load(text))
    config_module.parse_config(text, "v.yaml")


@pytest.mark.parametrize("text", BAD)
def test_what_the_schema_refuses_podrender_refuses_with_the_line(text: str) -> None:
    assert not VALIDATOR.is_valid(yaml.safe_load(text))
    with pytest.raises(ConfigError) as info:
        config_module.parse_config(text, "v.yaml")
    assert info.value.line is not None
