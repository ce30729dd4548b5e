"""The on-disk cache: atomic writes, verified media, switch only when complete, GC after it."""
import errno
import hashlib
import os
import stat
import time

import pytest

import screen.cache as cache_module
from screen.cache import ContentCache, MediaError, atomic_write, read_json, sweep_temp_files, write_json

DATA = b"price list " * 100
SHA = hashlib.sha256(DATA).hexdigest()


def test_exported_surface():
    assert set(cache_module.__all__) == {"ContentCache", "MediaError", "atomic_write", "read_json",
                                         "sweep_temp_files", "write_json"}


def test_atomic_write_mode_and_no_leftovers(tmp_path):
    path = str(tmp_path / "device.json")
    write_json(path, {"token": "秘密"}, mode=0o600)
    write_json(path, {"token": "新"}, mode=0o600)
    assert read_json(path) == {"token": "新"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path) == ["device.json"]


def test_atomic_write_mode_ignores_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        atomic_write(str(tmp_path / "manifest.json"), b"{}", mode=0o644)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "manifest.json").st_mode) == 0o644


def test_failed_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = str(tmp_path / "manifest.json")
    atomic_write(path, b"old")

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(cache_module.os, "fsync", full)
    with pytest.raises(OSError):
        atomic_write(path, b"new")
    assert open(path, "rb").read() == b"old"
    assert os.listdir(tmp_path) == ["manifest.json"]


def test_read_json_default_for_absent_or_corrupt(tmp_path):
    assert read_json(str(tmp_path / "none.json"), default=[]) == []
    (tmp_path / "bad.json").write_bytes(b"{not json")
    assert read_json(str(tmp_path / "bad.json")) is None


def test_store_media_verifies_and_names_by_hash(tmp_path):
    cache = ContentCache(str(tmp_path))
    cache.store_media(SHA, [DATA[:10], DATA[10:]], len(DATA))
    assert cache.has_media(SHA, len(DATA)) and cache.verify_media(SHA)
    assert not cache.has_media(SHA, len(DATA) + 1)
    assert os.listdir(cache.media_dir) == [SHA]


@pytest.mark.parametrize("chunks, size, message", [
    ([DATA[:-1] + b"X"], len(DATA), "does not match"),
    ([DATA[:500]], len(DATA), "truncated"),
    ([DATA, b"more"], len(DATA), "more than"),
    ([DATA[:500]], None, "does not match"),
])
def test_store_media_rejects_wrong_bytes_and_leaves_nothing(tmp_path, chunks, size, message):
    cache = ContentCache(str(tmp_path))
    with pytest.raises(MediaError, match=message):
        cache.store_media(SHA, chunks, size)
    assert os.listdir(cache.media_dir) == []


def test_store_media_network_error_and_disk_full_leave_nothing(tmp_path, monkeypatch):
    cache = ContentCache(str(tmp_path))

    def broken():
        yield DATA[:100]
        raise ConnectionError("reset")
    with pytest.raises(ConnectionError):
        cache.store_media(SHA, broken(), len(DATA))
    monkeypatch.setattr(cache_module.os, "fsync", lambda fd: (_ for _ in ()).throw(
        OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(OSError) as info:
        cache.store_media(SHA, [DATA], len(DATA))
    assert info.value.errno == errno.ENOSPC
    assert os.listdir(cache.media_dir) == []


def test_store_media_can_be_cancelled(tmp_path):
    cache = ContentCache(str(tmp_path))
    with pytest.raises(MediaError, match="cancelled"):
        cache.store_media(SHA, [DATA], len(DATA), cancelled=lambda: True)
    assert os.listdir(cache.media_dir) == []


@pytest.mark.parametrize("name", ["../device.json", "A" * 64, "", "a" * 64 + "/x"])
def test_media_path_refuses_anything_but_a_hash(tmp_path, name):
    with pytest.raises(ValueError):
        ContentCache(str(tmp_path)).media_path(name)


def test_commit_only_when_complete_then_gc(tmp_path):
    cache = ContentCache(str(tmp_path))
    other = hashlib.sha256(b"old").hexdigest()
    cache.store_media(other, [b"old"], 3)
    old, old_refs = {"version": 1}, {other: 3}
    cache.commit(old, old_refs)
    new, new_refs = {"version": 2}, {SHA: len(DATA)}
    with pytest.raises(MediaError, match="missing"):
        cache.commit(new, new_refs)
    assert cache.read_manifest() == old
    cache.store_media(SHA, [DATA], len(DATA))
    (tmp_path / "media" / ".part-leftover").write_bytes(b"x")
    (tmp_path / ".tmp-manifest.json-dead").write_bytes(b"x")
    cache.commit(new, new_refs)
    assert cache.read_manifest() == new
    assert sorted(os.listdir(cache.media_dir)) == sorted([SHA, other, ".part-leftover"])
    removed = cache.collect_garbage(new_refs)
    assert set(removed) == {other, ".part-leftover", ".tmp-manifest.json-dead"}
    assert os.listdir(cache.media_dir) == [SHA]
    assert cache.missing(new_refs) == {} and cache.missing(old_refs) == {other: 3}


def test_gc_grace_counts_from_when_a_file_was_dropped(tmp_path):
    """An unreferenced file stays for the grace period: one just dropped by a switch starts its
    grace now, however old it is; a stray one counts from when it was stored."""
    cache = ContentCache(str(tmp_path))
    names = {}
    for label in ("kept", "dropped", "stray", "stale"):
        data = label.encode() * 10
        names[label] = hashlib.sha256(data).hexdigest()
        cache.store_media(names[label], [data], len(data))
    long_ago = time.time() - 7200
    for label in ("dropped", "stale"):
        os.utime(cache.media_path(names[label]), (long_ago, long_ago))
    removed = cache.collect_garbage({names["kept"]: 40}, grace_seconds=3600, released=[names["dropped"]])
    assert removed == [names["stale"]]
    assert sorted(os.listdir(cache.media_dir)) == sorted(names[k] for k in ("kept", "dropped", "stray"))
    assert cache.collect_garbage({names["kept"]: 40}, grace_seconds=0) != []
    assert os.listdir(cache.media_dir) == [names["kept"]]


def test_read_verified_discards_a_damaged_file(tmp_path):
    cache = ContentCache(str(tmp_path))
    cache.store_media(SHA, [DATA], len(DATA))
    assert cache.read_verified(SHA) == DATA
    with open(cache.media_path(SHA), "r+b") as fh:
        fh.write(b"X")
    assert cache.read_verified(SHA) is None
    assert not os.path.exists(cache.media_path(SHA))          # gone, so sync fetches it again
    assert cache.missing({SHA: len(DATA)}) == {SHA: len(DATA)}
    assert cache.read_verified("b" * 64) is None


def test_sweep_temp_files(tmp_path):
    for name in [".tmp-device.json-1", ".part-abc", "device.json"]:
        (tmp_path / name).write_bytes(b"x")
    assert sweep_temp_files(str(tmp_path)) == 2
    assert os.listdir(tmp_path) == ["device.json"]
    assert sweep_temp_files(str(tmp_path / "absent")) == 0
