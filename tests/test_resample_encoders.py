"""The 2x resampler and the two ways of running LAME (in process, or ffmpeg's libmp3lame)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import decode, ebur128

from podrender.audio import encode
from podrender.audio.encode import count_frames, decode_mp3, encode_samples, encoder_identity, encoder_name
from podrender.audio.resample import upsample2
from podrender.cli.main import cli
from podrender.config import AudioSettings


def tone(freq: float, rate: int = 22050, seconds: float = 1.0, amplitude: float = 0.5) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)


@pytest.mark.parametrize("freq", [100.0, 1000.0, 5000.0, 9000.0])
def test_upsample2_interpolates_a_sine(freq: float) -> None:
    y = upsample2(tone(freq))
    expected = tone(freq, rate=44100)
    assert len(y) == len(expected)
    assert y.dtype == np.float32
    assert np.abs(y - expected)[200:-200].max() < 5e-4  # away from the zero-padded edges


def test_upsample2_keeps_the_input_samples() -> None:
    x = np.random.default_rng(1).uniform(-1, 1, 1000).astype(np.float32)
    assert np.array_equal(upsample2(x)[0::2], x)
    assert len(upsample2(np.zeros(0))) == 0


def test_upsample2_rejects_the_image() -> None:
    """A 9 kHz tone at 22.05 kHz mirrors to 13.05 kHz at 44.1 kHz: that image must be > 70 dB down."""
    y = upsample2(tone(9000.0, seconds=2.0)).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1 / 44100)
    signal = spectrum[np.abs(freqs - 9000) < 50].max()
    image = spectrum[np.abs(freqs - 13050) < 50].max()
    assert 20 * np.log10(image / signal) < -70


@pytest.fixture(params=["lameenc", "ffmpeg"])
def which_encoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("PODRENDER_ENCODER", "ffmpeg" if request.param == "ffmpeg" else "")
    encode._lameenc.cache_clear()
    yield request.param
    encode._lameenc.cache_clear()


def test_either_encoder_writes_bare_chunks_of_the_same_length(which_encoder: str) -> None:
    assert encoder_name() == which_encoder
    x = tone(440.0, seconds=2.0, amplitude=0.3)
    blob = encode_samples(x, 22050, AudioSettings())
    assert blob[:2] == b"\xff\xfb"  # MPEG-1 Layer III, frame sync first: no ID3 tag
    assert blob[21:25] not in (b"Xing", b"Info")  # no VBR/LAME header frame
    count = count_frames(blob)
    assert len(x) * 2 / 1152 < count.frames <= len(x) * 2 / 1152 + 3  # 2 s plus LAME's delay and padding
    decoded = np.frombuffer(decode_mp3(blob, 22050), dtype="<i2").astype(float) / 32768
    rms = float(np.sqrt(np.mean(decoded[3000:-3000] ** 2)))
    assert rms == pytest.approx(0.3 / np.sqrt(2), rel=0.1)  # LAME lowers the level ~0.45 dB


@pytest.mark.parametrize("seconds", [0.3, 1.0, 2.7])
def test_both_encoders_give_the_same_frame_count(seconds: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """Timelines are sums of frame counts: they must not depend on which way LAME ran."""
    x = tone(300.0, seconds=seconds)
    counts = []
    for choice in ("", "ffmpeg"):
        monkeypatch.setenv("PODRENDER_ENCODER", choice)
        encode._lameenc.cache_clear()
        counts.append(count_frames(encode_samples(x, 22050, AudioSettings())).frames)
    encode._lameenc.cache_clear()
    assert counts[0] == counts[1]


def test_the_encoders_have_different_cache_identities(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODRENDER_ENCODER", "")
    encode._lameenc.cache_clear()
    in_process = encoder_identity()
    monkeypatch.setenv("PODRENDER_ENCODER", "ffmpeg")
    encode._lameenc.cache_clear()
    try:
        assert encoder_identity() != in_process
        assert in_process.startswith("lameenc:") and encoder_identity().startswith("ffmpeg:")
    finally:
        encode._lameenc.cache_clear()


def test_a_real_render_with_each_encoder(which_encoder: str, tmp_path: Path) -> None:
    script = tmp_path / "talk.txt"
    script.write_text(
        "Two Minutes on Tides\n\nAda: Why does the sea rise twice a day?\n\n"
        "Brook: The moon pulls the water on the near side, and the far side is left behind.\n",
        encoding="utf-8",
    )
    voices = tmp_path / "voices.yaml"
    voices.write_text(
        'speakers:\n  Ada: {voice: "gmw/en-us+f3"}\n  Brook: {voice: "gmw/en-us+m3", pitch: 40}\n', encoding="utf-8"
    )
    out = tmp_path / "tides.mp3"
    args = ["render", str(script), "--voices", str(voices), "-o", str(out), "--cache-dir", str(tmp_path / "c"), "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads(out.with_suffix(".json").read_text())
    assert manifest["settings"]["encoder"] == which_encoder
    audio = decode(out)
    assert abs(len(audio) / 44100 - manifest["duration_ms"] / 1000) < 0.06
    loudness, peak = ebur128(out)
    assert loudness == pytest.approx(-16.0, abs=1.0)
    assert peak <= -0.9


def test_the_cache_key_names_the_resampler_in_use() -> None:
    from podrender.audio import resample

    # lameenc is a dependency: chunks are resampled here, so a new filter must change every cache key
    assert encode.encoder_name() == "lameenc"
    assert resample.IDENTITY in encode.encoder_identity()


def speech_like(seconds: float, pauses: list[float], rate: int = 22050) -> np.ndarray:
    """A buzz with 300 ms of digital silence starting at each of `pauses` (seconds)."""
    x = tone(220.0, rate, seconds, 0.3) * (1 + 0.5 * tone(3.0, rate, seconds, 1.0))
    for start in pauses:
        x[int(start * rate) : int((start + 0.3) * rate)] = 0.0
    return x


def test_a_long_chunk_is_cut_in_the_pause_nearest_its_middle() -> None:
    rate = 22050
    x = speech_like(24.0, [3.0, 10.5, 17.0])
    (cut,) = encode.part_cuts(x, rate)
    assert abs(cut - 10.65 * rate) <= 2  # the middle of the pause at 10.5-10.8 s (|x| <= -60 dBFS)
    assert encode.part_cuts(speech_like(9.0, [4.0]), rate) == []  # short: one part
    assert encode.part_cuts(tone(220.0, rate, 24.0, 0.3), rate) == []  # no pause: never cut in speech
    # A pause too close to either end is not used: both parts would not be at least 5 s.
    assert encode.part_cuts(speech_like(24.0, [2.0, 21.0]), rate) == []


def test_a_chunk_in_parts_is_the_same_whatever_the_threads(which_encoder: str) -> None:
    x = speech_like(32.0, [5.0, 11.0, 16.0, 24.0])
    one = encode_samples(x, 22050, AudioSettings(), threads=1)
    assert encode_samples(x, 22050, AudioSettings(), threads=3) == one
    frames = count_frames(one)
    if which_encoder == "lameenc":  # two cuts: three parts, each with its own delay and padding
        cuts = encode.part_cuts(x, 22050)
        assert np.allclose(cuts, [11.15 * 22050, 24.15 * 22050], atol=2)
        assert len(x) * 2 / 1152 + 2 < frames.frames <= len(x) * 2 / 1152 + 9
    # The parts join into one stream that decodes to the whole signal, the pauses a little longer.
    decoded = np.frombuffer(decode_mp3(one, 22050), dtype="<i2").astype(float) / 32768
    assert len(x) < len(decoded) < len(x) + 0.16 * 22050
    assert float(np.sqrt(np.mean(decoded**2))) == pytest.approx(float(np.sqrt(np.mean(x**2))), rel=0.1)


def test_a_failing_part_fails_the_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODRENDER_ENCODER", "")
    encode._lameenc.cache_clear()
    calls = []

    def broken(ints: np.ndarray, audio: AudioSettings) -> bytes:
        calls.append(len(ints))
        raise encode.EncoderError("the MP3 encoder failed: test")

    monkeypatch.setattr(encode, "_lame", broken)
    try:
        with pytest.raises(encode.EncoderError, match="test"):
            encode_samples(speech_like(24.0, [11.0]), 22050, AudioSettings(), threads=2)
    finally:
        encode._lameenc.cache_clear()
    assert calls
