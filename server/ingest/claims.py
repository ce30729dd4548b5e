"""Claiming dropped files, so several server processes (and `ingest --once`) never take one twice,
and a claim left by a process that died is given back.

A process claims a file by renaming it into its own folder `.work/<token>/`, where the token is
its PID plus random hex, and holds an exclusive `flock` on `.work/<token>.lock` for as long as it
takes files. The kernel drops that lock when the process dies, however it dies, so at every scan
any claim folder whose lock can be taken belongs to nobody: its files go back where they were
dropped. PID reuse (a container always starting as PID 1) cannot make a dead claim look alive."""
from __future__ import annotations

import errno
import fcntl
import os
import secrets
import stat

from server.ingest.safefs import Inbox, UnsafePath

WORK = ".work"
LOCKS = ".locks"
LOCK_SUFFIX = ".lock"


def _lock_fd(inbox: Inbox, name: str) -> int | None:
    with inbox.folder((WORK,)) as fd:
        try:
            return os.open(name, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
        except (FileNotFoundError, UnsafePath):
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return None
            raise


class Claims:
    """This process's claim folder and the lock that says it is alive."""

    def __init__(self, inbox: Inbox):
        self.token = f"{os.getpid()}-{secrets.token_hex(4)}"
        with inbox.folder((WORK,), create=True, repair=True) as fd:
            tmp = f".{self.token}.new"   # locked before it gets its name: never seen unlocked
            self.lock = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                                0o600, dir_fd=fd)
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(tmp, self.token + LOCK_SUFFIX, src_dir_fd=fd, dst_dir_fd=fd)

    @property
    def parts(self) -> tuple[str, ...]:
        return (WORK, self.token)

    def claim(self, inbox: Inbox, parts: tuple[str, ...], name: str) -> tuple[tuple[str, ...], str] | None:
        """Move root/parts/name into the claim folder; None if another process took it first."""
        dest = self.parts + parts
        try:
            got = inbox.move(parts, name, dest)
        except FileNotFoundError:
            return None
        return dest, got

    def put_back(self, inbox: Inbox, claimed: tuple[tuple[str, ...], str], parts: tuple[str, ...], name: str) -> str:
        """Return a claimed file to where it was dropped (under a free name if that one is taken)."""
        folder, got = claimed
        back = inbox.move(folder, got, parts, name, repair=False)
        inbox.remove_empty(folder)
        return back

    def give_back_own(self, inbox: Inbox) -> int:
        """Put back anything left in this process's own claim folder (a failure that could not)."""
        return _give_back(inbox, self.parts)

    def release(self, inbox: Inbox | None = None) -> None:
        """Give up the lock (and the empty claim folder) when the process stops taking files."""
        if inbox is not None:
            inbox.remove_empty(self.parts + ("x",))
            try:
                with inbox.folder((WORK,)) as fd:
                    os.unlink(self.token + LOCK_SUFFIX, dir_fd=fd)
            except OSError:
                pass
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None


def target_lock(inbox: Inbox, name: str) -> int | None:
    """An exclusive lock on one import target (a category), so two processes never update its item
    at once: files into one category are taken one at a time, in name order within a scan. None
    while another process holds it. Kept in `.locks/` (never removed: a lock file unlinked while
    someone waits on it would stop being a lock)."""
    with inbox.folder((LOCKS,), create=True, repair=True) as fd:
        lock = os.open(name + LOCK_SUFFIX, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=fd)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        return None
    return lock


def recover(inbox: Inbox, own: str | None = None) -> int:
    """Put back every file in a claim folder whose owner is gone; returns how many."""
    try:
        names = [n for n, _st in inbox.entries((WORK,)) if not n.startswith(".")]
    except (FileNotFoundError, UnsafePath):
        return 0
    moved = 0
    for name in names:
        token = name[:-len(LOCK_SUFFIX)] if name.endswith(LOCK_SUFFIX) else name
        if token == own or (name.endswith(LOCK_SUFFIX) and token in names):
            continue   # our own; or a lock whose folder is handled under the folder's name
        lock = _lock_fd(inbox, token + LOCK_SUFFIX)
        if lock is None and token.isdigit() and _alive(int(token)) and int(token) != os.getpid():
            continue   # a claim folder of an older version (PID only, no lock) whose process lives
        try:
            if lock is not None:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue   # its owner is alive and working
            moved += _give_back(inbox, (WORK, token))
            if lock is not None:
                try:
                    with inbox.folder((WORK,)) as fd:
                        os.unlink(token + LOCK_SUFFIX, dir_fd=fd)
                except OSError:
                    pass
        finally:
            if lock is not None:
                os.close(lock)
    return moved


def _give_back(inbox: Inbox, base: tuple[str, ...]) -> int:
    """Move every file under root/base back to root/<the same relative folder>."""
    moved = 0
    try:
        found = inbox.entries(base)
    except (FileNotFoundError, UnsafePath, NotADirectoryError):
        return 0
    for name, st in found:
        path = base + (name,)
        if _is_dir(st):
            moved += _give_back(inbox, path)
            continue
        try:
            inbox.move(base, name, base[2:], repair=False)
            moved += 1
        except FileNotFoundError:
            continue   # another process gave it back first
        except OSError:
            continue   # left for the next scan
    try:
        with inbox.folder(base[:-1]) as fd:
            os.rmdir(base[-1], dir_fd=fd)
    except OSError:
        pass
    return moved


def _is_dir(st: os.stat_result) -> bool:
    return stat.S_ISDIR(st.st_mode)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
