"""`klein-search service install|uninstall|status`: start the service at login.

Linux: a systemd user unit (~/.config/systemd/user/klein-search.service), enabled and started with
`systemctl --user enable --now` when systemctl exists. macOS: a launchd agent
(~/Library/LaunchAgents/org.klein-search.serve.plist), loaded with `launchctl load -w`. Both run
`<this python> -m klein_app.cli [--db DIR] serve`, so the unit uses the install it was written from.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

UNIT_NAME = "klein-search.service"
AGENT_LABEL = "org.klein-search.serve"


@dataclass(frozen=True)
class UnitPlan:
    kind: str  # "systemd" | "launchd"
    path: Path
    content: str
    enable: list[list[str]]  # commands that load and start it
    disable: list[list[str]]  # commands that stop and unload it


def serve_command(db: str | None) -> list[str]:
    argv = [sys.executable, "-m", "klein_app.cli"]
    if db:
        argv += ["--db", str(Path(db).expanduser().resolve())]
    return argv + ["serve", "--quiet"]


def systemd_unit(command: list[str]) -> str:
    exec_start = " ".join(shlex.quote(a) for a in command)
    return (
        "[Unit]\n"
        "Description=klein-search: local semantic search service (index, watcher, HTTP API on a unix socket)\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"ExecStart={exec_start}\n"
        "Restart=on-failure\n"
        "RestartSec=5\n"
        "Nice=10\n"
        "# the runtime folder holds the socket and the token; systemd sets XDG_RUNTIME_DIR for user units\n"
        "Environment=PYTHONUNBUFFERED=1\n"
        "\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def launchd_plist(command: list[str], log_dir: Path) -> str:
    args = "\n".join(f"        <string>{escape(a)}</string>" for a in command)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0">\n'
        "<dict>\n"
        f"    <key>Label</key>\n    <string>{AGENT_LABEL}</string>\n"
        f"    <key>ProgramArguments</key>\n    <array>\n{args}\n    </array>\n"
        "    <key>RunAtLoad</key>\n    <true/>\n"
        "    <key>KeepAlive</key>\n    <dict>\n        <key>SuccessfulExit</key>\n        <false/>\n    </dict>\n"
        "    <key>ProcessType</key>\n    <string>Background</string>\n"
        f"    <key>StandardErrorPath</key>\n    <string>{escape(str(log_dir / 'klein-search-serve.log'))}</string>\n"
        "</dict>\n"
        "</plist>\n"
    )


def plan(db: str | None, *, platform: str | None = None, home: Path | None = None) -> UnitPlan:
    platform = platform or sys.platform
    home = home or Path.home()
    command = serve_command(db)
    if platform == "darwin":
        path = home / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
        content = launchd_plist(command, home / "Library" / "Logs")
        return UnitPlan(
            "launchd",
            path,
            content,
            enable=[["launchctl", "load", "-w", str(path)]],
            disable=[["launchctl", "unload", "-w", str(path)]],
        )
    if platform.startswith("linux"):
        path = home / ".config" / "systemd" / "user" / UNIT_NAME
        return UnitPlan(
            "systemd",
            path,
            systemd_unit(command),
            enable=[["systemctl", "--user", "daemon-reload"], ["systemctl", "--user", "enable", "--now", UNIT_NAME]],
            disable=[["systemctl", "--user", "disable", "--now", UNIT_NAME], ["systemctl", "--user", "daemon-reload"]],
        )
    raise OSError(f"no login service support on {platform}: run `klein-search serve` from your session instead")


def _run_all(commands: list[list[str]]) -> list[dict]:
    """Run each command whose program exists; report what happened (never raise for a failed one)."""
    done = []
    for argv in commands:
        if shutil.which(argv[0]) is None:
            done.append({"command": argv, "ran": False, "reason": f"{argv[0]} not found"})
            continue
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        done.append(
            {
                "command": argv,
                "ran": True,
                "returncode": proc.returncode,
                "output": (proc.stderr or proc.stdout).strip(),
            }
        )
    return done


def install(p: UnitPlan, *, start: bool = True) -> dict:
    p.path.parent.mkdir(parents=True, exist_ok=True)
    p.path.write_text(p.content, encoding="utf-8")
    return {"kind": p.kind, "path": str(p.path), "installed": True, "commands": _run_all(p.enable) if start else []}


def uninstall(p: UnitPlan, *, stop: bool = True) -> dict:
    existed = p.path.exists()
    commands = _run_all(p.disable) if stop and existed else []
    p.path.unlink(missing_ok=True)
    return {"kind": p.kind, "path": str(p.path), "removed": existed, "commands": commands}


def status(p: UnitPlan) -> dict:
    out = {"kind": p.kind, "path": str(p.path), "installed": p.path.exists()}
    if p.kind == "systemd" and shutil.which("systemctl"):
        proc = subprocess.run(
            ["systemctl", "--user", "is-active", UNIT_NAME], capture_output=True, text=True, check=False
        )
        out["active"] = proc.stdout.strip() or proc.stderr.strip()
    return out
