"""Writing files safely: one atomic writer for every file podrender makes, and the rules for what it
may overwrite.

A file is written under a temporary name beside its target, `.<name>.<pid>.<random>.part`, flushed
to disk and renamed over the target, so a reader sees the old file or the new one, never half of
one. A writer killed before the rename leaves its `.part` behind; the next write of the same target
removes the parts whose writer is no longer running (the pid in the name says whose it is).

What podrender may write over (check_outputs): only regular files, and of those only the ones it wrote
itself, as the manifest beside the episode lists them, unless the user says --force. A device, a FIFO
or a socket is never replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from podrender.errors import OutputError

PART_SUFFIX = ".part"


def _part_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{PART_SUFFIX}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: leave its file alone
    return True


def sweep_parts(target: Path) -> int:
    """Remove the temporary files of writers of `target` that died before renaming them; returns how many."""
    removed = 0
    prefix = f".{target.name}."
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return 0
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(PART_SUFFIX)):
            continue
        pid_text = name[len(prefix) :].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed += 1
    return removed


@contextlib.contextmanager
def replacing(target: Path, mode: int = 0o644) -> Iterator[Path]:
    """A temporary path beside `target` to write; on leaving the block it is synced and renamed over
    `target`, and on an error it is removed. The folder must exist. OSError is left to the caller to word."""
    sweep_parts(target)
    tmp = _part_name(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.close(fd)
    try:
        yield tmp
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(target: Path, parts: Iterable[bytes | Path]) -> int:
    """Stream byte strings and files into `target` atomically; returns the size. OSError is left to the caller."""
    size = 0
    with replacing(target) as tmp, tmp.open("wb") as out:
        for part in parts:
            if isinstance(part, Path):
                with part.open("rb") as src:
                    while block := src.read(1 << 20):
                        out.write(block)
                        size += len(block)
            else:
                out.write(part)
                size += len(part)
    return size


def write_output(target: Path, parts: Iterable[bytes | Path], what: str = "the episode") -> int:
    """write_atomic for a file the user asked for: its mistakes are one OutputError line naming the path."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder ({exc.strerror})", path=str(target.parent)) from None
    if target.is_dir():
        raise OutputError("is a directory; give a file name ending in .mp3", path=str(target))
    try:
        return write_atomic(target, parts)
    except OSError as exc:
        raise OutputError(f"cannot write {what} ({exc.strerror})", path=str(target)) from None


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (OSError is left to the caller)."""
    write_atomic(path, [data])


def _kind(mode: int) -> str | None:
    """What a path that is not a regular file is, for people; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def written_by_podrender(manifest_path: Path) -> set[str]:
    """Names of the files the manifest at `manifest_path` says podrender wrote (itself included); empty
    when there is no such manifest, or the file there is not one of podrender's."""
    try:
        if not manifest_path.is_file() or manifest_path.stat().st_size > 64 << 20:
            return set()
        data = json.loads(manifest_path.read_bytes())
    except (OSError, ValueError):
        return set()
    if not isinstance(data, dict) or "podrender_version" not in data or not isinstance(data.get("files"), dict):
        return set()
    names = {v for v in data["files"].values() if isinstance(v, str)}
    earlier = data.get("written_here")
    names |= {v for v in earlier if isinstance(v, str) and "/" not in v} if isinstance(earlier, list) else set()
    return {*names, manifest_path.name}


def check_outputs(paths: Sequence[Path], manifest_path: Path, *, force: bool = False) -> None:
    """Raise OutputError, before any work, when a path to be written is not a regular file, or is a file
    podrender did not write (its manifest does not list it) and `force` is not given."""
    owned: set[str] | None = None
    for path in paths:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot be checked ({exc.strerror})", path=str(path)) from None
        kind = _kind(st.st_mode)
        if kind == "a folder":
            raise OutputError("is a directory; give a file name ending in .mp3", path=str(path))
        if kind is not None:
            raise OutputError(f"is {kind}, not a regular file; podrender writes only regular files", path=str(path))
        if force:
            continue
        if owned is None:
            owned = written_by_podrender(manifest_path)
        if path.name not in owned:
            raise OutputError(
                "already exists and was not written by podrender; use --force to replace it, or -o to write "
                "the episode elsewhere",
                path=str(path),
            )


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on `folder` itself (no lock file is left behind), so that renders
    writing into one folder at once write their files one after the other."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise OutputError(f"cannot create the folder ({exc.strerror})", path=str(folder)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
