"""POST /api/preview: a short MP3 of a speaker's first line or of one turn (as edited), or of a text in a
voice, and its cache.

The audio is made by the library's `say_from_script` / `say` (the voice a render gives the speaker,
levelled as a turn is) in a child process of the work fork server (podrender.web.work), then encoded
as the episode's MP3 chunks are. Answers are kept in a small in-memory cache bounded by count and bytes.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
import wave
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

from podrender import ScriptError
from podrender.web.jobs import PickerError, RenderRequest, checked_config


@dataclass(frozen=True)
class PreviewRequest:
    """Either `speaker` (or `turn`) of `script` (with the page's choices and edits), or `text` in `voice`."""

    script: str | None = None
    speaker: str | None = None
    voices: str = ""
    speakers: tuple[tuple[str, str], ...] = ()
    engines: tuple[tuple[str, str], ...] = ()
    same_as: tuple[tuple[str, str], ...] = ()
    edits: tuple[tuple[int, str], ...] = ()
    """Edited turns (turn index, new text), applied as a render applies them."""
    turn: int | None = None
    """A turn of `script` to say (instead of the speaker's first)."""
    voice: str | None = None
    engine: str | None = None
    text: str | None = None

    def key(self) -> str:
        """What identifies the answer: every field (the server's engines do not change while it runs)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


#: The name the voice of a {voice, text} preview is given in voices.yaml.
_PREVIEW_SPEAKER = "Preview"


def make_preview(request: PreviewRequest) -> bytes:
    """The MP3 (mono CBR, the episode's settings) of the preview. Runs in a single-threaded child
    process: `say` forks its workers."""
    from podrender import encode_mp3, say, say_from_script

    base = RenderRequest(
        request.script or "", request.voices, None, request.speakers,
        engines=request.engines, same_as=request.same_as,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="podrender-preview-") as work:
        target = Path(work) / "preview.wav"
        if request.speaker is not None or request.turn is not None:
            config = checked_config(base, in_server=False)
            said = say_from_script(
                request.script or "", request.speaker, config, target, edits=dict(request.edits), turn=request.turn
            )
        else:
            voice = request.voice or ""
            engines = ((_PREVIEW_SPEAKER, request.engine),) if request.engine else ()
            choice = RenderRequest("", request.voices, None, ((_PREVIEW_SPEAKER, voice),), engines=engines)
            try:
                config = checked_config(choice, in_server=False)
            except PickerError as exc:
                raise PickerError(exc.detail, path="voice") from None
            said = say(request.text or "", _PREVIEW_SPEAKER, config, target)
        with wave.open(str(said.path), "rb") as w:
            rate = w.getframerate()
            frames = w.readframes(w.getnframes())
    if not frames:
        raise ScriptError("the preview has no audio")
    return encode_mp3(frames, rate, config.audio)


class PreviewCache:
    """The most recently used previews, at most `entries` of them and `max_bytes` in all."""

    def __init__(self, entries: int = 64, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._size -= len(old) if old is not None else 0
            self._items[key] = data
            self._size += len(data)
            while len(self._items) > self.entries or self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)

    def __len__(self) -> int:
        return len(self._items)
