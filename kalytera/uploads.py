"""Request bodies are bounded before they are read, and uploads before they are spooled.

``RequestSizeLimitMiddleware`` refuses a body whose ``Content-Length`` exceeds
``REQUEST_MAX_BYTES`` with 413 before anything reads it (JSON in the API's envelope under
``/api/``). ``CappedUploadHandler``, first in ``FILE_UPLOAD_HANDLERS``, stops reading an
uploaded file once it passes ``UPLOAD_MAX_BYTES`` (a body without a length, or a length
that lied), so that no large upload reaches memory or a temporary file.

The paths of ``LARGE_UPLOADS`` (path prefix: byte limit) are the exception, for staff
uploading installer files (``StaffUploadMiddleware`` grants it to active staff only): their
body may reach the path's limit, and each file is
hashed (SHA-256) chunk by chunk as it is written to a temporary file on disk
(``HashingUploadHandler``), so a file of gigabytes never sits in memory and is never read
twice to learn its digest.
"""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse

from kalytera import envelope


def declared_length(request: HttpRequest) -> int:
    """The body length the client declares (0 when absent or malformed)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    """413, in the API's envelope under ``/api/``."""
    message = f"The request body may be at most {limit} bytes."
    if envelope.is_api(request):
        return envelope.error("PAYLOAD_TOO_LARGE", message, 413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A large-upload path is judged again, by who sends it, in StaffUploadMiddleware.
        limit = large_upload_limit(request.path) or settings.REQUEST_MAX_BYTES
        if declared_length(request) > limit:
            return too_large(request, limit)
        return self.get_response(request)


class StaffUploadMiddleware:
    """On a ``LARGE_UPLOADS`` path, only active staff may send more than ``REQUEST_MAX_BYTES``.

    Placed after the authentication middleware: the person is known, and the body is still
    unread (the CSRF check reads it later, in its ``process_view``). Staff get the hashing
    handler; anyone else keeps the ordinary limit, so that nobody can make the server write
    gigabytes to disk before the admin refuses them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = large_upload_limit(request.path)
        if limit is not None:
            user = getattr(request, "user", None)
            if user is not None and user.is_active and user.is_staff:
                request.upload_handlers = [HashingUploadHandler(request, limit=limit)]
            elif declared_length(request) > settings.REQUEST_MAX_BYTES:
                return too_large(request, settings.REQUEST_MAX_BYTES)
        return self.get_response(request)


def large_upload_limit(path: str) -> int | None:
    """The body limit of a path listed in ``LARGE_UPLOADS``, or ``None`` for every other path."""
    for prefix, limit in settings.LARGE_UPLOADS.items():
        if path.startswith(prefix):
            return limit
    return None


class HashingUploadHandler(TemporaryFileUploadHandler):
    """Writes each file to a temporary file on disk, computing its SHA-256 and size on the way.

    The finished file carries ``sha256`` (hex digits). Past ``limit`` bytes the upload stops
    and the request says so (``upload_too_large``), as with ``CappedUploadHandler``.
    """

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.digest = hashlib.sha256()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.limit:
            if self.request is not None:
                self.request.upload_too_large = True  # type: ignore[attr-defined]
            raise StopUpload(connection_reset=True)
        self.digest.update(raw_data)
        super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> UploadedFile:
        uploaded = super().file_complete(file_size)
        assert uploaded is not None  # the temporary-file handler always completes its file
        uploaded.sha256 = self.digest.hexdigest()  # type: ignore[attr-defined]
        return uploaded


class CappedUploadHandler(FileUploadHandler):
    """Passes an uploaded file's chunks on until it exceeds ``UPLOAD_MAX_BYTES``, then stops."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            if self.request is not None:
                self.request.upload_too_large = True  # type: ignore[attr-defined]
            # Do not read the rest: the client is told by the closed connection.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (in memory) builds the file
