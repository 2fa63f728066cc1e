"""The episode as one stream: the cached chunks decoded in order by one ffmpeg process, and floats encoded
back to one MP3 stream (LAME in process, else ffmpeg), a block at a time (podrender.output.mix)."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np

from podrender.audio.encode import LAME_QUALITY, _lameenc
from podrender.audio.settings import AudioSettings
from podrender.errors import EncoderError
from podrender.output.timeline import CODEC_DELAY_SAMPLES
from podrender.runtime import ffmpeg


class ChunkDecoder:
    """The chunks decoded as one mono stream by one ffmpeg process, read in order, a block at a time."""

    def __init__(self, chunks: Sequence[Path], rate: int) -> None:
        cmd = [
            ffmpeg().path, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "mp3", "-i", "pipe:0",
            "-ac", "1", "-ar", str(rate), "-f", "s16le", "pipe:1",
        ]  # fmt: skip
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise EncoderError(f"cannot run ffmpeg ({ffmpeg().path}): {exc.strerror}") from None
        self.feeder = threading.Thread(target=self._feed, args=(chunks,), daemon=True)
        self.feeder.start()
        self.read(CODEC_DELAY_SAMPLES)  # the stream's own codec delay: the mix is encoded (and delayed) again

    def _feed(self, chunks: Sequence[Path]) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            for path in chunks:
                with path.open("rb") as f:
                    while block := f.read(1 << 20):
                        stdin.write(block)
        except (OSError, ValueError):
            pass  # the reader stopped early (an error there says what happened)
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def read(self, n: int) -> np.ndarray:
        """The next `n` samples as floats (silence past the end)."""
        out: IO[bytes] | None = self.proc.stdout
        assert out is not None
        data = b""
        want = 2 * n
        while len(data) < want:
            piece = out.read(want - len(data))
            if not piece:
                break
            data += piece
        x = np.zeros(n, dtype=np.float32)
        got = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2")
        x[: len(got)] = got * np.float32(1 / 32768)
        return x

    def finish(self) -> None:
        """After the last read: ffmpeg decoded every chunk, or EncoderError says what went wrong."""
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdout.read()
        said = self.proc.stderr.read().decode("utf-8", "replace").strip().splitlines()
        if self.proc.wait() != 0:
            raise EncoderError(f"ffmpeg could not decode the speech: {said[-1] if said else self.proc.returncode}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.feeder.join(timeout=5)
        for f in (self.proc.stdout, self.proc.stderr):
            if f is not None:
                f.close()


class StreamEncoder:
    """One MP3 stream for the whole mix: LAME in process (lameenc), else an ffmpeg process."""

    def __init__(self, audio: AudioSettings, out: IO[bytes]) -> None:
        self.out = out
        self.lame = _lameenc()
        self.proc: subprocess.Popen[bytes] | None = None
        if self.lame is not None:
            self.encoder = self.lame.Encoder()
            self.encoder.set_bit_rate(audio.bitrate)
            self.encoder.set_in_sample_rate(audio.sample_rate)
            self.encoder.set_out_sample_rate(audio.sample_rate)
            self.encoder.set_channels(audio.channels)
            self.encoder.set_quality(LAME_QUALITY)
            return
        cmd = [
            ffmpeg().path, "-hide_banner", "-nostdin", "-loglevel", "error",
            "-f", "s16le", "-ar", str(audio.sample_rate), "-ac", str(audio.channels), "-i", "pipe:0",
            "-c:a", "libmp3lame", "-b:a", f"{audio.bitrate}k", "-compression_level", str(LAME_QUALITY),
            "-write_xing", "0", "-id3v2_version", "0", "-map_metadata", "-1", "-f", "mp3", "pipe:1",
        ]  # fmt: skip
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.PIPE)
        except OSError as exc:
            raise EncoderError(f"cannot run ffmpeg ({ffmpeg().path}): {exc.strerror}") from None

    def write(self, block: np.ndarray) -> None:
        ints = np.clip(np.round(block * 32767), -32768, 32767).astype("<i2").tobytes()  # interleaved
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(ints)
            return
        try:
            self.out.write(bytes(self.encoder.encode(ints)))
        except RuntimeError as exc:
            raise EncoderError(f"the MP3 encoder failed: {exc}") from None

    def close(self) -> None:
        if self.proc is None:
            self.out.write(bytes(self.encoder.flush()))
            return
        assert self.proc.stdin is not None and self.proc.stderr is not None
        self.proc.stdin.close()
        err = self.proc.stderr.read()
        if self.proc.wait() != 0:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            raise EncoderError(f"ffmpeg failed: {lines[-1] if lines else 'exit status ' + str(self.proc.returncode)}")
