"""Content-addressed cache of encoded chunks.

An entry is `chunks/<k[:2]>/<key>.mp3` plus `<key>.json` (size, sha256, frame count, loudness
statistics). Both are written to a temporary name and renamed, the metadata last, so an entry is
whole or absent. Reads check size and checksum; a damaged entry is deleted and made again. The
metadata file's mtime is the entry's last use; `prune` removes the least recently used entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podrender.errors import CacheError
from podrender.output.files import atomic_write

DEFAULT_MAX_BYTES = 2 * 1024**3
#: A temporary file (or a chunk without metadata) this old is left over from a killed writer.
STALE_SECONDS = 3600


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/podrender`, else `~/.cache/podrender`."""
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "podrender"


def sealed(value: Any) -> bytes:
    """`value` as JSON after a line with the body's SHA-256, for files read back later (facts, the memo)."""
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def unsealed(data: bytes) -> Any:
    """The value `sealed` wrote, or None when the file is damaged, changed by hand, or of an older shape."""
    digest, _, body = data.partition(b"\n")
    if hashlib.sha256(body).hexdigest().encode() != digest:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    entries: int
    bytes: int
    max_bytes: int


class Cache:
    """A chunk cache rooted at `root`."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.chunks = root / "chunks"

    def ensure(self) -> None:
        try:
            self.chunks.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"cannot create the cache directory ({exc.strerror})", path=str(self.root)) from None
        if not os.access(self.chunks, os.W_OK):
            raise CacheError("the cache directory is not writable (use --cache-dir or --no-cache)", path=str(self.root))

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.chunks / key[:2]
        return folder / f"{key}.mp3", folder / f"{key}.json"

    def data_path(self, key: str) -> Path:
        return self._paths(key)[0]

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry's metadata if it is present and whole; a damaged entry is removed."""
        data, meta_path = self._paths(key)
        try:
            meta = json.loads(meta_path.read_bytes())
            blob = data.read_bytes()
        except (OSError, ValueError):
            if meta_path.exists() or data.exists():
                self.discard(key)
            return None
        if (
            not isinstance(meta, dict)
            or meta.get("key") != key
            or meta.get("size") != len(blob)
            or meta.get("sha256") != hashlib.sha256(blob).hexdigest()
        ):
            self.discard(key)
            return None
        try:
            os.utime(meta_path)
        except OSError:
            pass
        return meta

    def put(self, key: str, blob: bytes, meta: dict[str, Any]) -> dict[str, Any]:
        """Store a chunk; returns the metadata as stored."""
        data, meta_path = self._paths(key)
        meta = {**meta, "key": key, "size": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
        try:
            data.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(data, blob)
            atomic_write(meta_path, json.dumps(meta, separators=(",", ":")).encode())
        except OSError as exc:
            # The chunk may be whole and its metadata missing: get() treats that as absent.
            raise CacheError(
                f"cannot store a chunk in the cache {self.root} ({exc.strerror}); "
                "free some space, or use --cache-dir DIR or --no-cache"
            ) from None
        return meta

    @contextlib.contextmanager
    def pinned(self, keys: Sequence[str]) -> Iterator[list[Path] | None]:
        """Hard links to the chunks of `keys`, in order, that stay whole while the block runs even if the
        entries are removed meanwhile (`podrender cache clear`, another render's pruning); None when one
        of the chunks is gone already, so the caller can make it again. Copies where links fail."""
        folder = self.root / "pins" / f"{os.getpid()}-{secrets.token_hex(4)}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"cannot write in the cache ({exc.strerror})", path=str(self.root)) from None
        try:
            paths: list[Path] = []
            made: dict[str, Path] = {}
            for key in keys:
                if key not in made:
                    pin = folder / f"{len(made)}.mp3"
                    try:
                        _link_or_copy(self.data_path(key), pin)
                    except FileNotFoundError:
                        break
                    except OSError as exc:
                        raise CacheError(f"cannot read the cache ({exc.strerror})", path=str(self.root)) from None
                    made[key] = pin
                paths.append(made[key])
            yield paths if len(paths) == len(keys) else None
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def discard(self, key: str) -> None:
        for p in self._paths(key):
            try:
                p.unlink()
            except OSError:
                pass

    def _scan(self, stale_before: float | None = None) -> list[tuple[float, int, str]]:
        """(last use, size, key) of every whole entry, in one pass over the folders (os.scandir: the
        cache of a 3-hour episode has over a thousand files). With `stale_before`, also removes what
        killed writers left that is older than that: temporary files and chunks without metadata."""
        out: list[tuple[float, int, str]] = []
        try:
            folders = [f.path for f in os.scandir(self.chunks) if f.is_dir(follow_symlinks=False)]
        except OSError:
            return out
        for folder in folders:
            metas: dict[str, os.stat_result] = {}
            sizes: dict[str, int] = {}
            try:
                with os.scandir(folder) as listing:
                    for entry in listing:
                        name = entry.name
                        try:
                            if name.startswith("."):
                                if stale_before is not None and entry.stat().st_mtime < stale_before:
                                    os.unlink(entry.path)
                            elif name.endswith(".json"):
                                metas[name[:-5]] = entry.stat()
                            elif name.endswith(".mp3"):
                                sizes[name[:-4]] = entry.stat().st_size
                        except OSError:
                            continue
            except OSError:
                continue
            for key, st in metas.items():
                if key in sizes:
                    out.append((st.st_mtime, st.st_size + sizes[key], key))
            if stale_before is None:
                continue
            for key in sizes.keys() - metas.keys():  # a chunk whose metadata was never written
                path = os.path.join(folder, f"{key}.mp3")
                try:
                    if os.stat(path).st_mtime < stale_before and not os.path.exists(path[:-4] + ".json"):
                        os.unlink(path)
                except OSError:
                    pass
        return out

    def info(self) -> CacheInfo:
        entries = self._scan()
        return CacheInfo(self.root, len(entries), sum(s for _, s, _ in entries), self.max_bytes)

    def prune(self, keep: set[str] | None = None) -> int:
        """Delete least recently used entries until the cache fits; returns how many went.

        Also removes what killed writers left: temporary files and chunks without metadata that
        are older than STALE_SECONDS (younger ones may belong to a render running now)."""
        _sweep_pins(self.root)
        entries = sorted(self._scan(stale_before=time.time() - STALE_SECONDS))
        total = sum(s for _, s, _ in entries)
        removed = 0
        for _, size, key in entries:
            if total <= self.max_bytes:
                break
            if keep and key in keep:
                continue
            self.discard(key)
            total -= size
            removed += 1
        return removed

    def clear(self) -> int:
        """Remove every chunk (and the memo of spoken forms beside them); the number of chunks removed."""
        entries = self._scan()
        for _, _, key in entries:
            self.discard(key)
        for memo in (self.root / "memo").glob("spoken-*.json"):
            try:
                memo.unlink()
            except OSError:
                pass
        return len(entries)


def _link_or_copy(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest)
    except FileNotFoundError:
        raise
    except OSError:
        shutil.copyfile(source, dest)  # a file system without hard links, or another device


def _sweep_pins(root: Path) -> None:
    """Remove the pin folders of renders that were killed (their pid is not running)."""
    try:
        folders = list(os.scandir(root / "pins"))
    except OSError:
        return
    for entry in folders:
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                shutil.rmtree(entry.path, ignore_errors=True)
            except OSError:
                pass


class Facts:
    """Small facts measured about this machine's engine and encoder (the voice list, the codec's
    level change), remembered under names that include the tools' identities, so they never go
    stale. They live beside the chunk cache's default place whatever --cache-dir says: they
    describe the installed tools, not any episode."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_cache_dir() / "facts"

    def get(self, name: str) -> Any:
        """The fact, or None when it is missing or does not verify (then it is measured again)."""
        try:
            return unsealed((self.root / name).read_bytes())
        except OSError:
            return None

    def put(self, name: str, value: Any) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            atomic_write(self.root / name, sealed(value))
        except OSError:
            pass  # only a missed shortcut: the fact is measured again next time
