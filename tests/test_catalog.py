"""The 公开目录: the shipped default, the tree queries, the dict round trip and every validation rule."""
import copy
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import content.catalog as catalog_module
from content.catalog import (Catalog, CatalogError, load_catalog, time_rule_problems,
                             validate_category)
from content.model import EXTERNAL_AUDIENCES, Audience, Category, Period, TimeRule, TimeRuleKind

SEED_NAMES = ["资质信息", "管理制度", "医疗服务价格", "药品价格", "出诊信息", "便民措施", "行风建设",
                "投诉渠道", "重大决策", "运营管理", "人事管理", "党务信息", "职工关注事项", "领导干部重要事项"]
ROOT = Path(__file__).resolve().parents[1]
PARTY_NAMES = ["党组织决议决定", "思想建设", "党的组织管理", "党员发展", "党费收缴使用", "民主评议党员",
               "公开承诺", "领导班子建设", "干部选任和管理", "党风廉政建设", "联系和服务群众"]


@pytest.fixture(scope="module")
def default():
    return load_catalog()


def by_name(cat, name):
    found = [c for c in cat if c.name == name]
    assert len(found) == 1, name
    return found[0]


def entry(key, parent=None, audiences=("staff",), **extra):
    d = {"key": key, "name": f"分类{key}", "owner": "院办公室", "audiences": list(audiences),
         "time_rule": {"kind": "standing"}}
    if parent:
        d["parent"] = parent
    d.update(extra)
    return d


def small():
    return [entry("root", audiences=("staff", "public")), entry("child", "root"),
            entry("leaf", "child")]


# ── the shipped default ────────────────────────────────────────────────────────

def test_default_loads_and_has_a_sensible_size(default):
    assert 40 <= len(default) <= 70
    assert len({c.key for c in default}) == len(default)


def test_default_file_is_already_in_canonical_form(default):
    raw = tomllib.loads(Path(catalog_module.__file__).with_name("default_catalog.toml")
                        .read_text(encoding="utf-8"))["category"]
    assert raw == default.to_list()


def test_top_level_groups(default):
    assert [(c.key, c.name) for c in default.roots()] == [
        ("external", "院务公开·对外"), ("internal", "院务公开·对内"), ("party", "党务公开")]
    assert default.get("external").audiences >= EXTERNAL_AUDIENCES
    assert default.get("internal").audiences == {Audience.PARTY, Audience.STAFF}
    assert Audience.PARTY in default.get("party").audiences


@pytest.mark.parametrize("name", SEED_NAMES)
def test_design_categories_present(default, name):
    assert by_name(default, name)


@pytest.mark.parametrize("name", PARTY_NAMES)
def test_party_categories_under_party(default, name):
    assert "party" in [a.key for a in default.ancestors(by_name(default, name).key)]


@pytest.mark.parametrize("name, root", [("资质信息", "external"), ("投诉渠道", "external"),
                                        ("医疗服务价格", "external"), ("重大决策", "internal"),
                                        ("党务信息", "internal"), ("领导干部重要事项", "internal")])
def test_design_categories_in_their_group(default, name, root):
    assert default.ancestors(by_name(default, name).key)[-1].key == root


def test_medical_services_subcategories(default):
    names = [c.name for c in default.children("medical-services")]
    assert {"医疗服务价格", "药品价格", "出诊信息", "就医指南"} <= set(names)


def test_internal_categories_never_reach_patients_or_public(default):
    internal = default.descendants("internal") + [default.get("internal")]
    assert len(internal) > 20
    for c in internal:
        assert not c.audiences & EXTERNAL_AUDIENCES, c.key


def test_every_child_within_its_parent(default):
    for c in default:
        if c.parent:
            assert c.audiences <= default.get(c.parent).audiences, c.key


def test_time_rules_follow_the_seeds(default):
    assert by_name(default, "任前公示").time_rule == TimeRule(TimeRuleKind.IMMEDIATE, working_days=5)
    assert by_name(default, "重大决策").time_rule.kind is TimeRuleKind.PHASED
    assert by_name(default, "党费收缴使用").time_rule.kind is TimeRuleKind.PERIODIC
    operations = by_name(default, "运营管理").time_rule
    assert (operations.period, operations.due_day) == (Period.QUARTER, 10)
    assert by_name(default, "财务预决算").time_rule.period is Period.YEAR
    assert by_name(default, "公示公告").time_rule.kind is TimeRuleKind.IMMEDIATE
    for c in default:
        if c.time_rule.kind is TimeRuleKind.IMMEDIATE:
            assert c.time_rule.working_days >= 5, c.key


def test_sensitive_and_disclosure_days(default):
    for name in ["领导干部重要事项", "人事管理", "任前公示", "中层干部任免"]:
        assert by_name(default, name).sensitive, name
    assert not by_name(default, "医疗服务价格").sensitive
    for c in [default.get("qualifications")] + default.descendants("qualifications"):
        assert c.disclosure_days == 10, c.key
    assert by_name(default, "医疗服务价格").disclosure_days == 20


