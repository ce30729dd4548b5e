"""Where a dropped entry belongs and where it ends up: the unit and category its folder names, the
system account drafts are made by, and the filing — moving an entry to `processed/` or `rejected/`
with its reason file, recording it (the `ingested_file` row and the audit entry, committed before
the file moves), and the entries that cannot move at all. A mixin of the ingest service, which
holds the claims, the settler and what was already reported."""
from __future__ import annotations

import os

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from server import audit, db
from server.ingest.inbox import PROCESSED, REJECTED, Entry, display_name, local_day
from server.ingest.models import IngestedFile
from server.ingest.targets import Rejected
from server.models import Category, RoleGrant, Unit, User, utcnow

INGEST_USER = "_ingest"
REASON = ".reason.txt"


def ingest_user(s, unit: Unit) -> User:
    """The system account drafts are made by: never active (cannot log in), only `contributor`
    in the units it ingests for, so it can never review or approve; the audit log names it `_ingest`."""
    from server.auth import hash_password
    user = s.scalar(select(User).where(User.username == INGEST_USER))
    if user is None:
        user = User(username=INGEST_USER, display_name="自动导入（收件箱）", active=False,
                    password_hash=hash_password(os.urandom(32).hex()))
        s.add(user)
        s.flush()
        audit.record(s, "system", "user.create", f"user:{INGEST_USER}", None, {"system": True})
    if not any(g.unit_id == unit.id and g.role == "contributor" for g in user.grants):
        user.grants.append(RoleGrant(unit_id=unit.id, role="contributor"))
        s.flush()
    return user


def place(s, parts: tuple[str, ...], codes: set[str]) -> tuple[Unit, Category]:
    """The unit and category a file's folder names; Rejected says what is wrong with the place."""
    first = s.scalar(select(Unit).order_by(Unit.id).limit(1))
    if first is None:
        raise Rejected("尚未建立任何单位，请先运行 python -m server init")
    where = "文件须放在栏目文件夹内：inbox/<栏目代码>/ 或 inbox/<单位代码>/<栏目代码>/"
    if not parts or (parts[0] in codes and len(parts) == 1):
        raise Rejected(where)
    if parts[0] in codes:
        unit, slug, deeper = s.scalar(select(Unit).where(Unit.code == parts[0])), parts[1], parts[2:]
    else:
        unit, slug, deeper = first, parts[0], parts[1:]
    cat = s.scalar(select(Category).where(Category.unit_id == unit.id, Category.key == slug))
    if cat is None and parts[0] not in codes and deeper:
        known = "、".join(sorted(codes))
        raise Rejected(f"文件夹「{parts[0]}」既不是单位代码，也不是栏目代码（本系统的单位：{known}）；"
                       "请放在 inbox/<单位代码>/<栏目代码>/ 中")
    if cat is None:
        raise Rejected(f"未知的公开目录栏目「{slug}」（单位 {unit.code}），请检查文件夹名称")
    if deeper:
        raise Rejected(f"子文件夹中的文件不会导入：请直接放在栏目文件夹 {'/'.join(parts[:len(parts) - len(deeper)])}/ 中")
    return unit, cat


