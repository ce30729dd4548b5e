"""The layout stays as docs/architecture.md describes it: who may import whom (every import statement
of every module, function-level ones included, read with ast), a short list of top-level server
modules, and documentation references that lead somewhere inside the repository."""
from __future__ import annotations

import ast
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("content", "screen", "kiosk", "signage", "server")
BLUEPRINTS = ("server.admin", "server.api", "server.devices", "server.public")
# Modules that may import a blueprint package: the blueprints themselves, the app factory that
# registers them, and the command line that starts the app.
BLUEPRINT_USERS = ("server/admin/", "server/api/", "server/devices/", "server/public/", "server/cli/",
                   "server/__init__.py")

CONTENT_MAY_NOT = ("flask", "werkzeug", "jinja2", "markupsafe", "kivy", "httpx", "requests", "http",
                   "urllib.request", "socket", "smtplib", "sqlalchemy", "alembic", "psycopg", "gunicorn",
                   "gevent", "server", "screen", "kiosk", "signage")
SCREEN_MAY_NOT = ("server", "kiosk", "signage")
SERVER_MAY_NOT = ("screen", "kiosk", "signage")  # the demo starts the screen apps as processes
MAX_TOP_LEVEL_SERVER_MODULES = 15

SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "build", "dist", "instance",
             ".hypothesis", ".pytest_cache", "artifacts", "screenshots"}
DOC_SUFFIXES = (".py", ".md", ".kv", ".html", ".sh", ".service", ".timer", ".toml", ".conf", ".cfg",
                ".ini", ".txt", ".yml", ".yaml", ".mako")
DOC_FILES = ("gongkai", ".ci/run")  # scripts without a suffix
OUTSIDE_DOCUMENTS = re.compile("DESIGN" + r"\.md|\bshared/seeds\b|\bseeds? ?0\d\d\b", re.I)


def _modules():
    """(path relative to ROOT, dotted module name) of every module of the product packages."""
    for package in PACKAGES:
        for folder, dirs, files in os.walk(os.path.join(ROOT, package)):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(files):
                if name.endswith(".py"):
                    rel = os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/")
                    dotted = rel[:-3].replace("/", ".")
                    yield rel, dotted[:-len(".__init__")] if dotted.endswith(".__init__") else dotted


def _imports(rel: str, module: str) -> list[tuple[int, str]]:
    """(line, imported name) for every import in the file, at any depth. `from a import b` yields
    both a and a.b (b may be a module), relative imports are resolved."""
    with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), rel)
    package = module if rel.endswith("__init__.py") else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            out.append((node.lineno, base))
            out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*"]
    return out


def _none(found, what: str) -> None:
    """Fail listing every offender, one per line."""
    assert not found, f"{what}:\n  " + "\n  ".join(found)


def _within(name: str, prefixes) -> str | None:
    return next((p for p in prefixes if name == p or name.startswith(p + ".")), None)


def _violations(paths: tuple[str, ...], forbidden) -> list[str]:
    found = []
    for rel, module in _modules():
        if rel.startswith(paths):
            for line, name in _imports(rel, module):
                if _within(name, forbidden):
                    found.append(f"{rel}:{line} imports {name}")
    return sorted(set(found))


def test_the_import_reader_sees_function_level_and_relative_imports(tmp_path, monkeypatch):
    pkg = tmp_path / "server" / "ingest"
    pkg.mkdir(parents=True)
    (pkg / "x.py").write_text("def f():\n    from server import admin\n    from ..api import tokens\n"
                              "    import server.public.views\n", encoding="utf-8")
    monkeypatch.setitem(globals(), "ROOT", str(tmp_path))
    names = [n for _, n in _imports("server/ingest/x.py", "server.ingest.x")]
    assert {"server.admin", "server.api.tokens", "server.public.views"} <= set(names)


def test_content_is_pure():
    _none(_violations(("content/",), CONTENT_MAY_NOT), "content/ must stay pure")


