"""nn-playground: serve the playground (see --help)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from app.serving import Server, uvicorn_config
from app.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nn-playground",
        description="Serve the Neural Playground: the page, the HTTP API and /ws.",
        epilog="Every limit is also an NNP_* environment variable (see the README).",
    )
    parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 8000)")
    parser.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help="comma-separated proxy addresses (or *) whose X-Forwarded-Proto and "
        "X-Forwarded-For are believed (default: $FORWARDED_ALLOW_IPS, else 127.0.0.1)",
    )
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    try:
        settings = Settings.from_env(**overrides)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from app.main import create_app

    app = create_app(settings)
    served: dict[str, Any] = {"proxy_headers": True}
    if args.forwarded_allow_ips is not None:
        served["forwarded_allow_ips"] = args.forwarded_allow_ips
    logging.getLogger("app").info("Neural Playground at http://%s:%d", settings.host, settings.port)
    Server(uvicorn_config(app, settings, **served), app.state.drain).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
