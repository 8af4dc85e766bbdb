"""`klein-search service install|uninstall|status`: the systemd user unit and the launchd agent, by content."""

import plistlib
import shlex
import sys

from klein_app.cli import main
from klein_app.server import units


def test_systemd_unit(tmp_path):
    plan = units.plan(str(tmp_path / "db"), platform="linux", home=tmp_path)
    assert plan.path == tmp_path / ".config/systemd/user/klein-search.service"
    lines = plan.content.splitlines()
    exec_start = next(line for line in lines if line.startswith("ExecStart="))
    argv = shlex.split(exec_start.removeprefix("ExecStart="))
    assert argv == [sys.executable, "-m", "klein_app.cli", "--db", str((tmp_path / "db").resolve()), "serve", "--quiet"]
    assert "[Install]" in lines and "WantedBy=default.target" in lines
    assert "Restart=on-failure" in lines and "Type=simple" in lines
    assert ["systemctl", "--user", "enable", "--now", "klein-search.service"] in plan.enable


def test_launchd_agent(tmp_path):
    plan = units.plan(None, platform="darwin", home=tmp_path)
    assert plan.path == tmp_path / "Library/LaunchAgents/org.klein-search.serve.plist"
    agent = plistlib.loads(plan.content.encode())
    assert agent["Label"] == "org.klein-search.serve"
    assert agent["ProgramArguments"] == [sys.executable, "-m", "klein_app.cli", "serve", "--quiet"]
    assert agent["RunAtLoad"] is True and agent["KeepAlive"] == {"SuccessfulExit": False}
    assert plan.enable == [["launchctl", "load", "-w", str(plan.path)]]


def test_paths_with_spaces_stay_one_argument(tmp_path):
    db = tmp_path / "my index"
    unit = units.systemd_unit(units.serve_command(str(db)))
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert str(db.resolve()) in shlex.split(exec_start.removeprefix("ExecStart="))
    agent = plistlib.loads(units.launchd_plist(units.serve_command("a&b<c"), tmp_path).encode())
    assert str((tmp_path.cwd() / "a&b<c").resolve()) in agent["ProgramArguments"]


def test_install_status_uninstall(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "linux")
    db = str(tmp_path / "db")
    assert main(["--db", db, "service", "install", "--no-start", "--json"]) == 0
    unit = tmp_path / ".config/systemd/user/klein-search.service"
    assert unit.is_file() and "serve --quiet" in unit.read_text()
    capsys.readouterr()
    assert main(["--db", db, "service", "status"]) == 0
    assert "systemd installed" in capsys.readouterr().out
    assert main(["--db", db, "service", "uninstall", "--no-start"]) == 0
    assert not unit.exists() and "removed" in capsys.readouterr().out
    assert main(["--db", db, "service", "uninstall", "--no-start"]) == 0
    assert "not installed" in capsys.readouterr().out
