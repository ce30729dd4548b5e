"""Settings: an unknown name in the instance's config.py or in a GONGKAI_* variable stops the server
with a message naming it; known settings, Flask's own and the other programs' variables pass."""
import pytest

from server import create_app
from server.cli.parser import main
from server.config import UnknownSetting


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    import os
    for name in list(os.environ):
        if name.startswith("GONGKAI_"):
            monkeypatch.delenv(name)


def write_config(folder, text):
    folder.mkdir(exist_ok=True)
    (folder / "config.py").write_text(text, encoding="utf-8")


def test_a_typo_in_config_py_stops_the_server_and_names_it(tmp_path, capsys):
    write_config(tmp_path / "inst", "FEEDBACK_DAYS = 3\nPUBLIC_BASEURL = 'https://gk.example'\n")
    with pytest.raises(UnknownSetting, match="PUBLIC_BASEURL"):
        create_app(instance_path=str(tmp_path / "inst"))
    assert main(["init", "--instance", str(tmp_path / "inst")]) == 2
    err = capsys.readouterr().err
    assert "PUBLIC_BASEURL (config.py)" in err and "Traceback" not in err
    assert not (tmp_path / "inst" / "gongkai.db").exists()


def test_an_unknown_gongkai_variable_stops_the_server(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GONGKAI_FEEDBACK_DAY", "3")
    assert main(["init", "--instance", str(tmp_path / "inst")]) == 2
    assert "GONGKAI_FEEDBACK_DAY (environment)" in capsys.readouterr().err


def test_known_names_pass(tmp_path, monkeypatch):
    write_config(tmp_path / "inst", "FEEDBACK_DAYS = 3\nSESSION_COOKIE_SECURE = True\nhelper = 1\n")
    monkeypatch.setenv("GONGKAI_PUBLIC_BASE_URL", "https://gk.example")
    monkeypatch.setenv("GONGKAI_CJK_FONT", "/usr/share/fonts/x.ttc")
    app = create_app(instance_path=str(tmp_path / "inst"))
    assert app.config["FEEDBACK_DAYS"] == 3 and app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PUBLIC_BASE_URL"] == "https://gk.example"


@pytest.mark.parametrize("value", ["2027-13", "2027-1", "27-01", "2027/01", "下个月"])
def test_a_month_setting_of_the_wrong_shape_stops_the_server(tmp_path, monkeypatch, capsys, value):
    monkeypatch.setenv("GONGKAI_REPORT_FIRST_MONTH", value)
    with pytest.raises(UnknownSetting, match="REPORT_FIRST_MONTH"):
        create_app(instance_path=str(tmp_path / "inst"))
    assert main(["init", "--instance", str(tmp_path / "inst")]) == 2
    err = capsys.readouterr().err
    assert "REPORT_FIRST_MONTH" in err and "YYYY-MM" in err and "Traceback" not in err


def test_a_month_setting_of_the_right_shape_passes(tmp_path, monkeypatch):
    monkeypatch.setenv("GONGKAI_REPORT_FIRST_MONTH", "2027-02")
    assert create_app(instance_path=str(tmp_path / "inst")).config["REPORT_FIRST_MONTH"] == "2027-02"
