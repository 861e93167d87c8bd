"""`gatehouse`: the operator command. Results go to standard output, refusals to standard
error with exit status 1."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import grpc

from gatehouse import settings as gatehouse_settings
from gatehouse.cli import admin, audit, token
from gatehouse.cli.connection import Clients, Refusal, cli_version, refusal_from

# Which service a command group talks to, for the "not reachable" sentence.
SERVICE_OF_GROUP = {"admin": "identity", "audit": "audit", "token": "tokens"}


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: `gatehouse admin ...` and `gatehouse audit ...`."""
    parser = argparse.ArgumentParser(prog="gatehouse", description="Operate a Gatehouse installation.")
    parser.add_argument("--version", action="version", version=f"gatehouse {cli_version()}")
    commands = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    admin.add_parsers(commands)
    audit.add_parsers(commands)
    token.add_parsers(commands)
    return parser


def run(args: argparse.Namespace, clients: Clients) -> int:
    """Runs the parsed command; a refusal becomes its sentence on stderr and status 1."""
    service = getattr(args, "service", "") or SERVICE_OF_GROUP[args.group]
    try:
        return args.run(args, clients)
    except grpc.RpcError as error:
        refusal = refusal_from(error, service, clients.address(service))
    except Refusal as error:
        refusal = error
    print(f"gatehouse: {refusal}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `gatehouse` console script."""
    args = build_parser().parse_args(argv)
    clients = Clients(gatehouse_settings.load())
    try:
        return run(args, clients)
    except KeyboardInterrupt:
        return 130
    finally:
        clients.close()


if __name__ == "__main__":
    sys.exit(main())
