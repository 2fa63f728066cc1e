"""Downloading voices: Kokoro's English voice pack and Piper voices, each verified before it is kept.

Only `podrender voices download` calls this module: a render never fetches anything. Files go to
`data_dir()/kokoro` and `data_dir()/piper` (podrender.runtime.data_dir). Each one is streamed into a
`.part` file beside its target, checked against a published checksum and only then renamed into
place, so a target is either absent, the old file, or a verified new one. Every failure is one
DownloadError line naming the URL and the reason; the part file is removed on any failure, Ctrl-C too.

Where from (both overridable, so that a mirror or a test server can stand in):
- Kokoro: the voice vectors file of kokoro-onnx's release `model-files-v1.0` (`PODRENDER_KOKORO_URL`,
  the whole URL of the file), checked against the SHA-256 pinned below.
- Piper: the `rhasspy/piper-voices` repository on Hugging Face at tag v1.0.0 (`PODRENDER_PIPER_URL`,
  the base URL ending in `v1.0.0/`). Its `voices.json` lists every voice's files with their size and
  MD5, which are checked.
"""

from __future__ import annotations

import difflib
import hashlib
import http.client
import json
import os
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from podrender.errors import DownloadError
from podrender.output.files import replacing
from podrender.runtime import data_dir

KOKORO_URL = "https://github.com/thewh1teagle/kokoro-onnx/releases/download/model-files-v1.0/voices-v1.0.bin"
KOKORO_FILE = "voices-v1.0.bin"
#: SHA-256 of `voices-v1.0.bin` of kokoro-onnx's release `model-files-v1.0` (28,214,398 bytes). The release
#: publishes no checksum file of its own; this is the value that several unrelated public projects which
#: download that same release file pin in their code and docs (all of them agree on it). Read at call time,
#: so a test serving its own file can replace it.
KOKORO_SHA256 = "bca610b8308e8d99f32e6fe4197e7ec01679264efed0cac9140fe9c29f1fbf7d"
PIPER_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0/"
#: Seconds to wait for the server to answer or to send the next block.
TIMEOUT_S = 30
BLOCK_BYTES = 1 << 16
#: voices.json is about 1 MB; a larger answer is not it.
MAX_INDEX_BYTES = 64 << 20
#: A Piper voice name: language_REGION-name-quality, as piper-voices names its files.
PIPER_NAME = re.compile(r"([a-z]{2,3})_[A-Za-z0-9]+-[A-Za-z0-9_]+-[a-z_]+")

#: progress(file name, bytes so far, total bytes or None when the server does not say)
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class Downloaded:
    """A verified file in place."""

    path: Path
    size: int
    sha256: str
    checked: str
    """What was compared with the published value: 'sha256' (Kokoro) or 'md5' (Piper, with the size)."""
    fetched: bool
    """False when the file was already there and verified, and so not fetched again."""


@dataclass(frozen=True)
class Expected:
    """What a file must be, as published."""

    sha256: str | None = None
    md5: str | None = None
    size: int | None = None

    @property
    def kind(self) -> str:
        return "sha256" if self.sha256 else "md5"


@dataclass(frozen=True)
class _Digest:
    size: int
    sha256: str
    md5: str


def kokoro_url() -> str:
    return os.environ.get("PODRENDER_KOKORO_URL") or KOKORO_URL


def piper_url() -> str:
    base = os.environ.get("PODRENDER_PIPER_URL") or PIPER_URL
    return base if base.endswith("/") else base + "/"


def download_kokoro(*, force: bool = False, progress: Progress | None = None) -> Downloaded:
    """Kokoro's English voice pack in `data_dir()/kokoro`; fetched unless a verified copy is there (or `force`)."""
    target = data_dir() / "kokoro" / KOKORO_FILE
    return _obtain(kokoro_url(), target, Expected(sha256=KOKORO_SHA256), force, progress)


def download_piper(name: str, *, force: bool = False, progress: Progress | None = None) -> tuple[Downloaded, ...]:
    """The Piper voice `name` (`.onnx` and `.onnx.json`) in `data_dir()/piper`, checked against voices.json."""
    base = piper_url()
    entry = _voice_entry(_load_index(base + "voices.json"), name, base + "voices.json")
    folder, where = data_dir() / "piper", base + piper_path(name)
    plan = [(where + f, folder / f, _published(entry, f, where + f)) for f in (name + ".onnx", name + ".onnx.json")]
    return tuple(_obtain(url, target, expected, force, progress) for url, target, expected in plan)


def piper_path(name: str) -> str:
    """Where piper-voices keeps a voice's files: `en_US-lessac-medium` -> `en/en_US/lessac/medium/`."""
    match = PIPER_NAME.fullmatch(name)
    if not match:
        raise DownloadError(f"'{name}' is not a Piper voice name (language-name-quality, e.g. en_US-lessac-medium)")
    code, voice, quality = name.split("-")
    return f"{match.group(1)}/{code}/{voice}/{quality}/"


def _obtain(url: str, target: Path, expected: Expected, force: bool, progress: Progress | None) -> Downloaded:
    if not force and target.is_file():
        try:
            digest = _digest_file(target)
        except OSError as exc:
            raise DownloadError(f"cannot read {target} ({exc.strerror})") from None
        if _mismatch(digest, expected) is None:
            return Downloaded(target, digest.size, digest.sha256, expected.kind, fetched=False)
    return _fetch(url, target, expected, progress)


