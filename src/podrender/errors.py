"""One exception hierarchy. Every message is written for the person running podrender."""

from __future__ import annotations


class PodrenderError(Exception):
    """Base of every error podrender raises on purpose; the CLI prints it as one line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.detail = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path and self.line:
            where = f"{self.path} line {self.line}: "
        elif self.path:
            where = f"{self.path}: "
        elif self.line:
            where = f"line {self.line}: "
        return where + self.detail


class ScriptError(PodrenderError):
    """The transcript cannot be read or has nothing to say."""


class ConfigError(PodrenderError):
    """voices.yaml is malformed, has an unknown key, a wrong type or a missing file."""


class VoiceError(ConfigError):
    """A voice is not offered by the engine."""


class EngineError(PodrenderError):
    """The speech engine cannot be loaded or failed on a turn."""


class EncoderError(PodrenderError):
    """ffmpeg is missing or failed."""


class OutputError(PodrenderError):
    """The output path cannot be written."""


class CacheError(PodrenderError):
    """The render cache cannot be used."""


class DownloadError(EngineError):
    """A voice cannot be downloaded: the server, the network, the checksum or the disk said no."""


class QueueError(PodrenderError):
    """Rendering through Redis (`--queue`) failed: Redis cannot be reached, or a worker refused or failed a unit."""
