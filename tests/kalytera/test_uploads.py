"""Bodies are refused by their declared length, and uploads stop being read at their cap."""

import io

import pytest
from django.conf import settings
from django.core.files.uploadhandler import load_handler
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/contact/", "/api/v1/validate"])
def test_a_body_declared_too_large_is_refused_before_it_is_read(client, path):
    response = client.post(path, b"{}", content_type="application/json", CONTENT_LENGTH=str(1_500_000_000))
    assert response.status_code == 413
    assert "Content-Security-Policy" in response  # the headers of every answer still apply
    if path.startswith("/api/"):
        assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk


def test_an_upload_past_the_cap_is_not_read_to_its_end_nor_spooled():
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="request_file"; filename="big.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + b"x" * 2_000_000
        + f"\r\n--{boundary}--\r\n".encode()
    )
    stream = CountingStream(body)
    request = RequestFactory().post("/")
    handlers = [load_handler(path, request) for path in settings.FILE_UPLOAD_HANDLERS]
    meta = {"CONTENT_TYPE": f"multipart/form-data; boundary={boundary}", "CONTENT_LENGTH": str(len(body))}
    _, files = MultiPartParser(meta, stream, handlers).parse()
    assert "request_file" not in files
    assert request.upload_too_large
    assert stream.consumed < 4 * 64 * 1024  # a few chunks, not two megabytes
    assert not any("Temporary" in path for path in settings.FILE_UPLOAD_HANDLERS)
