"""The chunk cache: podrender.cache."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from podrender.cache import Cache, Facts, atomic_write, default_cache_dir
from podrender.errors import CacheError


def key_of(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def fill(cache: Cache, names: list[str], size: int = 1000) -> dict[str, str]:
    """Store one entry per name (blob of `size` bytes); returns name -> key."""
    keys = {}
    for i, name in enumerate(names):
        key = key_of(name)
        cache.put(key, bytes([i % 256]) * size, {"frames": i})
        keys[name] = key
    return keys


def age(cache: Cache, key: str, mtime: float) -> None:
    """Make an entry look last used at `mtime` (the metadata file's mtime is its last use)."""
    _, meta = cache._paths(key)
    os.utime(meta, (mtime, mtime))


def present(cache: Cache, key: str) -> bool:
    data, meta = cache._paths(key)
    return data.exists() and meta.exists()


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    c = Cache(tmp_path / "cache")
    c.ensure()
    return c


# --- put / get ---------------------------------------------------------------------------------------


def test_put_get_round_trip(cache: Cache) -> None:
    key = key_of("a")
    blob = b"\xff\xfb" + bytes(range(256)) * 4
    stored = cache.put(key, blob, {"frames": 12, "energies": [0.1, 0.2]})
    assert stored["key"] == key
    assert stored["size"] == len(blob)
    assert stored["sha256"] == hashlib.sha256(blob).hexdigest()
    got = cache.get(key)
    assert got == stored
    assert got is not None and got["frames"] == 12 and got["energies"] == [0.1, 0.2]
    assert cache.data_path(key).read_bytes() == blob
    assert cache.data_path(key).parent.name == key[:2]


def test_put_leaves_no_temporary_files(cache: Cache) -> None:
    fill(cache, ["a", "b", "c"])
    leftovers = [p for p in cache.root.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
    assert leftovers == []


def test_get_missing_entry(cache: Cache) -> None:
    assert cache.get(key_of("never stored")) is None


def test_put_overwrites(cache: Cache) -> None:
    key = key_of("a")
    cache.put(key, b"old", {"v": 1})
    cache.put(key, b"new!", {"v": 2})
    got = cache.get(key)
    assert got is not None and got["v"] == 2 and got["size"] == 4


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data.write_bytes(data.read_bytes()[:-10]),  # truncated
        lambda data: data.write_bytes(bytes([data.read_bytes()[0] ^ 0xFF]) + data.read_bytes()[1:]),  # one byte
        lambda data: data.write_bytes(data.read_bytes() + b"x"),  # longer
        lambda data: data.unlink(),  # gone
    ],
    ids=["truncated", "modified", "extended", "missing"],
)
def test_damaged_data_file_is_a_miss_and_is_removed(cache: Cache, damage) -> None:
    keys = fill(cache, ["a", "b"])
    data, meta = cache._paths(keys["a"])
    damage(data)
    assert cache.get(keys["a"]) is None
    assert not data.exists() and not meta.exists()
    assert cache.get(keys["b"]) is not None  # other entries are untouched


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"[1, 2, 3]", b"\xff\xfe", b'{"key": "other", "size": 1000}'],
    ids=["broken", "empty", "list", "binary", "wrong-key"],
)
def test_damaged_metadata_is_a_miss_and_is_removed(cache: Cache, content: bytes) -> None:
    keys = fill(cache, ["a"])
    data, meta = cache._paths(keys["a"])
    meta.write_bytes(content)
    assert cache.get(keys["a"]) is None
    assert not data.exists() and not meta.exists()


def test_metadata_with_a_wrong_checksum_is_a_miss(cache: Cache) -> None:
    keys = fill(cache, ["a"])
    _, meta_path = cache._paths(keys["a"])
    meta = json.loads(meta_path.read_bytes())
    meta["sha256"] = "0" * 64
    meta_path.write_text(json.dumps(meta))
    assert cache.get(keys["a"]) is None
    assert not meta_path.exists()


def test_get_marks_the_entry_as_recently_used(cache: Cache) -> None:
    keys = fill(cache, ["a"])
    age(cache, keys["a"], 1_000_000)
    assert cache.get(keys["a"]) is not None
    _, meta = cache._paths(keys["a"])
    assert meta.stat().st_mtime > 1_000_000 + 10**8


# --- prune ---------------------------------------------------------------------------------------------


def entry_size(cache: Cache, key: str) -> int:
    data, meta = cache._paths(key)
    return data.stat().st_size + meta.stat().st_size