def test_every_category_is_described(default):
    for c in default:
        assert c.description and c.owner and c.name_en, c.key


# ── tree queries ───────────────────────────────────────────────────────────────

def test_tree_queries(default):
    assert default.get("prices").name == "医疗服务价格"
    assert [c.key for c in default.ancestors("prices")] == ["medical-services", "external"]
    assert default.ancestors("external") == []
    assert "prices" in [c.key for c in default.children("medical-services")]
    assert "prices" in default and "nope" not in default
    assert list(default)[0].key == "external"
    with pytest.raises(KeyError):
        default.get("nope")
    with pytest.raises(KeyError):
        default.children("nope")


def test_public_categories(default):
    keys = {c.key for c in default.public_categories()}
    assert {"prices", "drug-prices", "clinic-schedule", "patient-bill", "commitments"} <= keys
    assert not keys & {"personnel", "party-info", "party-dues", "internal"}


def test_parents_always_come_first():
    shuffled = [entry("leaf", "child"), entry("child", "root"),
                entry("root", audiences=("staff", "public")), entry("other")]
    cat = Catalog.from_list(shuffled)
    assert [c.key for c in cat] == ["root", "child", "leaf", "other"]
    assert [c.key for c in cat.roots()] == ["root", "other"]
    assert [c.key for c in cat.descendants("root")] == ["child", "leaf"]


# ── round trip ─────────────────────────────────────────────────────────────────

def test_round_trip_is_lossless(default):
    data = default.to_list()
    again = Catalog.from_list(json.loads(json.dumps(data, ensure_ascii=False)))
    assert again == default
    assert again.to_list() == data
    assert [c.key for c in again] == [c.key for c in default]


def test_to_list_entries_look_like_the_toml(default):
    root, prices = default.to_list()[0], next(d for d in default.to_list() if d["key"] == "prices")
    assert "parent" not in root
    assert prices["parent"] == "medical-services"
    assert prices["audiences"] == ["staff", "patients", "public"]
    assert prices["time_rule"] == {"kind": "standing"}
    assert set(prices) == {"key", "name", "name_en", "parent", "owner", "audiences", "time_rule",
                           "description", "sensitive", "disclosure_days"}


def test_optional_fields_take_defaults():
    cat = Catalog.from_list([entry("solo")])
    assert cat.get("solo") == Category("solo", "分类solo", None, "院办公室",
                                       frozenset({Audience.STAFF}), TimeRule())
    assert cat.to_list()[0]["disclosure_days"] == 20


# ── bad input ──────────────────────────────────────────────────────────────────

def _dup(d):
    d.append(entry("child", "root"))


def _missing_parent(d):
    d[2]["parent"] = "ghost"


def _cycle(d):
    d[0]["parent"] = "leaf"


def _self_parent(d):
    d[2]["parent"] = "leaf"


def _audience(d):
    d[1]["audiences"] = ["staff", "everyone"]


def _wider(d):
    d[2]["audiences"] = ["staff", "patients"]


def _empty_name(d):
    d[1]["name"] = "  "


def _long_name(d):
    d[1]["name"] = "长" * 51


def _missing(d):
    del d[1]["owner"]


def _unknown_field(d):
    d[1]["colour"] = "red"


def _bad_key(d):
    d.append(entry("Bad Key"))


def _bad_days(d):
    d[1]["disclosure_days"] = 0


def _bad_sensitive(d):
    d[1]["sensitive"] = "yes"


def _rule(rule):
    def mutate(d):
        d[1]["time_rule"] = rule
    return mutate


BAD = [
    ("duplicate key", _dup, "child", "重复"),
    ("missing parent", _missing_parent, "leaf", "上级分类 ghost 不存在"),
    ("cycle", _cycle, "root", "循环"),
    ("own parent", _self_parent, "leaf", "循环"),
    ("unknown audience", _audience, "child", "未知的公开对象 'everyone'"),
    ("audience wider than parent", _wider, "leaf", "超出上级分类 child"),
    ("empty name", _empty_name, "child", "名称不能为空"),
    ("long name", _long_name, "child", "超过 50 个字符"),
    ("missing field", _missing, "child", "缺少必填字段 owner"),
    ("unknown field", _unknown_field, "child", "未知字段 colour"),
    ("bad key", _bad_key, "Bad Key", "ASCII"),
    ("bad disclosure days", _bad_days, "child", "disclosure_days"),
    ("bad sensitive", _bad_sensitive, "child", "sensitive"),
    ("unknown rule kind", _rule({"kind": "weekly"}), "child", "未知的时限类型 'weekly'"),
    ("rule without kind", _rule({}), "child", "缺少 kind"),
    ("rule not a table", _rule("standing"), "child", "时限规则必须是表"),
    ("periodic without due day", _rule({"kind": "periodic", "period": "quarter"}), "child",
     "缺少 due_day"),
    ("unknown period", _rule({"kind": "periodic", "period": "week", "due_day": 1}), "child",
     "未知的周期"),
    ("due day out of range", _rule({"kind": "periodic", "period": "month", "due_day": 31}),
     "child", "due_day 必须是 1–28"),
    ("immediate without window", _rule({"kind": "immediate"}), "child", "缺少 working_days"),
    ("stray rule field", _rule({"kind": "standing", "working_days": 5}), "child",
     "不应有字段 working_days"),
]


