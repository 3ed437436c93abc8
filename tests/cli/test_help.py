"""Every command explains itself: --help works for each and names what it does."""

import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).with_name("remission"))
COMMANDS = [
    [], ["validate"], ["import"], ["list"], ["show"], ["history"], ["export"], ["summary"],
    ["schema"], ["demo"], ["grade"], ["kinetics"], ["kinetics", "nca"], ["kinetics", "fit"],
    ["kinetics", "simulate"], ["kinetics", "blinatumomab"], ["report"], ["synth"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "remission")
def test_help_is_shown(command):
    proc = subprocess.run([EXE, *command, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout and "Traceback" not in proc.stderr


def test_the_command_list_names_every_command():
    out = subprocess.run([EXE, "--help"], capture_output=True, text=True, timeout=60).stdout
    for name in ("validate", "import", "list", "show", "history", "export", "summary", "schema",
                 "demo", "grade", "kinetics", "report", "synth"):
        assert name in out
