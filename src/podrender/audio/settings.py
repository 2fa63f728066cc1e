"""The episode's audio settings: a value every stage uses, in a module light enough for the zygote
(podrender.runner.zygote) to load without the voices.yaml reader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from podrender.errors import ConfigError

MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
MPEG1_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
MPEG2_BITRATES = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)


@dataclass(frozen=True)
class AudioSettings:
    """How the episode is encoded and how loud it is."""

    sample_rate: int = 44100
    """Output sample rate in Hz."""
    channels: int = 1
    """1 (mono) or 2 (the same speech on both channels)."""
    bitrate: int = 64
    """Constant bitrate in kbit/s."""
    loudness: float = -16.0
    """Integrated loudness target in LUFS (Apple asks for -16)."""
    true_peak: float = -1.0
    """Ceiling for the true peak in dBTP."""

    def check(self, where: str = "audio", path: str | None = None, line: int | None = None) -> None:
        """Raise ConfigError when the encoder cannot produce this combination."""
        if self.sample_rate not in MP3_SAMPLE_RATES:
            rates = ", ".join(str(r) for r in MP3_SAMPLE_RATES)
            raise ConfigError(
                f"{where}: sample_rate {self.sample_rate} is not an MP3 rate ({rates})", path=path, line=line
            )
        if self.channels not in (1, 2):
            raise ConfigError(f"{where}: channels must be 1 or 2, not {self.channels}", path=path, line=line)
        allowed = MPEG1_BITRATES if self.sample_rate >= 32000 else MPEG2_BITRATES
        if self.bitrate not in allowed:
            raise ConfigError(
                f"{where}: bitrate {self.bitrate} kbit/s is not possible at {self.sample_rate} Hz "
                f"(choose one of {', '.join(str(b) for b in allowed)})",
                path=path,
                line=line,
            )
        if not -40.0 <= self.loudness <= -5.0:
            raise ConfigError(f"{where}: loudness {self.loudness} LUFS is outside -40..-5", path=path, line=line)
        if not -20.0 <= self.true_peak <= 0.0:
            raise ConfigError(f"{where}: true_peak {self.true_peak} dBTP is outside -20..0", path=path, line=line)


@dataclass(frozen=True)
class MusicFile:
    """One music file named in voices.yaml (`music: intro: ...`) or on the command line (`--intro`)."""

    path: Path
    """Absolute, or relative to the folder voices.yaml is in (already resolved by the reader)."""
    name: str
    """As the user wrote it, for messages."""
    where: str
    """What named it, for messages: `music: intro` or `--intro`."""
    source: str | None = None
    """The voices.yaml path that named it (None for a command-line flag)."""
    line: int | None = None


@dataclass(frozen=True)
class MusicSettings:
    """Intro, bed and outro music and how they are mixed under the speech (docs/music.md)."""

    intro: MusicFile | None = None
    """Plays alone before the first turn, then fades out under it."""
    bed: MusicFile | None = None
    """Loops under the whole conversation, ducked under speech."""
    outro: MusicFile | None = None
    """Rises after the last turn and plays to its end."""
    duck_db: float = 12.0
    """How far the bed drops under speech, in dB (0: no ducking)."""
    music_db: float = 0.0
    """Loudness of the intro and outro against the episode's target, in LU."""
    bed_db: float = -14.0
    """Loudness of the bed against the episode's target before ducking, in LU."""
    fade_ms: int = 3000
    """How long the intro fades out under the first words, the outro fades in and the bed fades in and out."""
    attack_ms: int = 250
    """How long the bed takes to drop before speech starts."""
    release_ms: int = 900
    """How long the bed takes to come back after speech ends; pauses shorter than attack + release stay ducked."""

    @property
    def any(self) -> bool:
        return self.intro is not None or self.bed is not None or self.outro is not None