@pytest.mark.parametrize("mutate, key, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_names_the_problem(mutate, key, message):
    data = small()
    mutate(data)
    with pytest.raises(CatalogError) as err:
        Catalog.from_list(data)
    assert any(message in p and key in p for p in err.value.problems), err.value.problems
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("mutate, key, message", [b[1:] for b in BAD[:6]], ids=[b[0] for b in BAD[:6]])
def test_bad_toml_file_content(tmp_path, mutate, key, message):
    data = small()
    mutate(data)
    path = tmp_path / "catalog.toml"
    path.write_text("\n".join(_toml(d) for d in data), encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    assert any(message in p and key in p for p in err.value.problems), err.value.problems


def _toml(d):
    def value(v):
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return json.dumps(v, ensure_ascii=False)
    return "[[category]]\n" + "".join(f"{k} = {value(v)}\n" for k, v in d.items())


def test_bad_toml_syntax(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('[[category]]\nkey = "a\nname = ', encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    assert "不是有效的 TOML" in str(err.value) and "broken.toml" in str(err.value)


def test_unreadable_and_empty_files(tmp_path):
    with pytest.raises(CatalogError, match="无法读取"):
        load_catalog(tmp_path / "absent.toml")
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    with pytest.raises(CatalogError, match="目录为空"):
        load_catalog(tmp_path / "empty.toml")
    (tmp_path / "extra.toml").write_text('title = "x"\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="未知的顶层字段 title"):
        load_catalog(tmp_path / "extra.toml")


def test_all_problems_are_reported_at_once():
    data = small()
    _dup(data)
    _audience(data)
    data[2]["name"] = ""
    with pytest.raises(CatalogError) as err:
        Catalog.from_list(data)
    assert len(err.value.problems) == 3
    assert str(err.value).count("\n") == 2


def test_invalid_parent_entry_does_not_cascade():
    data = small()
    data[0]["audiences"] = ["nobody"]
    with pytest.raises(CatalogError) as err:
        Catalog.from_list(data)
    assert len(err.value.problems) == 1 and "root" in err.value.problems[0]


def test_from_list_rejects_non_lists():
    for data in (None, {}, [], ["not a dict"]):
        with pytest.raises(CatalogError):
            Catalog.from_list(data)


def test_constructor_validates_too():
    a = Category("a", "甲", "b", "院办公室", frozenset({Audience.STAFF}), TimeRule())
    b = Category("b", "乙", "a", "院办公室", frozenset({Audience.STAFF}), TimeRule())
    with pytest.raises(CatalogError, match="循环"):
        Catalog([a, b])


def test_input_is_not_mutated(default):
    data = default.to_list()
    before = copy.deepcopy(data)
    Catalog.from_list(data)
    assert data == before


# ── validate_category (the admin editor) ───────────────────────────────────────

def test_validate_category_alone():
    assert validate_category(entry("new-one", "medical-services")) == []
    problems = validate_category({"key": "x", "name": "", "audiences": ["aliens"],
                                  "time_rule": {"kind": "periodic"}})
    assert any("缺少必填字段 owner" in p for p in problems)
    assert any("名称不能为空" in p for p in problems)
    assert any("未知的公开对象" in p for p in problems)
    assert any("缺少 period" in p for p in problems)
    assert all(p.startswith("分类 x") for p in problems)
    assert validate_category("nonsense") == ["分类：必须是键值表"]


def test_validate_category_in_a_catalog(default):
    assert validate_category(entry("new-one", "internal"), default) == []
    assert any("上级分类 ghost 不存在" in p
               for p in validate_category(entry("new-one", "ghost"), default))
    assert any("超出上级分类 internal" in p for p in validate_category(
        dict(default.to_list()[0], key="personnel-copy", parent="internal"), default))
    moved = dict(next(d for d in default.to_list() if d["key"] == "medical-services"),
                 parent="prices")
    assert any("循环" in p for p in validate_category(moved, default))
    narrowed = dict(next(d for d in default.to_list() if d["key"] == "external"),
                    audiences=["staff"])
    assert any("超出上级分类 external" in p for p in validate_category(narrowed, default))


def test_time_rule_problems_accepts_model_rules():
    for rule in (TimeRule(), TimeRule(TimeRuleKind.PHASED),
                 TimeRule(TimeRuleKind.PERIODIC, Period.MONTH, 1),
                 TimeRule(TimeRuleKind.IMMEDIATE, working_days=5)):
        assert time_rule_problems(rule.to_dict()) == []


def test_no_file_is_read_at_import():
    code = ("import builtins, importlib.resources as r\n"
            "def boom(*a, **k): raise SystemExit('read at import')\n"
            "r.files = boom\nbuiltins.open = boom\nimport content.catalog\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
