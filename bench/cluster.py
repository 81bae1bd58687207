"""Replicas of the server behind a real HAProxy, all on loopback: ``Cluster(3)`` starts three
``nn-playground`` processes (``NNP_REPLICA=r1..r3``) on free ports and HAProxy (the Debian
package's ``/usr/sbin/haproxy``) in front of them, configured by ``deploy.haproxy``. Used by
the replica tests and ``python -m bench proxy``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import httpx

from app.serving import free_port
from deploy.haproxy import config

HAPROXY = "/usr/sbin/haproxy"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
START_SECONDS = 60.0


def wait_until(ok: object, seconds: float, what: str) -> None:
    """Call ``ok()`` every 50 ms until it is true; RuntimeError naming ``what`` after
    ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ok():  # type: ignore[operator]
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} after {seconds:.0f} s")


def self_signed_pem(folder: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 and localhost, with its key, in one PEM file."""
    key, cert, pem = folder / "key.pem", folder / "cert.pem", folder / "proxy.pem"
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    pem.write_bytes(cert.read_bytes() + key.read_bytes())
    return pem


class Cluster:
    """``n`` replicas and HAProxy. ``env``: extra NNP_* settings for every replica; ``tls``:
    HAProxy also serves HTTPS (self-signed) at ``https_url``."""

    def __init__(self, n: int = 3, env: dict[str, str] | None = None, tls: bool = False) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="nnp-cluster-"))
        self.names = [f"r{k}" for k in range(1, n + 1)]
        self.ports = {name: free_port() for name in self.names}
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.env = {"NNP_WORKERS": "0", **(env or {})}
        self.replicas: dict[str, subprocess.Popen[bytes]] = {}
        self.proxy: subprocess.Popen[bytes] | None = None
        self._logs: list[IO[bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"

    def replica_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def _spawn(self, args: list[str], log: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        out = open(self.folder / log, "wb")  # noqa: SIM115 (closed in stop)
        self._logs.append(out)
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=self.folder)  # fmt: skip

    def start(self, seconds: float = START_SECONDS) -> Cluster:
        try:
            for name in self.names:
                env = {**os.environ, **self.env, "NNP_REPLICA": name}
                self.replicas[name] = self._spawn(
                    [sys.executable, "-m", "app", "--host", "127.0.0.1",
                     "--port", str(self.ports[name])],
                    f"{name}.log", env,
                )  # fmt: skip
            for name in self.names:
                url = self.replica_url(name)
                wait_until(lambda u=url: httpx.get(f"{u}/healthz").status_code == 200,
                           seconds, f"replica {name} did not answer")  # fmt: skip
            cert = self_signed_pem(self.folder) if self.tls_port else None
            text = config(
                [(name, f"127.0.0.1:{self.ports[name]}") for name in self.names],
                bind=f"127.0.0.1:{self.port}",
                tls_bind=f"127.0.0.1:{self.tls_port}" if cert else None,
                tls_cert=str(cert) if cert else None,
                check_interval="300ms",
            )
            (self.folder / "haproxy.cfg").write_text(text)
            self.proxy = self._spawn(
                [HAPROXY, "-db", "-f", str(self.folder / "haproxy.cfg")], "haproxy.log",
                dict(os.environ),
            )
            wait_until(lambda: httpx.get(f"{self.url}/healthz").status_code == 200,
                       seconds, "HAProxy did not answer")  # fmt: skip
        except BaseException:
            self.stop()
            raise
        return self

    def kill(self, name: str) -> None:
        """Kill one replica at once (SIGKILL), as a crashed machine would go."""
        process = self.replicas[name]
        process.kill()
        process.wait(10)

    def stop(self) -> None:
        for process in [*self.replicas.values(), *([self.proxy] if self.proxy else [])]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.replicas.values(), *([self.proxy] if self.proxy else [])]:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for log in self._logs:
            log.close()
        if not os.environ.get("KEEP"):
            shutil.rmtree(self.folder, ignore_errors=True)

    def log(self, name: str) -> str:
        """What one process (a replica's name, or ``haproxy``) wrote so far."""
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