def test_prune_removes_least_recently_used_first(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    keys = fill(cache, ["old", "middle", "new", "newest"])
    for i, name in enumerate(["old", "middle", "new", "newest"]):
        age(cache, keys[name], 1_000_000 + i * 1000)
    size = entry_size(cache, keys["old"])
    cache.max_bytes = 2 * size  # room for two entries
    assert cache.prune() == 2
    assert not present(cache, keys["old"]) and not present(cache, keys["middle"])
    assert present(cache, keys["new"]) and present(cache, keys["newest"])
    assert cache.info().entries == 2


def test_prune_follows_last_use_not_creation(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    keys = fill(cache, ["a", "b", "c"])
    age(cache, keys["a"], 1_000_000)
    age(cache, keys["b"], 2_000_000)
    age(cache, keys["c"], 3_000_000)
    assert cache.get(keys["a"]) is not None  # now the most recently used
    cache.max_bytes = 2 * entry_size(cache, keys["a"])
    assert cache.prune() == 1
    assert present(cache, keys["a"]) and not present(cache, keys["b"]) and present(cache, keys["c"])


def test_prune_respects_keep(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    keys = fill(cache, ["old", "middle", "new"])
    for i, name in enumerate(["old", "middle", "new"]):
        age(cache, keys[name], 1_000_000 + i * 1000)
    cache.max_bytes = 2 * entry_size(cache, keys["old"])
    assert cache.prune(keep={keys["old"]}) == 1
    assert present(cache, keys["old"])
    assert not present(cache, keys["middle"])
    assert present(cache, keys["new"])


def test_prune_never_removes_kept_entries_even_over_budget(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    keys = fill(cache, ["a", "b"])
    cache.max_bytes = 0
    assert cache.prune(keep=set(keys.values())) == 0
    assert all(present(cache, k) for k in keys.values())
    assert cache.prune() == 2
    assert cache.info().entries == 0


def test_prune_within_budget_removes_nothing(cache: Cache) -> None:
    fill(cache, ["a", "b", "c"])
    assert cache.prune() == 0
    assert cache.info().entries == 3


# --- clear / info -----------------------------------------------------------------------------------------


def test_info_counts_entries_and_bytes(cache: Cache) -> None:
    assert cache.info().entries == 0
    assert cache.info().bytes == 0
    keys = fill(cache, ["a", "b"], size=500)
    info = cache.info()
    assert info.entries == 2
    assert info.bytes == sum(entry_size(cache, k) for k in keys.values())
    assert info.bytes > 1000
    assert info.path == cache.root
    assert info.max_bytes == cache.max_bytes


def test_info_ignores_orphan_data_files(cache: Cache) -> None:
    keys = fill(cache, ["a", "b"])
    cache._paths(keys["a"])[1].unlink()  # metadata gone: not an entry
    assert cache.info().entries == 1


def test_clear(cache: Cache) -> None:
    keys = fill(cache, ["a", "b", "c"])
    assert cache.clear() == 3
    assert cache.info().entries == 0
    assert all(cache.get(k) is None for k in keys.values())
    assert cache.clear() == 0


def test_info_and_clear_on_a_cache_that_does_not_exist(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "nowhere")
    assert cache.info().entries == 0
    assert cache.clear() == 0
    assert cache.prune() == 0


def test_facts_round_trip_and_survive_damage(tmp_path: Path) -> None:
    facts = Facts(tmp_path / "f")
    assert facts.get("voices.json") is None
    facts.put("voices.json", {"engine": "fake", "voices": [1, 2]})
    assert facts.get("voices.json") == {"engine": "fake", "voices": [1, 2]}
    (facts.root / "voices.json").write_text("{broken")
    assert facts.get("voices.json") is None


def test_facts_default_to_the_user_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert Facts().root == tmp_path / "xdg" / "podrender" / "facts"


# --- location and errors ------------------------------------------------------------------------------


def test_default_cache_dir_honours_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "podrender"


def test_default_cache_dir_without_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "podrender"
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "podrender"


def test_ensure_fails_when_a_file_is_in_the_way(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    with pytest.raises(CacheError) as info:
        Cache(blocker).ensure()
    assert info.value.path == str(blocker)


def test_atomic_write_replaces_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]


def test_atomic_write_into_a_missing_folder_raises_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        atomic_write(tmp_path / "missing" / "f.bin", b"data")
    assert list(tmp_path.iterdir()) == []
