"""Music: an intro, a ducked bed and an outro made of tones, speakers seated in stereo; checked by decoding the MP3
with ffmpeg and looking at each tone's frequency band, the speech band, the channels and the loudness."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import DECODE_RATE, decode, ebur128

from podrender import ConfigError, load_config, render
from podrender.cli.main import cli
from podrender.runtime import ffmpeg

INTRO_HZ, BED_HZ, OUTRO_HZ = 1000, 2000, 3000
INTRO_S, OUTRO_S = 6.0, 6.0

SCRIPT = """Music Night

Maya: Welcome to the show, Tom. How did the whole thing start for you?

Tom: It started with a long commute and a pile of interviews I never had time to read.

Maya: And what happened after that?

Tom: I wrote a small tool that reads them aloud, and now I listen to them on the train every morning.
"""

VOICES = """speakers:
  Maya: {{voice: en-us+f3}}
  Tom: {{voice: en-us+m3{tom}}}
host: Maya
music:
  intro: music/intro.wav
  bed: music/bed.mp3
  outro: music/outro.ogg
  duck_db: {duck}
"""


def tone(path: Path, hz: int, seconds: float) -> None:
    """A sine tone in whatever format the suffix says, made by ffmpeg (no binary fixtures)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [ffmpeg().path, "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency={hz}:duration={seconds}",
         "-ar", "44100", str(path)],
        check=True,
    )  # fmt: skip


