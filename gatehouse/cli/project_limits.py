"""`gatehouse admin project-limits NAME`: raise (or reset) one project's size limits."""

from __future__ import annotations

import argparse
import re

from gatehouse.cli.connection import CALL_TIMEOUT, Clients, Refusal, operator, request_context
from gatehouse.uploads.v1 import uploads_pb2

_SIZE = re.compile(r"^\s*(?P<number>\d+)\s*(?P<unit>[KMGT]i?B|B)?\s*$", re.IGNORECASE)
_FACTOR = {"": 1, "b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "tb": 1000 ** 4,
           "kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3, "tib": 1024 ** 4}


def parse_size(text: str) -> int:
    """Bytes from `500MiB`, `20GiB`, `1GB`, `123` or `default` (0: the index default).
    Raises argparse.ArgumentTypeError for anything else."""
    if text.strip().lower() == "default":
        return 0
    match = _SIZE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size (e.g. 500MiB, 20GiB or default).")
    return int(match["number"]) * _FACTOR[(match["unit"] or "").lower()]


def add_parser(actions: argparse._SubParsersAction) -> None:
    """Adds `admin project-limits NAME [--file-size SIZE] [--project-size SIZE]`."""
    limits = actions.add_parser("project-limits", help="raise or reset a project's size limits")
    limits.add_argument("project")
    limits.add_argument("--file-size", type=parse_size, help="largest file, e.g. 500MiB ('default' resets)")
    limits.add_argument("--project-size", type=parse_size, help="project total, e.g. 20GiB ('default' resets)")
    limits.set_defaults(run=set_project_limits, service="uploads")


def limits_request(args: argparse.Namespace) -> uploads_pb2.SetProjectLimitsRequest:
    """The SetProjectLimits call the command makes, as the operator. Raises Refusal when no
    limit was given."""
    if args.file_size is None and args.project_size is None:
        raise Refusal("Give --file-size, --project-size or both.")
    request = uploads_pb2.SetProjectLimitsRequest(principal=operator(), project=args.project,
                                                  context=request_context())
    if args.file_size is not None:
        request.max_file_size = args.file_size
    if args.project_size is not None:
        request.max_project_size = args.project_size
    return request


def set_project_limits(args: argparse.Namespace, clients: Clients) -> int:
    """Sets the limits and prints those in force. Raises Refusal or grpc.RpcError."""
    response = clients.uploads().SetProjectLimits(limits_request(args), timeout=CALL_TIMEOUT)
    verb = "now" if response.changed else "already"
    print(f"{response.project.name}: {verb} {response.max_file_size} bytes per file, "
          f"{response.max_project_size} bytes in total.")
    return 0
