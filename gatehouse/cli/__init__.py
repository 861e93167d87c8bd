"""The `gatehouse` operator command."""