def decode_stereo(path: Path) -> np.ndarray:
    proc = subprocess.run(
        [ffmpeg().path, "-v", "error", "-i", str(path), "-ac", "2", "-ar", str(DECODE_RATE), "-f", "s16le", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return np.frombuffer(proc.stdout, dtype="<i2").reshape(-1, 2).astype(np.float64) / 32768.0


def band_db(x: np.ndarray, hz: float, width: float = 4.0) -> float:
    """Power (dB) of `x` within `width` Hz around `hz` (Hann-windowed FFT): one tone's share of the signal."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / DECODE_RATE)
    return float(10 * np.log10(spectrum[np.abs(freqs - hz) <= width / 2].sum() / len(x) + 1e-20))


def without_tones(x: np.ndarray) -> np.ndarray:
    """`x` with the three music tones notched out: what remains is the speech."""
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1 / DECODE_RATE)
    for hz in (INTRO_HZ, BED_HZ, OUTRO_HZ):
        spectrum[np.abs(freqs - hz) <= 40] = 0
    return np.fft.irfft(spectrum, len(x))


def span(ms_from: float, ms_to: float) -> slice:
    return slice(int(ms_from * DECODE_RATE / 1000), int(ms_to * DECODE_RATE / 1000))


def write_inputs(folder: Path, duck: float, tom: str = "") -> Path:
    tone(folder / "music" / "intro.wav", INTRO_HZ, INTRO_S)
    tone(folder / "music" / "bed.mp3", BED_HZ, 4.0)  # shorter than the talk: it loops
    tone(folder / "music" / "outro.ogg", OUTRO_HZ, OUTRO_S)
    (folder / "talk.txt").write_text(SCRIPT)
    voices = folder / "voices.yaml"
    voices.write_text(VOICES.format(duck=duck, tom=tom))
    return voices


@pytest.fixture(scope="module")
def episodes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The same talk mixed with duck_db 15 and 0, in stereo, from one set of cached chunks."""
    folder = tmp_path_factory.mktemp("music")
    cache = folder / "cache"
    out: dict = {}
    for duck in (15, 0):
        config = load_config(write_inputs(folder, duck))
        audio = dataclasses.replace(config.audio, channels=2)
        result = render(SCRIPT, config, source="talk.txt", output=folder / f"duck{duck}.mp3", audio=audio,
                        cache_dir=cache, sidecars=("vtt", "chapters"))  # fmt: skip
        out[duck] = result
    out["folder"], out["cache"] = folder, cache
    return out


def test_intro_tone_plays_alone_at_the_start_and_speech_follows(episodes: dict) -> None:
    result = episodes[15]
    x = decode(result.path)
    head = x[span(100, 2500)]
    assert band_db(head, INTRO_HZ) - band_db(head, BED_HZ) > 30
    assert np.sqrt(np.mean(without_tones(head) ** 2)) < 1e-3  # nobody speaks over the intro's first seconds
    first = result.manifest["turns"][0]
    assert first["start_ms"] == pytest.approx(INTRO_S * 1000 - 3000, abs=40)  # the default 3 s fade under speech
    # then it fades out under the first words: by the end of its 3 s fade, down to what the speech itself has
    # at 1 kHz (the most this can show)
    start = first["start_ms"]
    assert band_db(x[span(start + 2400, start + 2950)], INTRO_HZ) < band_db(x[span(100, 650)], INTRO_HZ) - 15
    mix = result.manifest["mix"]
    assert (mix["speech_starts_ms"], mix["intro"], mix["bed"], mix["outro"]) == (
        first["start_ms"], "music/intro.wav", "music/bed.mp3", "music/outro.ogg"
    )  # fmt: skip


def test_outro_tone_at_the_end(episodes: dict) -> None:
    result = episodes[15]
    x = decode(result.path)
    tail = x[-int(2.5 * DECODE_RATE) : -int(0.2 * DECODE_RATE)]
    assert band_db(tail, OUTRO_HZ) - max(band_db(tail, INTRO_HZ), band_db(tail, BED_HZ)) > 20
    last = result.manifest["turns"][-1]
    assert result.manifest["duration_ms"] >= last["end_ms"] + OUTRO_S * 1000 - 100
    # it rises after the last word: quiet at first, full once its fade is over
    rising, full = x[span(last["end_ms"], last["end_ms"] + 500)], x[span(last["end_ms"] + 3200, last["end_ms"] + 3700)]
    assert band_db(rising, OUTRO_HZ) < band_db(full, OUTRO_HZ) - 10


def test_bed_is_ducked_under_speech(episodes: dict) -> None:
    """The bed's band under the words: at least 10 dB lower with duck_db 15 than with duck_db 0."""
    levels = {}
    for duck in (15, 0):
        x = decode(episodes[duck].path)
        turns = episodes[duck].manifest["turns"]
        pieces = [x[span(t["start_ms"] + 300, t["end_ms"] - 100)] for t in turns]
        levels[duck] = 10 * np.log10(np.mean([10 ** (band_db(p, BED_HZ) / 10) for p in pieces]))
    assert levels[0] - levels[15] >= 10, levels


def test_bed_loops_between_turns(episodes: dict) -> None:
    """Between the turns and after the words the bed is heard (it loops past its 4 s)."""
    result = episodes[0]
    x = decode(result.path)
    turns = result.manifest["turns"]
    late = x[span(turns[-1]["start_ms"] + 300, turns[-1]["end_ms"] - 100)]
    assert band_db(late, BED_HZ) > band_db(late, INTRO_HZ) + 10  # the bed, over what speech has near a tone


def test_host_sits_left_and_guest_right(episodes: dict) -> None:
    result = episodes[15]
    lr = decode_stereo(result.path)
    by_speaker: dict[str, list[float]] = {}
    for turn in result.manifest["turns"]:
        piece = lr[span(turn["start_ms"], turn["end_ms"])]
        left, right = (np.mean(without_tones(piece[:, ch]) ** 2) for ch in (0, 1))
        by_speaker.setdefault(turn["speaker"], []).append(10 * np.log10(left / right))
    assert min(by_speaker["Maya"]) >= 3, by_speaker  # the host: left
    assert max(by_speaker["Tom"]) <= -3, by_speaker  # the guest: right
    assert result.manifest["mix"]["seats"] == {"Narrator": 0.0, "Maya": -0.4, "Tom": 0.4}


def test_loudness_with_music(episodes: dict) -> None:
    for duck in (15, 0):
        loudness, peak = ebur128(episodes[duck].path)
        assert abs(loudness - -16.0) <= 1.0
        assert peak <= -1.0
        assert abs(episodes[duck].manifest["loudness"]["integrated_lufs"] - loudness) <= 0.5


def test_chapters_and_cues_start_on_the_first_word(episodes: dict) -> None:
    result = episodes[15]
    speech = without_tones(decode(result.path))
    step = int(0.005 * DECODE_RATE)
    loud = np.sqrt(np.convolve(speech**2, np.ones(step) / step, mode="same")) > 0.01
    chapters = result.manifest["chapters"]
    assert len(chapters) >= 2
    for chapter in chapters:
        start = int(chapter["start_ms"] * DECODE_RATE / 1000)
        assert not loud[start - int(0.2 * DECODE_RATE) : start].any(), chapter
        onset = start + int(np.argmax(loud[start:]))
        assert (onset - start) / DECODE_RATE < 0.075, chapter["title"]
    # the sidecars carry the same, shifted times
    sidecar = json.loads(result.sidecars["chapters"].read_text())
    assert [c["startTime"] for c in sidecar["chapters"]] == [c["start_ms"] / 1000 for c in chapters]
    vtt = result.sidecars["vtt"].read_text()
    first = result.manifest["turns"][0]["start_ms"]
    assert f"00:00:0{first // 1000}.{first % 1000:03d} -->" in vtt


def test_explicit_pan_and_an_edit_remakes_one_unit(episodes: dict) -> None:
    """pan: in voices.yaml moves a speaker; changing one turn re-makes one chunk, the mix is made again."""
    folder, cache = episodes["folder"], episodes["cache"]
    config = load_config(write_inputs(folder, 15, tom=", pan: -0.8"))
    edited = SCRIPT.replace("every morning", "every evening")
    audio = dataclasses.replace(config.audio, channels=2)
    result = render(edited, config, source="talk.txt", output=folder / "edited.mp3", audio=audio, cache_dir=cache,
                    sidecars=())  # fmt: skip
    assert result.misses == 1 and result.hits == len(result.prepared.plan.units) - 1
    lr = decode_stereo(result.path)
    tom = [t for t in result.manifest["turns"] if t["speaker"] == "Tom"]
    for turn in tom:
        piece = lr[span(turn["start_ms"], turn["end_ms"])]
        left, right = (np.mean(without_tones(piece[:, ch]) ** 2) for ch in (0, 1))
        assert 10 * np.log10(left / right) >= 6  # -0.8: well left


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("music:\n  intro: nowhere.wav\n", "v.yaml line 2: music: intro: 'nowhere.wav' does not exist"),
        ("music:\n  bed: music\n", "v.yaml line 2: music: bed: 'music' is a folder, not an audio file"),
        ("music:\n  duck_db: -6\n", "v.yaml line 2: music: duck_db must be between 0 and 60, not -6"),
        ("music:\n  outro: [a, b]\n", "v.yaml line 2: music: outro must be a single value, not a list or mapping"),
        ("speakers:\n  Tom: {pan: left}\n", "v.yaml line 2: speaker 'Tom': pan must be a number, not 'left'"),
    ],
)
def test_music_mistakes_in_voices_yaml_name_the_line(tmp_path: Path, yaml_text: str, message: str) -> None:
    (tmp_path / "music").mkdir()
    (tmp_path / "v.yaml").write_text(yaml_text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "v.yaml")
    assert str(info.value) == str(tmp_path / "v.yaml").replace("v.yaml", "") + message


