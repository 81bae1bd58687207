"""Run every benchmark and print its figures: ``python -m bench [core|frames|tfp|history ...]``."""

from __future__ import annotations

import sys

from bench import (
    answering,
    browser,
    capacity,
    core,
    frames,
    history,
    proxy,
    server,
    slow_client,
    tfp,
)

SUITES = {
    "core": core.run,
    "frames": frames.run,
    "server": server.run,
    "browser": browser.run,
    "large": browser.run_large,
    "slow": slow_client.run,
    "proxy": proxy.run,
    "tfp": tfp.run,
    "answering": answering.run,
    "history": history.run,
    "capacity": capacity.run,
}


def main(argv: list[str]) -> int:
    names = argv or list(SUITES)
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        known = ", ".join(SUITES)
        sys.stderr.write(f"unknown benchmark(s): {', '.join(unknown)}; known: {known}\n")
        return 2
    for name in names:
        sys.stdout.write("\n".join(SUITES[name]()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
