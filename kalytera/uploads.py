"""Request bodies are bounded before they are read, and uploads before they are spooled.

``RequestSizeLimitMiddleware`` refuses a body whose ``Content-Length`` exceeds
``REQUEST_MAX_BYTES`` with 413 before anything reads it (JSON in the API's envelope under
``/api/``). ``CappedUploadHandler``, first in ``FILE_UPLOAD_HANDLERS``, stops reading an
uploaded file once it passes ``UPLOAD_MAX_BYTES`` (a body without a length, or a length
that lied), so that no large upload reaches memory or a temporary file.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
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
        if declared_length(request) > settings.REQUEST_MAX_BYTES:
            return too_large(request, settings.REQUEST_MAX_BYTES)
        return self.get_response(request)


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
