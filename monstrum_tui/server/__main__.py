"""``python -m monstrum_tui.server``: the local platform's process (server/embedded.py)."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from ..client.httpx_cli import leave_out_httpx_cli


def main() -> None:
    leave_out_httpx_cli()  # before the imports below bring httpx
    from .audit.log import AuditKeyMissing
    from .credentials import SecretKeyError
    from .serve import run_server
    from .settings import ServerSettings

    parser = argparse.ArgumentParser(prog="python -m monstrum_tui.server")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--uds", required=True, help="Unix socket to listen on")
    parser.add_argument("--idle-exit", type=float, default=10.0, metavar="SECONDS",
                        help="stop after this long with no client attached and no task")
    parser.add_argument("--seed-demo", action="store_true")
    args = parser.parse_args()
    os.umask(0o077)  # everything this process writes in the data dir is private
    logging.basicConfig(
        filename=str(args.data_dir / "server.log"),
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    settings = ServerSettings(data_dir=args.data_dir, seed_demo=args.seed_demo)
    try:
        run_server(
            settings, uds=args.uds, idle_exit=args.idle_exit, announce_key=False,
            log_level="warning",
        )
    except (AuditKeyMissing, SecretKeyError) as exc:
        logging.getLogger("monstrum.serve").error("cannot start: %s", exc)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
