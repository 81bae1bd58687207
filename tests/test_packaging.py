"""Installing and hosting: the CPUs the defaults follow, session ids that name a replica, the
HAProxy configuration and compose file in deploy/, the offline docs, the refusals that name
their setting, the command's help, and what the wheel carries."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from app.__main__ import main
from app.cpus import affinity_cpus, cgroup_cpu_limit, usable_cpus
from app.ids import new_session_id
from app.main import create_app
from app.settings import SESSIONS_PER_CORE, USABLE_CPUS, Settings
from bench.cluster import HAPROXY, self_signed_pem
from deploy.haproxy import config
from deploy.haproxy import main as haproxy_main

ROOT = Path(__file__).resolve().parents[1]


# --- the CPUs a process may use ---------------------------------------------------------------


def cgroup_v2(tmp_path: Path, cpu_max: dict[str, str]) -> tuple[Path, Path]:
    """A fake cgroup v2 tree: this process in /a/b; ``cpu_max`` per folder."""
    proc = tmp_path / "cgroup"
    proc.write_text("0::/a/b\n")
    root = tmp_path / "fs"
    (root / "a" / "b").mkdir(parents=True)
    for folder, text in cpu_max.items():
        (root / folder / "cpu.max").write_text(text + "\n")
    return root, proc


def test_cgroup_v2_quota_is_read_and_the_smallest_ancestor_wins(tmp_path: Path) -> None:
    root, proc = cgroup_v2(tmp_path, {"a/b": "max 100000", "a": "150000 100000"})
    assert cgroup_cpu_limit(root, proc) == 1.5
    assert usable_cpus(root, proc) == min(affinity_cpus(), 2)


def test_cgroup_v2_without_a_quota_leaves_the_affinity(tmp_path: Path) -> None:
    root, proc = cgroup_v2(tmp_path, {"a/b": "max 100000"})
    assert cgroup_cpu_limit(root, proc) is None
    assert usable_cpus(root, proc) == affinity_cpus()


def test_cgroup_v1_cfs_quota_is_read(tmp_path: Path) -> None:
    proc = tmp_path / "cgroup"
    proc.write_text("4:memory:/x\n2:cpu,cpuacct:/docker/abc\n")
    folder = tmp_path / "fs" / "cpu,cpuacct" / "docker" / "abc"
    folder.mkdir(parents=True)
    (folder / "cpu.cfs_quota_us").write_text("50000\n")
    (folder / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_limit(tmp_path / "fs", proc) == 0.5
    assert usable_cpus(tmp_path / "fs", proc) == 1


def test_unreadable_cgroups_leave_the_affinity(tmp_path: Path) -> None:
    assert cgroup_cpu_limit(tmp_path, tmp_path / "missing") is None
    assert usable_cpus(tmp_path, tmp_path / "missing") == affinity_cpus()


def test_defaults_follow_the_usable_cpus() -> None:
    assert USABLE_CPUS == usable_cpus()
    assert Settings().workers == min(USABLE_CPUS, 8)
    assert Settings().max_sessions == SESSIONS_PER_CORE * USABLE_CPUS


# --- session ids and replicas -----------------------------------------------------------------


def test_session_ids_name_their_replica() -> None:
    ids = {new_session_id("r2") for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"r2-[\w-]{16}", i) for i in ids)
    assert re.fullmatch(r"[\w-]{16}", new_session_id())


@pytest.mark.parametrize("name", ["R1", "r-1", "r 1", "a" * 17])
def test_replica_names_are_checked(name: str) -> None:
    with pytest.raises(ValueError, match="replica"):
        Settings.from_env({"NNP_REPLICA": name})


def test_a_replica_mints_its_ids_and_says_its_name() -> None:
    app = create_app(Settings(replica="r7", workers=0))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        sid = client.post("/api/sessions", json={"config": {}}).json()["id"]
        assert sid.startswith("r7-")
        assert client.get("/healthz").json() == {"status": "ok", "sessions": 1, "replica": "r7"}
        assert client.post(f"/api/sessions/{sid}/step", json={"epochs": 1}).status_code == 200


# --- deploy/ ----------------------------------------------------------------------------------


def test_the_committed_haproxy_configuration_is_the_generated_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    committed = (ROOT / "deploy" / "haproxy.cfg").read_text()
    args = re.search(r"`python -m deploy\.haproxy (.*)`", committed.splitlines()[0])
    assert args is not None
    assert haproxy_main(args.group(1).split()) == 0
    assert capsys.readouterr().out == committed


def test_haproxy_accepts_the_configuration(tmp_path: Path) -> None:
    cfg = tmp_path / "haproxy.cfg"
    pem = self_signed_pem(tmp_path)
    cfg.write_text(
        config([("r1", "127.0.0.1:1"), ("r2", "127.0.0.1:2")], "127.0.0.1:8080",
               "127.0.0.1:8443", str(pem))
    )  # fmt: skip
    result = subprocess.run([HAPROXY, "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_haproxy_routes_each_replicas_ids_to_it() -> None:
    text = config([("r1", "a:8000"), ("r12", "b:8000")])
    assert "use-server r1 if { urlp(session) -m beg r1- } || { path_beg /api/sessions/r1- }" in text
    assert "use-server r12 if { urlp(session) -m beg r12- }" in text
    assert "balance leastconn" in text and "uri /healthz" in text


@pytest.mark.parametrize(
    "replicas", [[], [("r1", "a:1"), ("r1", "b:1")], [("R1", "a:1")], [("r-1", "a:1")]]
)
def test_haproxy_configuration_refuses_bad_replicas(replicas: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError):
        config(replicas)


def test_compose_runs_the_proxy_and_three_replicas_of_the_dockerfile() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    replicas = {name: s for name, s in services.items() if name.startswith("replica")}
    assert len(replicas) == 3
    cfg = (ROOT / "deploy" / "haproxy.cfg").read_text()
    for name, service in replicas.items():
        build = service["build"]
        assert (ROOT / "deploy" / build["context"] / build["dockerfile"]).resolve() == (
            ROOT / "Dockerfile"
        )
        replica = service["environment"]["NNP_REPLICA"]
        assert f"server {replica} {name}:8000 " in cfg  # the name the proxy routes by
    proxy = services["proxy"]
    assert proxy["image"].startswith("haproxy:")
    source, target = proxy["volumes"][0].split(":")[:2]
    assert (ROOT / "deploy" / source).resolve() == ROOT / "deploy" / "haproxy.cfg"
    assert target == "/usr/local/etc/haproxy/haproxy.cfg"
    assert set(proxy["depends_on"]) == set(replicas)


# --- the app as served ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(workers=0)), base_url="http://127.0.0.1:8000") as c:
        yield c


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_load_their_files_from_this_app(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert "img-src 'self' data:" in r.headers["content-security-policy"]
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", r.text)
    assert urls and not [u for u in urls if "//" in u]  # relative, never another host
    for url in urls:
        assert client.get(f"/{url}").status_code == 200, url


def test_the_page_uses_relative_asset_urls(client: TestClient) -> None:
    html = client.get("/").text
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    assert "static/js/main.js" in assets and "vendor/plotly.min.js" in assets
    assert not [a for a in assets if a.startswith(("/", "http")) or "//" in a]
    for asset in assets:
        if not asset.startswith("data:"):
            assert client.get(f"/{asset}").status_code == 200, asset


def test_connection_check_names_the_origin_setting(client: TestClient) -> None:
    own = client.get("/connection-check", params={"origin": "http://127.0.0.1:8000"})
    assert own.json() == {"reason": ""}
    other = client.get("/connection-check", params={"origin": "http://localhost:8000"})
    assert "NNP_ALLOWED_ORIGINS" in other.json()["reason"]


def test_a_refused_host_names_the_host_setting(client: TestClient) -> None:
    r = client.get("/", headers={"host": "evil.example"})
    assert r.status_code == 400
    assert "NNP_ALLOWED_HOSTS" in r.text and "evil.example" in r.text


# --- the command and the wheel ----------------------------------------------------------------


def test_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "--forwarded-allow-ips" in out and "NNP_" in out
    assert "``" not in out and "`" not in out


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built offline with the venv's hatchling."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--wheel-dir", str(out), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("nn_playground-*.whl")
    return built


def test_the_wheel_carries_the_page_and_the_build_leaves_the_tree_clean(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("static", "templates"):
        files = {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file()}
        assert {f"app/{f}" for f in files} <= names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "deploy/"))]
    assert not (ROOT / "build").exists()
    assert not list(ROOT.glob("*.egg-info"))


def make_plan(target: str, tmp_path: Path) -> str:
    """What ``make -n TARGET`` would run for a fresh venv at ``tmp_path``."""
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "-n", "-C", str(ROOT), target, f"VENV={venv}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout


def test_make_run_installs_the_runtime_only_and_make_test_adds_the_tools(tmp_path: Path) -> None:
    run = make_plan("run", tmp_path)
    installs = [line for line in run.splitlines() if "pip install" in line and "-e" in line]
    assert installs and all("--constraint constraints.txt" in line for line in installs)
    assert not [line for line in installs if "[dev]" in line]
    test = make_plan("test", tmp_path)
    assert "--constraint constraints.txt -e '.[dev]'" in test
    assert "pytest" in test


def test_constraints_pin_every_dependency_of_both() -> None:
    pins = dict(
        re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", (ROOT / "constraints.txt").read_text(), re.M)
    )
    names = {re.sub(r"[-_.]+", "-", n).lower() for n in pins}
    for needed in ("fastapi", "uvicorn", "numpy", "jinja2", "plotly", "fastapi-offline",
                   "pytest", "playwright", "ruff", "mypy", "hatchling"):  # fmt: skip
        assert needed in names, needed
