"""`gatehouse admin ...`: account administration."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TextIO

from gatehouse.cli import project_limits
from gatehouse.cli.connection import CALL_TIMEOUT, Clients, Refusal, operator, request_context
from gatehouse.identity.v1 import identity_pb2


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Adds `admin create-user`, `admin lock`, `admin unlock`, `admin recover` and `admin project-limits`."""
    admin = commands.add_parser("admin", help="account administration")
    actions = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create-user", help="create an account")
    create.add_argument("username")
    create.add_argument("--email", required=True)
    create.add_argument("--verified", action="store_true", help="mark the e-mail address as verified")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input's first line"
    )
    create.set_defaults(run=create_user)
    lock = actions.add_parser("lock", help="lock an account: no login, sessions end, API tokens refused")
    lock.add_argument("username")
    lock.add_argument("--reason", default="", help="why (recorded in the security log, not shown to the user)")
    lock.set_defaults(run=lock_user)
    unlock = actions.add_parser("unlock", help="unlock a locked account")
    unlock.add_argument("username")
    unlock.set_defaults(run=unlock_user)
    project_limits.add_parser(actions)
    recover = actions.add_parser(
        "recover", help="start account recovery for a user who lost every second factor (identity link + waiting period)"
    )
    recover.add_argument("username")
    recover.set_defaults(run=recover_user)


def read_password(
    from_stdin: bool, stdin: TextIO | None = None, prompt: Callable[[str], str] = getpass.getpass
) -> str:
    """The new account's password: stdin's first line, or typed twice. Raises Refusal."""
    if from_stdin:
        password = (stdin or sys.stdin).readline().rstrip("\r\n")
        if not password:
            raise Refusal("No password was given on standard input.")
        return password
    password = prompt("Password: ")
    if password != prompt("Repeat password: "):
        raise Refusal("The passwords do not match.")
    return password


def create_request(args: argparse.Namespace, password: str) -> identity_pb2.CreateUserRequest:
    """The CreateUser call an operator's `create-user` makes."""
    return identity_pb2.CreateUserRequest(
        username=args.username,
        email=args.email,
        email_verified=args.verified,
        password=password,
        context=request_context(),
        actor=operator(),
    )


def create_user(args: argparse.Namespace, clients: Clients) -> int:
    """Creates the account and prints its id. Raises Refusal (or grpc.RpcError)."""
    request = create_request(args, read_password(args.password_stdin))
    response = clients.identity().CreateUser(request, timeout=CALL_TIMEOUT)
    print(f"Created user {response.user.username} (id {response.user.user_id})")
    return 0


def lock_request(args: argparse.Namespace) -> identity_pb2.LockUserRequest:
    """The LockUser call an operator's `lock` makes."""
    return identity_pb2.LockUserRequest(
        username=args.username, reason=args.reason, context=request_context(), actor=operator()
    )


def lock_user(args: argparse.Namespace, clients: Clients) -> int:
    """Locks the account and says how many sessions ended. Raises grpc.RpcError (unknown user,
    already locked)."""
    response = clients.identity().LockUser(lock_request(args), timeout=CALL_TIMEOUT)
    print(f"Locked {response.user.username}: {response.sessions_ended} sessions ended; "
          "its API tokens are refused until it is unlocked.")
    return 0


def unlock_user(args: argparse.Namespace, clients: Clients) -> int:
    """Unlocks the account. Raises grpc.RpcError (unknown user, not locked)."""
    request = identity_pb2.UnlockUserRequest(username=args.username, context=request_context(), actor=operator())
    response = clients.identity().UnlockUser(request, timeout=CALL_TIMEOUT)
    print(f"Unlocked {response.user.username}.")
    return 0


def recover_user(args: argparse.Namespace, clients: Clients) -> int:
    """Starts account recovery and says where the links went. Raises grpc.RpcError (unknown
    user, no verified address, a recovery already in progress)."""
    request = identity_pb2.StartRecoveryRequest(username=args.username, context=request_context(), actor=operator())
    response = clients.identity().StartRecovery(request, timeout=CALL_TIMEOUT)
    print(f"Account recovery of {args.username} started (id {response.recovery.recovery_id}).")
    print(f"An identity link was mailed to {response.identity_email}; the waiting period starts when the user opens it.")
    print(f"Notified with a cancel link: {', '.join(response.notified_emails)}.")
    return 0