def test_music_that_is_not_audio_fails_before_any_speech_with_one_line(tmp_path: Path, cache_dir: Path) -> None:
    """A file ffmpeg cannot read: one `Error:` line with voices.yaml's line, exit 1, nothing written."""
    (tmp_path / "talk.txt").write_text(SCRIPT)
    (tmp_path / "notes.mp3").write_text("these are not sounds\n")
    (tmp_path / "v.yaml").write_text("speakers:\n  Tom: {voice: en-us+m3}\nmusic:\n  bed: notes.mp3\n")
    out = tmp_path / "out" / "ep.mp3"
    runner = CliRunner()
    args = ["render", str(tmp_path / "talk.txt"), "--voices", str(tmp_path / "v.yaml"), "-o", str(out),
            "--cache-dir", str(cache_dir)]  # fmt: skip
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    said = f"Error: {tmp_path / 'v.yaml'} line 4: music: bed: 'notes.mp3' is not audio ffmpeg can read"
    assert result.output.strip() == said
    assert not out.parent.exists() or not any(out.parent.iterdir())
    assert not cache_dir.exists() or not list(cache_dir.rglob("*.mp3"))  # no speech was made
    # the flags: relative to the current folder, named in the message
    result = runner.invoke(cli, [*args, "--intro", str(tmp_path / "missing.wav")])
    said = f"Error: --intro: '{tmp_path / 'missing.wav'}' does not exist"
    assert (result.exit_code, result.output.strip()) == (1, said)
    result = runner.invoke(cli, [*args[:2], "-o", str(out), "--outro", str(tmp_path / "notes.mp3")])
    assert (result.exit_code, result.output.strip()) == (
        1, f"Error: --outro: '{tmp_path / 'notes.mp3'}' is not audio ffmpeg can read"
    )  # fmt: skip


