"""Why an upload or a download was refused, in the service's own words."""

from __future__ import annotations


class UploadRefused(Exception):
    """The upload was not accepted; ``reason`` labels the refusal in metrics."""

    reason = "refused"


class FileTooLarge(UploadRefused):
    reason = "too_large"

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"the file is larger than {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


class MissingFile(UploadRefused):
    reason = "missing_file"


class EmptyFile(UploadRefused):
    reason = "empty_file"


class MalformedUpload(UploadRefused):
    reason = "malformed"


class UnsupportedFileType(UploadRefused):
    reason = "unsupported_type"


class InvalidIdempotencyKey(UploadRefused):
    reason = "invalid_idempotency_key"


class IdempotencyKeyReused(UploadRefused):
    """The key was used before for a different file; the first file stays as it is."""

    reason = "idempotency_key_reused"


class UploadConflict(UploadRefused):
    reason = "conflict"


class UploadNotAccepted(UploadRefused):
    """A store or the bus was unavailable; nothing was promised, so the client retries."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class InvoiceFileNotFound(Exception):
    """No file of this invoice exists for this user (or the invoice is another user's)."""


class FileStoreUnavailable(Exception):
    """The object store could not be read."""
