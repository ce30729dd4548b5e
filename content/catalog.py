"""公开目录: the catalog of disclosure categories — loading, validation and the tree queries.

The shipped default lives in `default_catalog.toml` beside this module; each unit gets a copy as
plain dicts (`Catalog.to_list`) that its admins edit and the server turns back into a `Catalog`
(`Catalog.from_list`). Every way in validates the whole catalog and reports all problems at once.

Rules beyond the field types:
- keys are ASCII slugs (`drug-prices`), unique; parents must exist and never form a cycle;
- a child's audiences are a subset of its parent's, so the top-level groups bound what their
  subtrees may reach (nothing under 院务公开·对内 can reach patients or the public);
- time rules are complete and carry no stray fields: `periodic` needs `period` and `due_day`,
  `immediate` needs `working_days` (the 公示 window), `standing` and `phased` take nothing else.
"""
from __future__ import annotations

import re
import tomllib
from importlib import resources
from os import PathLike
from typing import Iterable, Iterator

from content.model import EXTERNAL_AUDIENCES, Audience, Category, Period, TimeRule, TimeRuleKind

__all__ = ["Catalog", "CatalogError", "category_from_dict", "category_to_dict", "load_catalog",
           "time_rule_problems", "validate_category"]

DEFAULT_FILE = "default_catalog.toml"
KEY_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_KEY = 40
MAX_NAME = 50
MAX_NAME_EN = 100
MAX_OWNER = 50
MAX_DESCRIPTION = 300
MAX_DAYS = 365
REQUIRED = ("key", "name", "owner", "audiences", "time_rule")
OPTIONAL = ("parent", "name_en", "description", "sensitive", "disclosure_days")
RULE_FIELDS = {
    TimeRuleKind.STANDING: (),
    TimeRuleKind.PHASED: (),
    TimeRuleKind.PERIODIC: ("period", "due_day"),
    TimeRuleKind.IMMEDIATE: ("working_days",),
}


