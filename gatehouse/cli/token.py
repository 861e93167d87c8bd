"""`gatehouse token restrict`: narrow an API token offline, with no server involved.

A Gatehouse token is a macaroon; anyone holding it can append caveats, and the server honours
every caveat presented (services/tokens/README.md documents the versioned JSON layout written
here). The narrower token is printed; the original stays valid, so keep it secret or revoke it.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from datetime import datetime, timezone

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from pymacaroons import Macaroon
from pymacaroons.exceptions import MacaroonException

from gatehouse import settings as gatehouse_settings
from gatehouse.cli.connection import Clients, Refusal

CAVEAT_VERSION = 1
ACTIONS = ("upload", "create-project", "yank", "manage-roles", "read-audit")
MAX_TOKEN_CHARS = 16_384
# (option, caveat key, help): the caveats that are a bare `true` (services/tokens/domain/caveats.py FLAGS).
FLAG_OPTIONS = (
    ("--single-use", "single_use",
     "valid for one successful use; that use revokes the token it was made from too (one root key)"),
    ("--staging-only", "staging_only", "uploads only to a release stage, never straight to the index"),
    ("--newer-only", "newer_only", "only for uploading versions newer than the project's latest release"),
)


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Adds `token restrict`."""
    token = commands.add_parser("token", help="work with API tokens (offline)")
    actions = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    restrict = actions.add_parser("restrict", help="print a narrower copy of a token (offline)")
    restrict.add_argument("token", help="the token, or '-' to read it from standard input")
    restrict.add_argument("--project", action="append", default=[], help="limit to this project (repeatable)")
    restrict.add_argument("--project-pattern", help="limit to projects matching, e.g. 'acme-*'")
    restrict.add_argument("--action", action="append", default=[], choices=ACTIONS, help="allow only these")
    restrict.add_argument("--expires", help="expiry, ISO 8601 (a date means midnight UTC)")
    restrict.add_argument("--not-before", help="start of validity, ISO 8601")
    restrict.add_argument("--cidr", action="append", default=[], help="allowed client network (repeatable)")
    restrict.add_argument("--version", dest="release", help="only for uploading this exact version")
    for option, key, help_text in FLAG_OPTIONS:
        restrict.add_argument(option, dest=key, action="store_true", help=help_text)
    restrict.set_defaults(run=restrict_command)


def unix_seconds(text: str, option: str) -> int:
    """ISO 8601 as unix seconds (naive times are UTC). Raises Refusal for anything else."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise Refusal(f"{option} must be an ISO 8601 date or time, e.g. 2027-01-01T00:00:00Z.") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def _networks(cidrs: list[str]) -> list[str]:
    try:
        return [ipaddress.ip_network(cidr, strict=False).with_prefixlen for cidr in cidrs]
    except ValueError as error:
        raise Refusal(f"Not a valid network: {error}.") from error


def _version(text: str) -> str:
    try:
        return str(Version(text))
    except InvalidVersion as error:
        raise Refusal(f"'{text}' is not a valid version (PEP 440).") from error


def caveat_documents(args: argparse.Namespace) -> list[dict]:
    """The caveats the options ask for, in the layout the server reads. Raises Refusal."""
    v = {"v": CAVEAT_VERSION}
    documents = []
    if args.project:
        documents.append({**v, "projects": sorted({canonicalize_name(name) for name in args.project})})
    if args.project_pattern:
        documents.append({**v, "project_pattern": canonicalize_name(args.project_pattern)})
    if args.action:
        documents.append({**v, "actions": sorted(set(args.action))})
    times = {"nbf": args.not_before and unix_seconds(args.not_before, "--not-before"),
             "exp": args.expires and unix_seconds(args.expires, "--expires")}
    if any(times.values()):
        documents.append({**v, **{key: value for key, value in times.items() if value}})
    if args.cidr:
        documents.append({**v, "cidrs": _networks(args.cidr)})
    if args.release:
        documents.append({**v, "version": _version(args.release)})
    documents.extend({**v, key: True} for _, key, _ in FLAG_OPTIONS if getattr(args, key))
    if not documents:
        raise Refusal("Say how to restrict the token (e.g. --project, --expires, --action, --single-use).")
    return documents


def restrict(token: str, prefix: str, documents: list[dict]) -> str:
    """`token` with `documents` appended as first-party caveats. Raises Refusal when it is not
    a token of this prefix."""
    if len(token) > MAX_TOKEN_CHARS or not token.startswith(prefix):
        raise Refusal(f"That is not an API token (it should start with '{prefix}').")
    try:
        macaroon = Macaroon.deserialize(token[len(prefix):])
    except (MacaroonException, ValueError, TypeError, IndexError, KeyError) as error:
        raise Refusal("That is not a readable API token.") from error
    for document in documents:
        macaroon.add_first_party_caveat(json.dumps(document, sort_keys=True, separators=(",", ":")))
    return prefix + macaroon.serialize()


def restrict_command(args: argparse.Namespace, clients: Clients) -> int:
    """Prints the narrower token. Raises Refusal."""
    token = sys.stdin.readline().strip() if args.token == "-" else args.token.strip()
    prefix = gatehouse_settings.load().token_prefix
    print(restrict(token, prefix, caveat_documents(args)))
    return 0
