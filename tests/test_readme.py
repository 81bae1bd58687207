"""The README's promises: two set-up commands, and a library example that runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_names_exactly_the_two_setup_commands() -> None:
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"```sh\n(.*?)```", setup, re.S)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci.splitlines()[-1]


def test_library_example_runs_and_recovers_the_customer_curve() -> None:
    code = re.findall(r"```python\n(.*?)```", README, re.S)[0]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    fifty = float(re.search(r"50 % at ([\d.]+) years", out.stdout).group(1))  # type: ignore[union-attr]
    assert 38 <= fifty <= 46
    auc = float(re.search(r"AUC ([\d.]+)", out.stdout).group(1))  # type: ignore[union-attr]
    assert auc > 0.95
