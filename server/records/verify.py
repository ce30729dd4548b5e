"""verify-archive: extract an archive safely into a scratch folder, then check every file against the
manifest (SHA-256 and size, nothing missing, nothing extra) and re-verify the audit hash chain from
the archive alone."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from datetime import datetime

from server.records.archive import MANIFEST, UnsafeArchive, extract_archive
from server.audit import _digest
from server.records.backup import file_sha256


class NotAnArchive(Exception):
    """The file is missing or is not a zip at all."""


def verify_archive(zip_path: str, keep_in: str | None = None) -> tuple[list[str], dict]:
    """(problems, manifest); no problems means intact. With keep_in, the extracted files stay there."""
    if not os.path.isfile(zip_path):
        raise NotAnArchive(f"{zip_path}: no such file")
    if not zipfile.is_zipfile(zip_path):
        raise NotAnArchive(f"{zip_path} is not a zip file")
    work = keep_in or tempfile.mkdtemp(prefix="gongkai-verify-")
    try:
        try:
            extract_archive(zip_path, work)
        except UnsafeArchive as exc:
            return [f"unsafe entry refused: {p}" for p in exc.problems], {}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
            return [f"damaged zip: {exc}"], {}
        return check_folder(work)
    finally:
        if keep_in is None:
            shutil.rmtree(work, ignore_errors=True)


def check_folder(root: str) -> tuple[list[str], dict]:
    """Problems of an extracted archive in root, and its manifest."""
    try:
        with open(os.path.join(root, MANIFEST), encoding="utf-8") as fh:
            manifest = json.load(fh)
        files = {f["path"]: f for f in manifest["files"]}
    except FileNotFoundError:
        return [f"{MANIFEST} is missing"], {}
    except (ValueError, KeyError, TypeError):
        return [f"{MANIFEST} is not a valid manifest"], {}
    manifest["manifest_sha256"] = file_sha256(os.path.join(root, MANIFEST))
    problems = []
    present = set()
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            present.add(os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/"))
    present.discard(MANIFEST)
    for path in sorted(files.keys() - present):
        problems.append(f"{path}: missing (listed in the manifest)")
    for path in sorted(present - files.keys()):
        problems.append(f"{path}: not listed in the manifest")
    for path in sorted(files.keys() & present):
        full = os.path.join(root, path)
        if os.path.getsize(full) != files[path].get("size") or file_sha256(full) != files[path].get("sha256"):
            problems.append(f"{path}: SHA-256 does not match the manifest (changed)")
    if "audit.jsonl" in present:
        problems += check_chain(os.path.join(root, "audit.jsonl"), manifest.get("audit") or {})
    return problems, manifest


def check_chain(path: str, expected: dict) -> list[str]:
    """Re-walk the audit hash chain: each entry's hash recomputed, each linked to the one before,
    the first linked to the manifest's anchor and the last equal to its head."""
    problems, prev, count = [], expected.get("anchor"), 0
    last = prev
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            try:
                e = json.loads(line)
                at = datetime.fromisoformat(e["at"])
                digest = _digest(e["prev_hash"], at, e["actor"], e["action"], e["target"], e["before"], e["after"])
            except (ValueError, KeyError, TypeError):
                problems.append(f"audit.jsonl line {number}: not an audit entry")
                continue
            count += 1
            if e["prev_hash"] != prev:
                problems.append(f"audit entry {e.get('id')}: previous hash does not match the entry before it")
            if e["hash"] != digest:
                problems.append(f"audit entry {e.get('id')}: content does not match its hash")
            prev = last = e["hash"]
    if count != expected.get("count"):
        problems.append(f"audit chain: {count} entries, the manifest says {expected.get('count')}")
    if last != expected.get("head"):
        problems.append("audit chain: last hash differs from the manifest's head")
    return problems
