"""Running a Kivy UI test module in real windows: Kivy keeps one Window per process (and global
Clock, Builder rules, logging), so the module runs again in two child processes — portrait with
every test, landscape with the tests named *_both — each with a clean Kivy environment."""
from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = (("1080x1920", []), ("1920x1080", ["-k", "both"]))


def run_in_windows(test_file: str, env_for, tmp_path, timeout: float) -> None:
    """Run `test_file` in both orientations; `env_for(size)` gives each child's own variables.
    Fails with the tail of each failing child's output."""
    runs = []
    for size, select in SIZES:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIVY_") and k != "DISPLAY"}
        env.update(KIVY_HOME=str(tmp_path / size), KIVY_NO_ARGS="1", KIVY_NO_CONFIG="1",
                   KIVY_NO_FILELOG="1", KIVY_LOG_MODE="MIXED", **env_for(size))
        runs.append(subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xvfb",
             *select, os.path.abspath(test_file)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True))
    failures = []
    for run in runs:
        try:
            out, _ = run.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            run.kill()
            out, _ = run.communicate()
            failures.append(f"timed out after {timeout} s:\n{out[-8000:]}")
            continue
        if run.returncode != 0:
            failures.append(out[-8000:])
    assert not failures, "\n".join(failures)


# ---- helpers for the child processes (import only after the Kivy environment is prepared) ------
def walk(widget):
    """The widget and everything below it."""
    yield widget
    for child in widget.children:
        yield from walk(child)


def opaque(widget) -> bool:
    """Neither the widget nor any parent is fully transparent."""
    w = widget
    while w is not None and w is not w.parent:
        if getattr(w, "opacity", 1) == 0:
            return False
        w = w.parent
    return True


def save_screenshot(dest: str) -> None:
    """A PNG of exactly what the window shows, written to `dest`."""
    import shutil
    import tempfile
    from kivy.core.window import Window
    folder = tempfile.mkdtemp()
    path = Window.screenshot(name=os.path.join(folder, "shot.png"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.move(path, dest)
    shutil.rmtree(folder, ignore_errors=True)


def drawn_lines(label) -> list[str]:
    """The lines Kivy laid out for a label (visible text, markup gone)."""
    return ["".join(word.text for word in line.words) for line in label._label._cached_lines]


def line_break_problems(label) -> list[str]:
    """What is wrong with how a wrapping label's lines were broken, judged on what Kivy drew:
    a line starting with a closing mark or ending with an opening one, a digit/Latin run cut in
    two, a line ended early although the next line's first unit would have fitted (Kivy pushing
    "0571-12345678。本院…" to the next line as one block), or a wrapping label with Chinese text
    that is not a WrapLabel."""
    from screen.linebreak import CLOSING, JOINERS, OPENING, is_cjk, units
    from screen.wraplabel import SLACK, WrapButton, WrapLabel, measurer
    text = "".join(drawn_lines(label))
    if not any(is_cjk(c) for c in text) or not (label.text_size and label.text_size[0]) or label.shorten:
        return []  # not a flow that wraps (single lines cut with "…" are another matter)
    name = f"{type(label).__name__} {label.text[:30]!r}"
    if not isinstance(label, (WrapLabel, WrapButton)):
        return [f"{name}: wraps Chinese text but is not a WrapLabel"]
    problems, lines = [], drawn_lines(label)
    hard = _hard_breaks(label, lines)
    measure = measurer(label.font_name, label.font_size, label.bold, label.italic)
    room = label.wrap_width - SLACK
    for n, (a, b) in enumerate(zip(lines, lines[1:])):
        if n in hard or not a or not b:
            continue
        a, b = a.rstrip(" "), b.lstrip(" ")
        word = lambda c: (c.isalnum() or c == "_") and not is_cjk(c)  # noqa: E731
        if b[0] in CLOSING:
            problems.append(f"{name}: line starts with {b[0]!r}: {b[:12]!r}")
        if a[-1] in OPENING:
            problems.append(f"{name}: line ends with {a[-1]!r}: {a[-12:]!r}")
        if word(a[-1]) and (word(b[0]) or b[0] in JOINERS) or a[-1] in JOINERS and len(a) > 1 and word(a[-2]) \
                and word(b[0]):
            problems.append(f"{name}: a digit/Latin run is cut: {a[-8:]!r} | {b[:8]!r}")
        first = units(b)[0]
        if measure(a + first.raw, frozenset()) <= room * 0.97:  # 3 %: bold runs are measured regular here
            problems.append(f"{name}: line ended early, {first.raw!r} would have fitted: {a[-10:]!r} | {b[:10]!r}")
    return problems


def _hard_breaks(label, lines) -> set:
    """Indexes of drawn lines that end a paragraph of the label's own text (its "\\n"s)."""
    import re
    text = re.sub(r"\[/?[a-z]+(=[^\]]*)?\]", "", label.text) if label.markup else label.text
    for escape, char in (("&bl;", "["), ("&br;", "]"), ("&amp;", "&")):
        text = text.replace(escape, char)
    paragraphs = [p.replace(" ", "") for p in text.split("\n")]
    ends, index, consumed = set(), 0, ""
    for n, line in enumerate(lines):
        consumed += line.replace(" ", "")
        if index < len(paragraphs) and consumed == paragraphs[index]:
            ends.add(n)
            index, consumed = index + 1, ""
    return ends
