"""Files handed to a person to save: one way to build the response.

Django writes the ``Content-Disposition`` header (quoting, and RFC 5987 encoding for names
that are not plain ASCII). Every such file is personal or secret (keys, certificates, a
person's data, support mail, an installer only licensees may fetch), so no cache on the
way and none in the browser keeps a copy.

Large files (installers) stream from storage with ``streamed_attachment``: never read
whole into memory, with ``Content-Length`` and HTTP range requests (RFC 9110, one range),
so that an interrupted download resumes where it stopped. Behind nginx, ``accel_attachment``
hands the sending (ranges included) to nginx instead (``X-Accel-Redirect``), once the view
has decided that the person may have the file.
"""

import re
from collections.abc import Iterator
from typing import IO
from urllib.parse import quote

from django.http import FileResponse, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import content_disposition_header

CHUNK_SIZE = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def attachment(content: str | bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A response the browser saves as ``filename``; more may be written to it (``csv.writer``)."""
    response = HttpResponse(content, content_type=content_type)
    _as_attachment(response, filename)
    return response


def _as_attachment[R: HttpResponseBase](response: R, filename: str) -> R:
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


class RangeNotSatisfiable(ValueError):
    """A well-formed range entirely outside the file: answered with 416."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The ``(first, last)`` byte of a ``Range`` header for a file of ``size`` bytes.

    ``None``: no usable range (absent, malformed, several ranges, another unit): send the
    whole file, as RFC 9110 allows. Raises ``RangeNotSatisfiable`` for a range outside the file.
    """
    match = _RANGE.match((header or "").strip())
    if match is None:
        return None
    first_text, last_text = match.groups()
    if size == 0 and (first_text or last_text):
        raise RangeNotSatisfiable(header)
    if not first_text:
        if not last_text:
            return None
        suffix = int(last_text)
        if suffix == 0:
            raise RangeNotSatisfiable(header)
        return max(size - suffix, 0), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None  # malformed: ignored
    if first >= size:
        raise RangeNotSatisfiable(header)
    return first, min(last, size - 1)


def streamed_attachment(
    file: IO[bytes],
    *,
    filename: str,
    size: int,
    content_type: str,
    etag: str,
    range_header: str | None = None,
    if_range: str | None = None,
) -> HttpResponseBase:
    """``file`` as a download: 200 with the whole file, 206 with one range, or 416.

    ``etag`` names this exact content (a digest): ``If-Range`` with another value gets the
    whole file, so a resumed download never mixes two versions of a file.
    """
    try:
        span = byte_range(range_header, size) if if_range in (None, etag) else None
    except RangeNotSatisfiable:
        file.close()
        response: HttpResponseBase = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return _as_attachment(response, filename)
    if span is None:
        response = FileResponse(file, content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        first, last = span
        response = StreamingHttpResponse(_read_span(file, first, last - first + 1), content_type=content_type)
        response.status_code = 206
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    return _as_attachment(response, filename)


def _read_span(file: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        file.seek(start)
        while length > 0:
            chunk = file.read(min(CHUNK_SIZE, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
    finally:
        file.close()


def accel_attachment(internal_path: str, *, filename: str, content_type: str) -> HttpResponse:
    """An empty answer telling nginx to send the file at ``internal_path`` (an ``internal`` location)."""
    response = HttpResponse(content_type=content_type)
    response["X-Accel-Redirect"] = quote(internal_path)
    return _as_attachment(response, filename)
