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


def test_a_large_upload_path_hashes_the_file_as_it_arrives_into_a_file_on_disk(settings):
    import hashlib

    from django.core.files.uploadedfile import TemporaryUploadedFile

    from kalytera.uploads import HashingUploadHandler

    boundary = "b0undary"
    content = bytes(range(256)) * 12_000  # about 3 MB: more than the memory limit for uploads
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="setup.exe"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = RequestFactory().post("/")
    handler = HashingUploadHandler(request, limit=10_000_000)
    meta = {"CONTENT_TYPE": f"multipart/form-data; boundary={boundary}", "CONTENT_LENGTH": str(len(body))}
    _, files = MultiPartParser(meta, CountingStream(body), [handler]).parse()
    uploaded = files["upload"]
    assert isinstance(uploaded, TemporaryUploadedFile)  # on disk, not in memory
    assert uploaded.size == len(content)
    assert uploaded.sha256 == hashlib.sha256(content).hexdigest()


def test_a_large_upload_past_its_own_limit_stops_being_read():
    from kalytera.uploads import HashingUploadHandler

    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="setup.exe"\r\n\r\n'
        ).encode()
        + b"x" * 2_000_000
        + f"\r\n--{boundary}--\r\n".encode()
    )
    stream = CountingStream(body)
    request = RequestFactory().post("/")
    meta = {"CONTENT_TYPE": f"multipart/form-data; boundary={boundary}", "CONTENT_LENGTH": str(len(body))}
    _, files = MultiPartParser(meta, stream, [HashingUploadHandler(request, limit=100_000)]).parse()
    assert "upload" not in files
    assert request.upload_too_large
    assert stream.consumed < 400_000


def test_only_the_artifact_upload_pages_accept_large_bodies(client, settings):
    from kalytera.uploads import large_upload_limit

    assert large_upload_limit(f"/{settings.ADMIN_URL}licensing/releaseartifact/add/") == (
        settings.RELEASE_UPLOAD_MAX_BYTES
    )
    assert large_upload_limit(f"/{settings.ADMIN_URL}licensing/license/add/") is None
    assert large_upload_limit("/contact/") is None


def test_only_staff_may_send_a_large_body_to_the_artifact_upload_page(client, settings, customer):
    path = f"/{settings.ADMIN_URL}licensing/releaseartifact/add/"
    declared = {"CONTENT_LENGTH": str(settings.REQUEST_MAX_BYTES + 1)}
    assert client.post(path, b"x", content_type="application/octet-stream", **declared).status_code == 413
    client.force_login(customer)
    assert client.post(path, b"x", content_type="application/octet-stream", **declared).status_code == 413