def _fetch(url: str, target: Path, expected: Expected, progress: Progress | None) -> Downloaded:
    """Stream `url` into a part file beside `target`, verify it, rename it into place."""
    with _open(url) as response:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with replacing(target) as part, part.open("wb") as out:
                digest = _stream(response, out, url, target.name, expected.size, progress)
                problem = _mismatch(digest, expected)
                if problem:
                    raise DownloadError(f"cannot download {url}: {problem}; the file was not kept")
        except OSError as exc:  # the network's errors are DownloadError by now: this is the disk's
            where = target.parent
            raise DownloadError(f"cannot download {url}: cannot write to {where} ({_strerror(exc)})") from None
    return Downloaded(target, digest.size, digest.sha256, expected.kind, fetched=True)


def _open(url: str) -> Any:
    if url.split(":", 1)[0].lower() not in ("http", "https", "file"):
        raise DownloadError(f"cannot download {url}: not an http, https or file URL")
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "podrender"})
        return urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise DownloadError(f"cannot download {url}: {_reason(exc)}") from None


def _stream(
    response: Any, out: IO[bytes], url: str, name: str, limit: int | None, progress: Progress | None
) -> _Digest:
    """Copy the response into `out` block by block, hashing as it goes."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    announced = _content_length(response)
    total = announced if announced is not None else limit
    done = 0
    while block := _read(response, url):
        done += len(block)
        if limit is not None and done > limit:
            raise DownloadError(f"cannot download {url}: the server sent more than the {limit} bytes published")
        write_block(out, block)
        sha.update(block)
        md5.update(block)
        if progress:
            progress(name, done, total)
    if announced is not None and done != announced:
        raise DownloadError(f"cannot download {url}: the connection closed early ({done} of {announced} bytes)")
    return _Digest(done, sha.hexdigest(), md5.hexdigest())


def write_block(out: IO[bytes], block: bytes) -> None:
    """One block to the part file (its own function, so a test can make the disk full)."""
    out.write(block)


def _read(response: Any, url: str) -> bytes:
    try:
        return bytes(response.read(BLOCK_BYTES))
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise DownloadError(f"cannot download {url}: {_reason(exc)}") from None


def _content_length(response: Any) -> int | None:
    value = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _digest_file(path: Path) -> _Digest:
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    size = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            size += len(block)
            sha.update(block)
            md5.update(block)
    return _Digest(size, sha.hexdigest(), md5.hexdigest())


def _mismatch(digest: _Digest, expected: Expected) -> str | None:
    """Why the file is not the published one, or None when it is."""
    if expected.size is not None and digest.size != expected.size:
        return f"size mismatch ({digest.size} bytes, {expected.size} published)"
    if expected.sha256 and digest.sha256 != expected.sha256.lower():
        return f"checksum mismatch (sha256 {digest.sha256}, {expected.sha256} expected)"
    if expected.md5 and digest.md5 != expected.md5.lower():
        return f"checksum mismatch (md5 {digest.md5}, {expected.md5} published)"
    return None


def _load_index(url: str) -> dict[str, Any]:
    """piper-voices' voices.json: voice name -> {files: {path: {size_bytes, md5_digest}}, ...}."""
    data = bytearray()
    with _open(url) as response:
        while block := _read(response, url):
            data += block
            if len(data) > MAX_INDEX_BYTES:
                raise DownloadError(f"cannot download {url}: larger than {MAX_INDEX_BYTES >> 20} MB; not a voices.json")
    try:
        index = json.loads(data)
    except ValueError:
        index = None
    if not isinstance(index, dict):
        raise DownloadError(f"cannot read {url}: not a JSON object of voices (is it piper-voices' voices.json?)")
    return index


def _voice_entry(index: dict[str, Any], name: str, url: str) -> dict[str, Any]:
    entry = index.get(name)
    if isinstance(entry, dict):
        return entry
    names = [str(k) for k in index]
    close = [n for n in names if name.casefold() in n.casefold().split("-")][:3]
    close = close or difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"; closest: {', '.join(close)}" if close else f"; the list is at {url}"
    raise DownloadError(f"no Piper voice named '{name}'{hint}")


def _published(entry: dict[str, Any], file_name: str, url: str) -> Expected:
    """The size and MD5 voices.json gives for `file_name` (its files are keyed by path)."""
    files = entry.get("files")
    found = [v for k, v in files.items() if str(k).rsplit("/", 1)[-1] == file_name] if isinstance(files, dict) else []
    info = found[0] if found and isinstance(found[0], dict) else {}
    size, md5 = info.get("size_bytes"), info.get("md5_digest")
    if not isinstance(size, int) or not isinstance(md5, str) or not re.fullmatch(r"[0-9a-fA-F]{32}", md5):
        raise DownloadError(f"cannot download {url}: voices.json gives no size and md5 for {file_name}")
    return Expected(md5=md5, size=size)


def _reason(exc: BaseException) -> str:
    """What went wrong with a request, in a few words on one line."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}".strip()
    if isinstance(exc, urllib.error.URLError):
        inner = exc.reason
        return _reason(inner) if isinstance(inner, BaseException) else _one_line(str(inner))
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT_S} s (timed out)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"host not found ({exc.strerror})"
    if isinstance(exc, http.client.IncompleteRead):
        return "the connection closed early"
    if isinstance(exc, http.client.HTTPException):
        return f"bad answer from the server ({type(exc).__name__})"
    if isinstance(exc, ValueError):
        return f"not a URL that can be fetched ({_one_line(str(exc))})"
    return _strerror(exc)


def _strerror(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return _one_line(text)


def _one_line(text: str) -> str:
    return " ".join(text.split())
