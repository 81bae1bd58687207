"""``nn-playground [--host H] [--port P]``: serve the playground."""

from __future__ import annotations

import argparse
import logging
import sys

from app.serving import Server, uvicorn_config
from app.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nn-playground", description=__doc__)
    parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 8000)")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    try:
        settings = Settings.from_env(**overrides)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from app.main import create_app

    app = create_app(settings)
    logging.getLogger("app").info("Neural Playground at http://%s:%d", settings.host, settings.port)
    Server(uvicorn_config(app, settings), app.state.drain).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
