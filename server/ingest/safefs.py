"""File operations inside the inbox that never follow a link.

Every folder is opened one component at a time with O_NOFOLLOW | O_DIRECTORY relative to its
parent's descriptor, files are opened with O_NOFOLLOW and renamed by (folder descriptor, name), so
a symbolic link anywhere below the inbox — a category folder, processed/, a dated folder, a file —
is never a way out of it. Only the inbox root itself, which the administrator configured, may be a
link. Reason files are written under a short temporary name and renamed into place."""
from __future__ import annotations

import errno
import os
import secrets
import stat
from contextlib import contextmanager

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
NAME_MAX = 255
FOLDER_MODE = 0o750
FILE_MODE = 0o640


class UnsafePath(OSError):
    """A path component that is a link or not a folder where a folder was expected."""


def _open_dir(name: str, parent: int) -> int:
    try:
        return os.open(name, DIR_FLAGS, dir_fd=parent)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise UnsafePath(exc.errno, f"{name} is a link or not a folder") from None
        raise


class Inbox:
    """The inbox opened by its folder descriptor for one scan (close it afterwards)."""

    def __init__(self, path: str):
        self.path = path
        self.fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> "Inbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def folder(self, parts: tuple[str, ...], create: bool = False, repair: bool = False):
        """A descriptor of the folder root/parts, opened without following links. `create` makes
        missing folders; `repair` (only for the server's own folders) first renames aside
        anything that is in the way, e.g. a link someone put where processed/ belongs."""
        fd = os.dup(self.fd)
        try:
            for part in parts:
                try:
                    child = _open_dir(part, fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    try:
                        os.mkdir(part, FOLDER_MODE, dir_fd=fd)
                    except FileExistsError:
                        pass
                    child = _open_dir(part, fd)
                except UnsafePath:
                    if not repair:
                        raise
                    os.rename(part, f"{part}.not-a-folder-{secrets.token_hex(3)}", src_dir_fd=fd, dst_dir_fd=fd)
                    os.mkdir(part, FOLDER_MODE, dir_fd=fd)
                    child = _open_dir(part, fd)
                os.close(fd)
                fd = child
            yield fd
        finally:
            os.close(fd)

    def entries(self, parts: tuple[str, ...]) -> list[tuple[str, os.stat_result]]:
        """(name, lstat) of everything in the folder, sorted by name."""
        with self.folder(parts) as fd:
            out = []
            with os.scandir(fd) as found:
                for entry in found:
                    try:
                        out.append((entry.name, entry.stat(follow_symlinks=False)))
                    except FileNotFoundError:
                        continue
        return sorted(out, key=lambda pair: pair[0])

    def lstat(self, parts: tuple[str, ...], name: str) -> os.stat_result | None:
        try:
            with self.folder(parts) as fd:
                return os.stat(name, dir_fd=fd, follow_symlinks=False)
        except (FileNotFoundError, UnsafePath, NotADirectoryError):
            return None

    def read(self, parts: tuple[str, ...], name: str, limit: int) -> tuple[bytes, os.stat_result, os.stat_result]:
        """The file's bytes (at most `limit`), with its fstat before and after reading. Refuses
        anything but a regular file, without opening it for long (O_NONBLOCK: a FIFO never blocks)."""
        with self.folder(parts) as dir_fd:
            fd = os.open(name, FILE_FLAGS, dir_fd=dir_fd)
        try:
            before = os.fstat(fd)
            if not stat.S_ISREG(before.st_mode):
                raise UnsafePath(errno.EINVAL, f"{name} is not a regular file")
            chunks, size = [], 0
            while size < limit:
                block = os.read(fd, min(1 << 20, limit - size))
                if not block:
                    break
                chunks.append(block)
                size += len(block)
            return b"".join(chunks), before, os.fstat(fd)
        finally:
            os.close(fd)

    def free_name(self, fd: int, name: str, reserve: int = 0) -> str:
        """`name`, or name-1, name-2 … so that neither it nor its reason file exists; shortened
        (at a character boundary, extension kept) so `reserve` more bytes still fit a name."""
        def taken(candidate: str) -> bool:
            return _exists(fd, candidate) or bool(reserve and _exists(fd, candidate + ".reason.txt"))

        if len(os.fsencode(name)) <= NAME_MAX - reserve and not taken(name):
            return name
        stem, ext = os.path.splitext(name)
        budget = NAME_MAX - reserve - 4   # room for "-999"
        if len(os.fsencode(name)) > budget:
            room = budget - len(os.fsencode(ext)) - len("…".encode())
            while len(os.fsencode(stem)) > room:
                stem = stem[:-1]
            stem += "…"
        candidate, n = stem + ext, 1
        while taken(candidate):
            candidate = f"{stem}-{n}{ext}"
            n += 1
        return candidate

    def move(self, src: tuple[str, ...], name: str, dst: tuple[str, ...], new_name: str | None = None,
             reserve: int = 0, repair: bool = True) -> str:
        """Rename src/name to dst/<a free name>; the destination folders are made (and repaired)
        as needed. Returns the name it got. A link is moved as a link, never followed."""
        with self.folder(src) as src_fd, self.folder(dst, create=True, repair=repair) as dst_fd:
            target = self.free_name(dst_fd, new_name or name, reserve)
            os.rename(name, target, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
            return target

    def write_text(self, parts: tuple[str, ...], name: str, text: str, exclusive: bool = False) -> None:
        """Write a small text file whole or not at all: a short temporary name, then a rename —
        or, `exclusive`, a hard link that fails with FileExistsError if another process wrote it first."""
        with self.folder(parts, create=True, repair=True) as fd:
            tmp = f".r-{secrets.token_hex(6)}.tmp"
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                          FILE_MODE, dir_fd=fd)
            try:
                with os.fdopen(out, "w", encoding="utf-8") as fh:
                    fh.write(text.rstrip() + "\n")
                if exclusive:
                    os.link(tmp, name, src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=False)
                else:
                    os.rename(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
            finally:
                try:
                    os.unlink(tmp, dir_fd=fd)
                except OSError:
                    pass

    def remove_empty(self, parts: tuple[str, ...]) -> None:
        """Remove root/parts and its empty parents up to (not including) the first part."""
        for depth in range(len(parts), 1, -1):
            try:
                with self.folder(parts[:depth - 1]) as fd:
                    os.rmdir(parts[depth - 1], dir_fd=fd)
            except OSError:
                return


def _exists(fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=fd, follow_symlinks=False)
        return True
    except FileNotFoundError:
        return False
