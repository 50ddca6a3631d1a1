"""Why an extraction did not succeed, in words a user can act on.

Every failure carries a stable code (stored in InvoiceExtractionFailed, read by machines), a
reason written for the user, and whether trying again later can help. Reasons are written here
and never copied from a driver's message, which may echo an API key or internal detail.
"""

from __future__ import annotations


class ExtractionError(Exception):
    """`retry_after_seconds` is the earliest a transient failure is worth trying again, when
    the failing party said so (a Retry-After header) or a retry budget ran out."""

    def __init__(
        self,
        error_code: str,
        reason: str,
        *,
        transient: bool,
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {reason}")
        self.error_code = error_code
        self.reason = reason
        self.transient = transient
        self.retry_after_seconds = retry_after_seconds

    def deferred(self, seconds: float | None) -> ExtractionError:
        """The same failure, not to be tried again for `seconds` (None: no such wait)."""
        return ExtractionError(
            self.error_code, self.reason, transient=self.transient, retry_after_seconds=seconds
        )


def _permanent(error_code: str, reason: str) -> ExtractionError:
    return ExtractionError(error_code, reason, transient=False)


def _transient(error_code: str, reason: str) -> ExtractionError:
    return ExtractionError(error_code, reason, transient=True)


def unreadable_file() -> ExtractionError:
    return _permanent(
        "unreadable_file",
        "The file could not be read: it may be damaged or password-protected. "
        "Upload it again or try another file.",
    )


def no_text_found() -> ExtractionError:
    return _permanent(
        "no_text_found",
        "No text could be found in this file, not even by OCR: check that it is a legible "
        "invoice, or add your OpenAI API key in Settings to let a language model read it.",
    )


def ocr_unavailable() -> ExtractionError:
    return _permanent(
        "ocr_unavailable",
        "This file has pages without a text layer, and OCR is not available on this server. "
        "Add your OpenAI API key in Settings, or upload a PDF with a text layer.",
    )


def image_too_large(max_pixels: int) -> ExtractionError:
    return _permanent(
        "image_too_large",
        f"The image has more than {max_pixels / 1_000_000:g} million pixels, more than the "
        "offline reader accepts. Upload it at a lower resolution (200 dpi is plenty).",
    )


def reading_timed_out(seconds: float, *, page: int | None = None) -> ExtractionError:
    what = f"Reading page {page} of the file" if page is not None else "Reading the file"
    return _permanent(
        "reading_timed_out",
        f"{what} took longer than {seconds:g} seconds. Add your OpenAI API key in Settings, "
        "or upload a simpler file.",
    )


def file_missing() -> ExtractionError:
    return _permanent("file_missing", "The uploaded file is no longer stored. Upload it again.")


def file_mismatch() -> ExtractionError:
    return _permanent(
        "file_mismatch", "The stored file does not match the one uploaded. Upload it again."
    )


def file_too_large(limit_bytes: int) -> ExtractionError:
    return _permanent(
        "file_too_large",
        f"The file is too large for OpenAI to read in one request (at most "
        f"{limit_bytes // (1024 * 1024)} MB and a limited number of pages). Upload a smaller "
        "file, for example only the invoice's pages.",
    )


def account_not_found() -> ExtractionError:
    return _permanent(
        "account_not_found", "The account that uploaded this invoice no longer exists."
    )


def invalid_api_key() -> ExtractionError:
    return _permanent("invalid_api_key", "Your OpenAI API key was rejected: update it in Settings.")


def quota_exhausted() -> ExtractionError:
    return _permanent(
        "quota_exhausted",
        "Your OpenAI account has no quota left: check your plan and billing with OpenAI, then "
        "upload the invoice again.",
    )


def model_not_allowed(model: str) -> ExtractionError:
    return _permanent(
        "model_not_allowed",
        f"Your OpenAI API key may not use the model '{model}': choose another model in "
        "Settings or check the key's permissions with OpenAI.",
    )


def model_not_found(model: str) -> ExtractionError:
    return _permanent(
        "model_not_found",
        f"OpenAI does not offer the model '{model}' to your key: choose another model in Settings.",
    )


def request_rejected() -> ExtractionError:
    return _permanent(
        "request_rejected",
        "OpenAI rejected the request for this document. Check the model and the prompt in "
        "Settings, then upload the invoice again.",
    )


def refused() -> ExtractionError:
    return _permanent(
        "refused",
        "The model declined to read this document. Check that the file is an invoice, or "
        "choose another model in Settings.",
    )


def output_truncated() -> ExtractionError:
    return _permanent(
        "output_truncated",
        "The invoice holds more data than the model can return in one answer. Choose a model "
        "with a larger output limit in Settings.",
    )


def content_filtered() -> ExtractionError:
    return _permanent(
        "content_filtered",
        "OpenAI's content filter stopped the answer for this document. Check that the file "
        "is an invoice.",
    )


def invalid_output() -> ExtractionError:
    return _permanent(
        "invalid_output",
        "The model's answer did not match the invoice format. Upload the invoice again, or "
        "choose another model or a simpler prompt in Settings.",
    )


def file_storage_unavailable() -> ExtractionError:
    return _transient("file_storage_unavailable", "The file storage could not be reached.")


def settings_unavailable() -> ExtractionError:
    return _transient("settings_unavailable", "Your extraction settings could not be loaded.")


def openai_rate_limited() -> ExtractionError:
    return _transient(
        "openai_rate_limited", "OpenAI kept limiting the requests made with your API key."
    )


def openai_unavailable() -> ExtractionError:
    return _transient("openai_unavailable", "OpenAI's service kept failing.")


def openai_unreachable() -> ExtractionError:
    return _transient("openai_unreachable", "OpenAI could not be reached.")


def openai_timeout(seconds: float) -> ExtractionError:
    return _transient("openai_timeout", f"OpenAI did not answer within {seconds:g} seconds.")


def bus_unavailable() -> ExtractionError:
    return _transient(
        "bus_unavailable", "The result could not be saved because the event bus was unavailable."
    )


def internal_error() -> ExtractionError:
    return _transient("internal_error", "The extractor failed unexpectedly.")


def interrupted() -> ExtractionError:
    return _transient(
        "interrupted",
        "The extraction was interrupted before it could finish, several times in a row.",
    )


def retries_exhausted(attempts: int, last: ExtractionError) -> ExtractionError:
    return _permanent(
        "retries_exhausted",
        f"Extraction was tried {attempts} times and gave up. Last problem: {last.reason} "
        "Upload the invoice again later.",
    )
