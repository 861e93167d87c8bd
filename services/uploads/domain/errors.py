"""The uploads service's error tree; each message is the one sentence twine shows."""

from gatehouse.errors import GatehouseError


class UploadsError(GatehouseError):
    """Any refusal of the uploads service."""

    code = "uploads_error"


class InvalidUpload(UploadsError):
    """The upload itself is wrong (form, filename, content): HTTP 400."""

    code = "invalid_upload"


class InvalidForm(InvalidUpload):
    """A form field is missing, malformed or not allowed."""

    code = "invalid_form"


class InvalidFilename(InvalidUpload):
    """The filename breaks the sdist (PEP 625) or wheel naming rules."""

    code = "invalid_filename"


class InvalidProjectName(InvalidUpload):
    """The project name is not a valid PyPI project name."""

    code = "invalid_project_name"


class ProhibitedProjectName(InvalidUpload):
    """The project name is reserved (a standard-library module)."""

    code = "prohibited_project_name"


class FileTooLarge(InvalidUpload):
    """The file passed the size limit while it streamed in."""

    code = "file_too_large"


class EmptyFile(InvalidUpload):
    """The file has no bytes."""

    code = "empty_file"


class DigestMismatch(InvalidUpload):
    """A supplied digest differs from the one computed from the bytes."""

    code = "digest_mismatch"


class InvalidDistribution(InvalidUpload):
    """The archive is not what its name says (bad zip/tar, no METADATA/PKG-INFO)."""

    code = "invalid_distribution"


class FileAlreadyExists(InvalidUpload):
    """The filename (or the same content under another name) was uploaded before."""

    code = "file_exists"


class NotAuthenticated(UploadsError):
    """No credentials were presented."""

    code = "not_authenticated"


class Forbidden(UploadsError):
    """The credentials do not allow this upload: HTTP 403."""

    code = "forbidden"


class InvalidToken(Forbidden):
    """The tokens service refused the presented token; the message is its reason."""

    code = "invalid_token"


class NotACollaborator(Forbidden):
    """The uploader is neither Owner nor Maintainer of the project."""

    code = "not_a_collaborator"


class VersionNotNewer(Forbidden):
    """A newer-only token uploaded a version not above every existing release."""

    code = "version_not_newer"


class ProjectNotFound(UploadsError):
    """No project has that (normalized) name."""

    code = "project_not_found"


class FileNotFound(UploadsError):
    """No stored file has that path."""

    code = "file_not_found"


class TokensUnavailable(UploadsError):
    """The tokens service could not be asked; the client may retry."""

    code = "tokens_unavailable"


class SecondFactorRequired(Forbidden):
    """The index requires two-factor authentication and the uploader has none."""

    code = "second_factor_required"


class UnknownPolicy(UploadsError):
    """A policy name the service does not know: HTTP 400."""

    code = "unknown_policy"


class NotAnOwner(Forbidden):
    """Only a project's Owners may do this (change its policies)."""

    code = "not_an_owner"


class ReauthenticationRequired(Forbidden):
    """Weakening a policy needs a login more recent than the re-authentication window."""

    code = "reauthentication_required"


class ProjectPolicyRefused(Forbidden):
    """A project policy refuses this user, login or token."""

    code = "project_policy"


class ProjectRequiresSecondFactor(ProjectPolicyRefused):
    """Policy require_2fa: the user has no second factor."""

    code = "project_requires_2fa"


class ProjectRequiresPhishingResistantFactor(ProjectPolicyRefused):
    """Policy require_phishing_resistant_2fa: the login (or the token's owner) has no security key."""

    code = "project_requires_phishing_resistant_2fa"


class ScopedTokenRequired(ProjectPolicyRefused):
    """Policy require_scoped_tokens: the token is not scoped to this project."""

    code = "project_requires_scoped_token"


class InvalidRole(UploadsError):
    """A role other than Owner or Maintainer: HTTP 400."""

    code = "invalid_role"


class RoleAlreadyHeld(UploadsError):
    """The user already has a role on the project: HTTP 409."""

    code = "role_exists"


class InvitationExists(UploadsError):
    """The user already has a pending invitation to the project: HTTP 409."""

    code = "invitation_exists"


class InvitationNotFound(UploadsError):
    """No pending invitation with that id for this caller (answered alike for others' invitations)."""

    code = "invitation_not_found"


class InvitationExpired(UploadsError):
    """The invitation is past its expiry and can no longer be accepted."""

    code = "invitation_expired"


class RoleNotFound(UploadsError):
    """The user has no role on the project."""

    code = "role_not_found"


class LastOwner(UploadsError):
    """The change would leave the project without an Owner."""

    code = "last_owner"
class InvalidMetadata(InvalidUpload):
    """The core metadata (form fields or a wheel's METADATA) breaks a core-metadata or index rule."""

    code = "invalid_metadata"


class ProjectNameTooSimilar(InvalidUpload):
    """A new project's name folds to the same letters as an existing project's."""

    code = "project_name_too_similar"


class ProjectCreationRateLimited(UploadsError):
    """Too many projects created recently by this user or from this address: HTTP 429."""

    code = "project_creation_rate_limited"

    def __init__(self, message: str, retry_after_seconds: int):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
        self.trailers = (("retry-after", str(retry_after_seconds)),)


class ProjectTooLarge(InvalidUpload):
    """The file would take the project past its total size limit."""

    code = "project_too_large"


class SdistAlreadyExists(InvalidUpload):
    """The release already has a source distribution."""

    code = "sdist_exists"


class ReleaseClosed(InvalidUpload):
    """The release is older than the window in which files may be added."""

    code = "release_closed"


class FilenameReused(FileAlreadyExists):
    """The filename was used before (by a file since deleted): names are never reused."""

    code = "filename_reused"


class InvalidPlatformTag(InvalidFilename):
    """A wheel's platform tag is not one the index accepts."""

    code = "invalid_platform_tag"


class NotAnOperator(Forbidden):
    """Only an index operator may do this (change a project's size limits)."""

    code = "not_an_operator"


class InvalidLimit(UploadsError):
    """A size limit that is not a number of bytes (negative): HTTP 400."""

    code = "invalid_limit"

class StageNotFound(UploadsError):
    """Nothing is staged for that version of the project: HTTP 404."""

    code = "stage_not_found"


class ReleaseNotFound(UploadsError):
    """The project has no published release of that version: HTTP 404."""

    code = "release_not_found"


class InvalidYankReason(UploadsError):
    """A yank reason that is too long or holds control characters: HTTP 400."""

    code = "invalid_yank_reason"
