"""Content-addressed cache of encoded chunks.

An entry is `chunks/<k[:2]>/<key>.mp3` plus `<key>.json` (size, sha256, frame count, loudness
statistics). Both are written to a temporary name and renamed, the metadata last, so an entry is
whole or absent. Reads check size and checksum; a damaged entry is deleted and made again. The
metadata file's mtime is the entry's last use; `prune` removes the least recently used entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podrender.errors import CacheError

DEFAULT_MAX_BYTES = 2 * 1024**3
#: A temporary file (or a chunk without metadata) this old is left over from a killed writer.
STALE_SECONDS = 3600


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/podrender`, else `~/.cache/podrender`."""
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "podrender"


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; a manifest is read by others like the episode beside it
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


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


class Facts:
    """Small facts measured about this machine's engine and encoder (the voice list, the codec's
    level change), remembered under names that include the tools' identities, so they never go
    stale. They live beside the chunk cache's default place whatever --cache-dir says: they
    describe the installed tools, not any episode."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_cache_dir() / "facts"

    def get(self, name: str) -> Any:
        try:
            return json.loads((self.root / name).read_bytes())
        except (OSError, ValueError):
            return None

    def put(self, name: str, value: Any) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            atomic_write(self.root / name, json.dumps(value).encode())
        except OSError:
            pass  # only a missed shortcut: the fact is measured again next time