class Filing:
    """Filing an entry away with its reason (mixed into server.ingest.process.IngestService)."""

    def _turn_away(self, inbox, entry: Entry, reason: str, unit: Unit | None = None, cat: Category | None = None):
        """Move an entry that will not be read to rejected/ with its reason (a link as a link)."""
        row = new_row(entry, unit, cat, None)
        try:
            claimed = self.claims.claim(inbox, entry.parts, entry.name)
        except OSError as exc:
            return self._stuck(inbox, entry, row, reason, exc)
        if claimed is None:
            return None
        try:
            return self._file_away(inbox, entry, claimed, row, [reason])
        except BaseException:
            self._give_back(inbox, claimed, entry)
            raise

    def _give_back(self, inbox, claimed, entry: Entry) -> None:
        """After a failure, the claimed file goes back where it was dropped, if it is still claimed."""
        if inbox.lstat(*claimed) is None:
            return
        try:
            self.claims.put_back(inbox, claimed, entry.parts, entry.name)
        except OSError:
            self.app.logger.exception("cannot put %s back; it waits in %s", entry.rel, "/".join(claimed[0]))
        self.settler.forget(entry)

    def _file_away(self, inbox, entry: Entry, claimed, row: IngestedFile, lines: list[str]):
        folder = REJECTED if row.outcome == "rejected" else PROCESSED
        dest = (folder, local_day(self.cfg["TIMEZONE_OFFSET_HOURS"])) + entry.parts
        with inbox.folder(dest, create=True, repair=True) as fd:
            final = inbox.free_name(fd, entry.name, reserve=len(REASON))
        if final != entry.name:
            lines = lines + [f"原文件名：{display_name(entry.name)}"]
        try:
            self._record(row, lines, "/".join(dest + (display_name(final),)))
        except DBAPIError:
            db.session().rollback()
            self.claims.put_back(inbox, claimed, entry.parts, entry.name)
            raise
        got = inbox.move(*claimed, dest, final, reserve=len(REASON))
        inbox.write_text(dest, got + REASON, "\n".join(lines))
        inbox.remove_empty(claimed[0])
        self.settler.forget(entry)
        return row

    def _stuck(self, inbox, entry: Entry, row: IngestedFile, reason: str, exc: OSError):
        """A file that cannot be moved stays; its reason goes to rejected/ once a day."""
        day = local_day(self.cfg["TIMEZONE_OFFSET_HOURS"])
        dest = (REJECTED, day) + entry.parts
        mark = (day, entry.key, entry.shape)
        if mark in self.reported or inbox.lstat(dest, entry.name + REASON) is not None:
            self.reported.add(mark)
            return None
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        lines = [reason, f"此文件无法移出收件箱（{why}：可能在另一个文件系统、属于其他用户或为只读），"
                         "它留在原处，未导入；请检查该文件夹的权限或挂载，或把文件复制到普通的栏目文件夹"]
        self.reported.add(mark)
        try:   # the reason file is the once-a-day mark, for every process at once
            inbox.write_text(dest, entry.name + REASON, "\n".join(lines), exclusive=True)
        except FileExistsError:
            return None
        self._record(row, lines, "")
        return row

    def _folder_problem(self, inbox, parts: tuple[str, ...], why: str) -> None:
        """A folder that cannot be listed: its files are invisible, so the folder gets the reason."""
        day = local_day(self.cfg["TIMEZONE_OFFSET_HOURS"])
        dest = (REJECTED, day) + parts[:-1]
        mark = (day, parts)
        if mark in self.reported or inbox.lstat(dest, parts[-1] + REASON) is not None:
            self.reported.add(mark)
            return
        self.app.logger.warning("cannot list inbox folder %s: %s", "/".join(parts), why)
        try:
            inbox.write_text(dest, parts[-1] + REASON, f"无法读取文件夹「{'/'.join(parts)}」（{why}），其中的文件未导入；"
                                                       "请检查该文件夹的权限", exclusive=True)
        except FileExistsError:
            pass
        except OSError:
            self.app.logger.exception("cannot write the reason for %s", "/".join(parts))
        self.reported.add(mark)

    def _record(self, row: IngestedFile, lines: list[str], moved_to: str) -> None:
        """The row and its audit entry, committed before the file moves (if we die in between,
        the file comes back and is found identical to what it made: a duplicate)."""
        s = db.session()
        row.reason, row.moved_to, row.at = "\n".join(lines), moved_to[:500], utcnow()
        s.add(row)
        s.flush()
        audit.record(s, INGEST_USER, f"ingest.{row.outcome}", f"ingest:{row.id}", None,
                     {"file": row.filename, "folder": row.category_key, "sha256": row.sha256, "size": row.size,
                      "item": row.item_id, "revision": row.revision_number, "reason": row.reason})
        s.commit()
        s.expunge(row)


def new_row(entry: Entry, unit: Unit | None, cat: Category | None, sha: str | None) -> IngestedFile:
    return IngestedFile(unit_id=unit.id if unit else None, category_key=(cat.key if cat else "/".join(entry.parts))[:64],
                        filename=display_name(entry.name)[:255], size=entry.st.st_size, sha256=sha,
                        outcome="rejected")