def _writes(rel: str) -> list[str]:
    """Calls in the file that write to the file system: open() in a writing mode, os.* and shutil.*
    file operations, Path.write_text / write_bytes, tempfile."""
    with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), rel)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
        owner = fn.value.id if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) else ""
        if name == "open":
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), None)
            reading = mode is None or (isinstance(mode, ast.Constant) and isinstance(mode.value, str)
                                       and not set(mode.value) & set("wax+"))
            if not reading:
                found.append(f"{rel}:{node.lineno} open()")
        elif name in ("write_text", "write_bytes") or owner in ("shutil", "tempfile") or (
                owner == "os" and name in OS_WRITES):
            found.append(f"{rel}:{node.lineno} {owner + '.' if owner else ''}{name}()")
    return found


OS_WRITES = {"makedirs", "mkdir", "remove", "unlink", "rename", "replace", "rmdir", "removedirs",
             "symlink", "link", "chmod", "truncate", "write", "open"}


def test_content_writes_no_files():
    _none([w for rel, _ in _modules() if rel.startswith("content/") for w in _writes(rel)],
          "content/ writes no files")


def test_screen_runtime_knows_no_server_and_no_app():
    _none(_violations(("screen/",), SCREEN_MAY_NOT), "screen/ imports neither server nor an app")


def test_server_runs_no_screen_code():
    _none(_violations(("server/",), SERVER_MAY_NOT), "server/ imports none of screen/, kiosk/, signage/")


def test_kiosk_and_signage_stand_side_by_side():
    _none(_violations(("kiosk/",), ("signage",)) + _violations(("signage/",), ("kiosk",)),
          "kiosk/ and signage/ never import each other")


def _blueprint_imports() -> set[tuple[str, str, int]]:
    found = set()
    for rel, module in _modules():
        if rel.startswith("server/") and not rel.startswith(BLUEPRINT_USERS):
            for line, name in _imports(rel, module):
                if _within(name, BLUEPRINTS):
                    found.add((rel, name, line))
    return found


def test_no_service_module_imports_a_blueprint():
    found = sorted(f"{rel}:{line} imports {name}" for rel, name, line in _blueprint_imports())
    _none(found, "service modules must not import server/admin|api|devices|public")


def test_few_top_level_server_modules():
    top = sorted(n for n in os.listdir(os.path.join(ROOT, "server")) if n.endswith(".py"))
    assert len(top) <= MAX_TOP_LEVEL_SERVER_MODULES, top


def _documents():
    """Text files of the repository that may mention a document: (relative path, text)."""
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
            if name.endswith(DOC_SUFFIXES) or rel in DOC_FILES:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    yield rel, fh.read()


MD_PATH = re.compile(r"(?<![\w./-])((?:\.{1,2}/|/)?(?:[\w.-]+/)*[\w-][\w.-]*\.md)\b")
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.I)


def test_every_markdown_path_mentioned_exists_in_the_repository():
    missing = []
    for rel, body in _documents():
        here = os.path.dirname(os.path.join(ROOT, rel))
        for n, line in enumerate(body.splitlines(), 1):
            for path in MD_PATH.findall(URL.sub(" ", line)):
                candidates = [os.path.normpath(os.path.join(base, path.lstrip("/"))) for base in (ROOT, here)]
                if not any(c.startswith(ROOT + os.sep) and os.path.isfile(c) for c in candidates):
                    missing.append(f"{rel}:{n} {path}")
    _none(missing, "Markdown files mentioned but not in the repository")


def test_no_document_outside_the_project_is_cited():
    cited = [f"{rel}:{n} {m.group(0)}" for rel, body in _documents()
             for n, line in enumerate(body.splitlines(), 1) for m in OUTSIDE_DOCUMENTS.finditer(line)]
    _none(cited, "documents outside the project are cited")


def test_the_architecture_page_names_real_modules():
    """Every `path/to/module.py` the architecture page names exists."""
    with open(os.path.join(ROOT, "docs/architecture.md"), encoding="utf-8") as fh:
        page = fh.read()
    named = set(re.findall(r"`((?:content|screen|kiosk|signage|server)/[\w/]*\.(?:py|kv))", page))
    assert named, "the page names no modules?"
    _none(sorted(p for p in named if not os.path.isfile(os.path.join(ROOT, p))),
          "docs/architecture.md names modules that do not exist")
