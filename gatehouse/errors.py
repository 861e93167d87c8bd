"""The root of every service's error tree."""

from __future__ import annotations


class GatehouseError(Exception):
    """A refusal a user can act on. `code` is a stable machine-readable name; the message
    is one clear sentence. Each service subclasses this into its own tree."""

    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
