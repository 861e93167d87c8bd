"""The tokens service's view of the uploads service: which listed projects exist, and their ids
(so a token names a project by normalized name AND id)."""

from __future__ import annotations

from typing import Protocol

import grpc

from gatehouse.uploads.v1 import uploads_pb2, uploads_pb2_grpc
from services.tokens.domain.errors import ProjectsUnavailable


class ProjectDirectory(Protocol):
    """The port to the uploads service (a fake in unit tests)."""

    async def ids_of(self, normalized_names: tuple[str, ...]) -> dict[str, str]:
        """{normalized name: project id} for the names that exist. Raises ProjectsUnavailable."""


class GrpcProjectDirectory:
    """ProjectDirectory over UploadsService.ResolveProjects."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float = 5.0):
        self._stub = uploads_pb2_grpc.UploadsServiceStub(channel)
        self._timeout = timeout

    async def ids_of(self, normalized_names: tuple[str, ...]) -> dict[str, str]:
        """Asks the uploads service. Raises ProjectsUnavailable when it cannot answer."""
        if not normalized_names:
            return {}
        request = uploads_pb2.ResolveProjectsRequest(names=normalized_names)
        try:
            answer = await self._stub.ResolveProjects(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise ProjectsUnavailable(
                "The projects service is unavailable, so the token's projects cannot be checked; try again."
            ) from error
        return {project.normalized_name: project.project_id for project in answer.projects}