class CatalogError(ValueError):
    """The catalog is invalid; `problems` lists every problem found, in Chinese."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class Catalog:
    """An ordered, validated tree of categories (parents always come before their children)."""

    def __init__(self, categories: Iterable[Category]):
        categories = list(categories)
        problems = _tree_problems(categories)
        if problems:
            raise CatalogError(problems)
        self._by_key = {c.key: c for c in categories}
        self._children: dict[str | None, list[str]] = {}
        for c in categories:
            self._children.setdefault(c.parent, []).append(c.key)
        self._order = [self._by_key[k] for k in self._preorder(None)]

    def _preorder(self, key: str | None) -> Iterator[str]:
        for child in self._children.get(key, ()):
            yield child
            yield from self._preorder(child)

    def get(self, key: str) -> Category:
        """The category with this key; KeyError if there is none."""
        return self._by_key[key]

    def roots(self) -> list[Category]:
        return [self._by_key[k] for k in self._children.get(None, ())]

    def children(self, key: str) -> list[Category]:
        self.get(key)
        return [self._by_key[k] for k in self._children.get(key, ())]

    def descendants(self, key: str) -> list[Category]:
        """Every category below `key`, depth first."""
        self.get(key)
        return [self._by_key[k] for k in self._preorder(key)]

    def ancestors(self, key: str) -> list[Category]:
        """Parent first, root last; empty for a root."""
        out, parent = [], self.get(key).parent
        while parent is not None:
            out.append(self._by_key[parent])
            parent = self._by_key[parent].parent
        return out

    def public_categories(self) -> list[Category]:
        """Categories open by default to patients or the public (对外公开)."""
        return [c for c in self._order if c.audiences & EXTERNAL_AUDIENCES]

    def __iter__(self) -> Iterator[Category]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Catalog) and self._order == other._order

    def __repr__(self) -> str:
        return f"<Catalog of {len(self)} categories>"

    def to_list(self) -> list[dict]:
        """Plain dicts in catalog order, shaped like the TOML entries (JSON-safe)."""
        return [category_to_dict(c) for c in self._order]

    @classmethod
    def from_list(cls, data: list[dict]) -> "Catalog":
        """Build and validate a catalog from plain dicts; CatalogError lists every problem."""
        if not isinstance(data, list):
            raise CatalogError(["目录必须是分类的列表"])
        if not data:
            raise CatalogError(["目录为空：至少需要一个分类"])
        problems: list[str] = []
        categories: list[Category] = []
        for number, entry in enumerate(data, start=1):
            entry_problems = _entry_problems(entry, number)
            problems += entry_problems
            if not entry_problems:
                categories.append(category_from_dict(entry))
        problems += _tree_problems(categories, declared=_declared_keys(data))
        if problems:
            raise CatalogError(problems)
        return cls(categories)


def load_catalog(path: str | PathLike | None = None) -> Catalog:
    """Read and validate a catalog TOML file; the shipped default when `path` is None."""
    try:
        if path is None:
            raw = resources.files(__package__ or "content").joinpath(DEFAULT_FILE).read_bytes()
            where = DEFAULT_FILE
        else:
            with open(path, "rb") as fh:
                raw = fh.read()
            where = str(path)
    except OSError as exc:
        raise CatalogError([f"无法读取目录文件 {path or DEFAULT_FILE}：{exc}"]) from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CatalogError([f"目录文件 {where} 不是 UTF-8 编码"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError([f"目录文件 {where} 不是有效的 TOML：{exc}"]) from None
    extra = sorted(set(doc) - {"category"})
    if extra:
        raise CatalogError([f"目录文件 {where}：未知的顶层字段 {', '.join(extra)}"])
    return Catalog.from_list(doc.get("category", []))


def validate_category(data: dict, catalog: Catalog | None = None) -> list[str]:
    """Problems with one edited entry (empty list if fine).

    With `catalog`, also checks its place in that catalog as if the entry replaced (or was added
    to) it: the parent exists, no cycle, audiences within the parent's and its children's within it.
    """
    problems = _entry_problems(data, None)
    if problems or catalog is None:
        return problems
    category = category_from_dict(data)
    others = [category if c.key == category.key else c for c in catalog]
    if category.key not in catalog:
        others.append(category)
    return _tree_problems(others)


def category_to_dict(c: Category) -> dict:
    """One category as a plain dict; `parent` is left out for a root, as in the TOML."""
    d: dict = {"key": c.key, "name": c.name, "name_en": c.name_en}
    if c.parent is not None:
        d["parent"] = c.parent
    d.update(owner=c.owner, audiences=[a.value for a in Audience if a in c.audiences],
             time_rule=c.time_rule.to_dict(), description=c.description,
             sensitive=c.sensitive, disclosure_days=c.disclosure_days)
    return d


def category_from_dict(d: dict) -> Category:
    """Build a Category from an entry that `validate_category` accepted."""
    return Category(
        key=d["key"], name=d["name"].strip(), parent=d.get("parent"), owner=d["owner"].strip(),
        audiences=Audience.parse_many(d["audiences"]), time_rule=TimeRule.from_dict(d["time_rule"]),
        description=d.get("description", "").strip(), name_en=d.get("name_en", "").strip(),
        sensitive=d.get("sensitive", False), disclosure_days=d.get("disclosure_days", 20))


def _label(data, number: int | None) -> str:
    key = data.get("key") if isinstance(data, dict) else None
    if isinstance(key, str) and key:
        return f"分类 {key}"
    return f"第 {number} 条分类" if number is not None else "分类"


def _declared_keys(data: list) -> list[str]:
    return [d["key"] for d in data if isinstance(d, dict) and isinstance(d.get("key"), str)]


def _entry_problems(data, number: int | None) -> list[str]:
    """Field-level problems of one entry, each naming the entry."""
    label = _label(data, number)
    if not isinstance(data, dict):
        return [f"{label}：必须是键值表"]
    out = [f"{label}：缺少必填字段 {f}" for f in REQUIRED if f not in data]
    out += [f"{label}：未知字段 {f}" for f in data if f not in REQUIRED + OPTIONAL]
    key = data.get("key")
    if "key" in data and not (isinstance(key, str) and KEY_PATTERN.fullmatch(key)
                              and len(key) <= MAX_KEY):
        out.append(f"{label}：key {key!r} 必须是小写字母开头、由小写字母、数字和单个短横线组成"
                   f"的 ASCII 标识（如 drug-prices），最长 {MAX_KEY} 个字符")
    parent = data.get("parent")
    if parent is not None and not (isinstance(parent, str) and parent):
        out.append(f"{label}：上级分类必须是分类的 key（根分类请省略 parent）")
    out += _text_problems(data, label)
    if "audiences" in data:
        out += _audience_problems(data["audiences"], label)
    if "time_rule" in data:
        out += [f"{label}：{p}" for p in time_rule_problems(data["time_rule"])]
    if not isinstance(data.get("sensitive", False), bool):
        out.append(f"{label}：sensitive 必须是 true 或 false")
    days = data.get("disclosure_days", 20)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        out.append(f"{label}：disclosure_days 必须是 1–{MAX_DAYS} 之间的整数（工作日）")
    return out


def _text_problems(data: dict, label: str) -> list[str]:
    out = []
    for field, limit, required in (("name", MAX_NAME, True), ("owner", MAX_OWNER, True),
                                   ("name_en", MAX_NAME_EN, False),
                                   ("description", MAX_DESCRIPTION, False)):
        if field not in data:
            continue
        value = data[field]
        title = {"name": "名称", "owner": "责任部门"}.get(field, field)
        if not isinstance(value, str):
            out.append(f"{label}：{title}必须是文字")
        elif required and not value.strip():
            out.append(f"{label}：{title}不能为空")
        elif len(value.strip()) > limit:
            out.append(f"{label}：{title}超过 {limit} 个字符")
    return out


def _audience_problems(values, label: str) -> list[str]:
    if not isinstance(values, list) or not values:
        return [f"{label}：公开对象必须是非空列表（party、staff、patients、public）"]
    known = {a.value for a in Audience}
    bad = [v for v in values if not isinstance(v, str) or v not in known]
    out = [f"{label}：未知的公开对象 {v!r}（可选 party、staff、patients、public）" for v in bad]
    if not bad and len(set(values)) != len(values):
        out.append(f"{label}：公开对象有重复")
    return out


def time_rule_problems(rule) -> list[str]:
    """Problems with one time-rule dict (时限), in Chinese; empty if it is valid."""
    if not isinstance(rule, dict):
        return ['时限规则必须是表，如 { kind = "standing" }']
    kinds = "、".join(k.value for k in TimeRuleKind)
    if "kind" not in rule:
        return [f"时限规则：缺少 kind（可选 {kinds}）"]
    try:
        kind = TimeRuleKind(rule.get("kind"))
    except ValueError:
        return [f"时限规则：未知的时限类型 {rule.get('kind')!r}（可选 {kinds}）"]
    wanted = RULE_FIELDS[kind]
    out = [f"时限规则：{kind.value} 不应有字段 {f}" for f in rule
           if f != "kind" and f not in wanted and f in ("period", "due_day", "working_days")]
    out += [f"时限规则：未知字段 {f}" for f in rule
            if f not in ("kind", "period", "due_day", "working_days")]
    out += [f"时限规则：{kind.value} 缺少 {f}" for f in wanted if f not in rule]
    if "period" in wanted and "period" in rule and rule["period"] not in [p.value for p in Period]:
        out.append(f"时限规则：未知的周期 {rule['period']!r}（可选 month、quarter、year）")
    for field, low, high in (("due_day", 1, 28), ("working_days", 1, MAX_DAYS)):
        value = rule.get(field)
        if field in wanted and field in rule and (
                isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            out.append(f"时限规则：{field} 必须是 {low}–{high} 之间的整数")
    if not out:
        try:
            TimeRule.from_dict(rule)
        except ValueError as exc:
            out.append(f"时限规则无效：{exc}")
    return out


def _tree_problems(categories: list[Category], declared: list[str] | None = None) -> list[str]:
    """Whole-catalog problems: duplicate keys, unknown parents, cycles, audiences wider than the
    parent's. `declared` lists the keys of all entries, including those that failed their own
    checks: they still count for duplicates and are not reported again as missing parents."""
    out: list[str] = []
    by_key: dict[str, Category] = {}
    counts: dict[str, int] = {}
    for key in declared if declared is not None else [c.key for c in categories]:
        counts[key] = counts.get(key, 0) + 1
    for c in categories:
        by_key.setdefault(c.key, c)
    out += [f"分类 {k}：key 重复（出现 {n} 次）" for k, n in counts.items() if n > 1]
    known = set(counts) | set(by_key)
    for c in by_key.values():
        if c.parent is not None and c.parent not in known:
            out.append(f"分类 {c.key}：上级分类 {c.parent} 不存在")
    out += _cycle_problems(by_key)
    for c in by_key.values():
        parent = by_key.get(c.parent) if c.parent is not None else None
        wider = c.audiences - parent.audiences if parent is not None else set()
        if wider:
            names = "、".join(a.value for a in Audience if a in wider)
            out.append(f"分类 {c.key}：公开对象 {names} 超出上级分类 {parent.key} 的公开对象")
    if not known:
        out.append("目录为空：至少需要一个分类")
    return out


def _cycle_problems(by_key: dict[str, Category]) -> list[str]:
    out, done = [], set()
    for start in by_key:
        path: list[str] = []
        key: str | None = start
        while key is not None and key in by_key and key not in done and key not in path:
            path.append(key)
            key = by_key[key].parent
        if key in path:
            loop = path[path.index(key):]
            out.append(f"分类 {loop[0]}：上级分类形成循环（{' → '.join(loop + [loop[0]])}）")
        done.update(path)
    return out
