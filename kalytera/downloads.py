"""Files handed to a person to save: one way to build the response.

Django writes the ``Content-Disposition`` header (quoting, and RFC 5987 encoding for names
that are not plain ASCII). Every such file is personal or secret (keys, certificates, a
person's data, support mail), so no cache on the way and none in the browser keeps a copy.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def attachment(content: str | bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A response the browser saves as ``filename``; more may be written to it (``csv.writer``)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response