def test_bed_flag_mixes_a_mono_episode(tmp_path: Path, cache_dir: Path) -> None:
    """--bed alone, mono: the bed is under the talk from the first word, times are not moved, loudness holds."""
    tone(tmp_path / "bed.flac", BED_HZ, 3.0)
    (tmp_path / "talk.txt").write_text(SCRIPT)
    out = tmp_path / "ep.mp3"
    result = CliRunner().invoke(
        cli, ["render", str(tmp_path / "talk.txt"), "-o", str(out), "--cache-dir", str(cache_dir), "-q",
              "--bed", str(tmp_path / "bed.flac"), "--sidecars", "none"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads(out.with_suffix(".json").read_text())
    assert manifest["turns"][0]["start_ms"] == 0
    loudness, peak = ebur128(out)
    assert abs(loudness - -16.0) <= 1.0 and peak <= -1.0
    # ducked from the first word on (default duck_db 12), against the same with duck_db 0
    (tmp_path / "v.yaml").write_text("music:\n  duck_db: 0\n")
    flat = tmp_path / "flat.mp3"
    result = CliRunner().invoke(
        cli, ["render", str(tmp_path / "talk.txt"), "-o", str(flat), "--cache-dir", str(cache_dir), "-q",
              "--bed", str(tmp_path / "bed.flac"), "--sidecars", "none", "--voices", str(tmp_path / "v.yaml")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    first = manifest["turns"][0]
    under = [band_db(decode(f)[span(first["start_ms"] + 300, first["end_ms"])], BED_HZ) for f in (out, flat)]
    assert under[1] - under[0] >= 8, under


def test_a_looped_bed_has_no_seam(tmp_path: Path) -> None:
    """A bed whose end does not meet its start (a tone cut mid-cycle) loops without a jump: its end is
    crossfaded into its start."""
    from podrender.audio.music import decode as decode_music
    from podrender.audio.music import seamless
    from podrender.audio.settings import AudioSettings, MusicFile

    tone(tmp_path / "cut.wav", 330, 1.2345)  # 407.4 cycles: the loop point lands mid-cycle
    segment = decode_music(MusicFile(tmp_path / "cut.wav", "cut.wav", "music: bed"), AudioSettings(), 10.0)
    raw = np.frombuffer(segment.raw_data, dtype="<i2").astype(float)
    body = np.frombuffer(seamless(segment).raw_data, dtype="<i2").astype(float)
    typical = np.abs(np.diff(raw)).max()
    assert abs(raw[0] - raw[-1]) > 3 * typical  # looped as it is, the seam jumps
    twice = np.concatenate((body, body))
    assert np.abs(np.diff(twice)).max() <= typical * 1.05  # looped after seamless(), it does not


def test_the_mix_is_the_same_every_time(episodes: dict, tmp_path: Path) -> None:
    """Rendering again from the cache gives the same bytes: the mix has no randomness and no clock."""
    folder = episodes["folder"]
    config = load_config(write_inputs(folder, 15))
    audio = dataclasses.replace(config.audio, channels=2)
    again = render(SCRIPT, config, source="talk.txt", output=tmp_path / "again.mp3", audio=audio,
                   cache_dir=episodes["cache"], sidecars=())  # fmt: skip
    assert again.misses == 0
    assert again.path.read_bytes() == episodes[15].path.read_bytes()


@pytest.mark.parametrize(
    ("lavfi", "name", "said"),
    [
        ("color=c=red:s=16x16:d=1", "cover.png", "has no audio in it"),
        ("anullsrc=r=44100:cl=mono:d=2", "quiet.wav", "is silent"),
        ("sine=frequency=500:duration=0.1", "blip.wav", "is only 100 ms long; music needs at least half a second"),
        ("sine=frequency=500:duration=121", "long.ogg", "is longer than 120 s; use a shorter piece"),
    ],
)
def test_music_that_cannot_serve_is_one_line(tmp_path: Path, lavfi: str, name: str, said: str) -> None:
    from podrender.audio.music import load_tracks
    from podrender.audio.settings import AudioSettings, MusicSettings
    from podrender.config import music_file

    extra = ["-frames:v", "1"] if name.endswith(".png") else []
    subprocess.run([ffmpeg().path, "-v", "error", "-y", "-f", "lavfi", "-i", lavfi, *extra, str(tmp_path / name)],
                   check=True)  # fmt: skip
    music = MusicSettings(intro=music_file(name, "music: intro", tmp_path, "v.yaml", 3))
    with pytest.raises(ConfigError) as info:
        load_tracks(music, AudioSettings())
    assert str(info.value).startswith(f"v.yaml line 3: music: intro: '{name}' {said}")
