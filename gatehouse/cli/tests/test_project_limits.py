"""`gatehouse admin project-limits`: sizes parsed, the call made as the operator."""

import argparse

import pytest

from gatehouse.cli import project_limits
from gatehouse.cli.connection import Refusal
from gatehouse.cli.main import build_parser


@pytest.mark.parametrize(("text", "size"), [
    ("123", 123), ("500MiB", 500 * 1024 ** 2), ("20GiB", 20 * 1024 ** 3), ("1GB", 10 ** 9),
    ("64 kib", 64 * 1024), ("default", 0),
])
def test_sizes_take_binary_and_decimal_units(text, size):
    assert project_limits.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "-5", "1.5GiB", "lots", "10 parsecs"])
def test_anything_else_is_not_a_size(text):
    with pytest.raises(argparse.ArgumentTypeError):
        project_limits.parse_size(text)


def test_the_call_sets_only_the_given_limits_as_the_operator():
    args = build_parser().parse_args(["admin", "project-limits", "Demo", "--project-size", "20GiB"])
    request = project_limits.limits_request(args)
    assert (request.project, request.max_project_size, request.HasField("max_file_size")) == (
        "Demo", 20 * 1024 ** 3, False)
    assert request.principal.operator and args.service == "uploads"


def test_a_call_without_any_limit_is_refused():
    args = build_parser().parse_args(["admin", "project-limits", "demo"])
    with pytest.raises(Refusal, match="Give --file-size, --project-size or both."):
        project_limits.limits_request(args)
