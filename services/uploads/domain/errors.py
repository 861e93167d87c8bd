"""The uploads service's error tree; each message is the one sentence twine shows."""

from gatehouse.errors import GatehouseError


class UploadsError(GatehouseError):
    """Any refusal of the uploads service."""

    code = "uploads_error"


class InvalidUpload(UploadsError):
    """The upload itself is wrong (form, filename, content): HTTP 400."""

    code = "invalid_upload"


class InvalidForm(InvalidUpload):
    code = "invalid_form"


class InvalidFilename(InvalidUpload):
    code = "invalid_filename"


class InvalidProjectName(InvalidUpload):
    code = "invalid_project_name"


class ProhibitedProjectName(InvalidUpload):
    code = "prohibited_project_name"


class FileTooLarge(InvalidUpload):
    code = "file_too_large"


class EmptyFile(InvalidUpload):
    code = "empty_file"


class DigestMismatch(InvalidUpload):
    code = "digest_mismatch"


class InvalidDistribution(InvalidUpload):
    """The archive is not what its name says (bad zip/tar, no METADATA/PKG-INFO)."""

    code = "invalid_distribution"


class FileAlreadyExists(InvalidUpload):
    code = "file_exists"


class NotAuthenticated(UploadsError):
    """No credentials were presented."""

    code = "not_authenticated"


class Forbidden(UploadsError):
    """The credentials do not allow this upload: HTTP 403."""

    code = "forbidden"


class InvalidToken(Forbidden):
    code = "invalid_token"


class NotACollaborator(Forbidden):
    code = "not_a_collaborator"


class StagingUnavailable(Forbidden):
    code = "staging_unavailable"


class VersionNotNewer(Forbidden):
    code = "version_not_newer"


class ProjectNotFound(UploadsError):
    code = "project_not_found"


class FileNotFound(UploadsError):
    code = "file_not_found"


class TokensUnavailable(UploadsError):
    """The tokens service could not be asked; the client may retry."""

    code = "tokens_unavailable"
