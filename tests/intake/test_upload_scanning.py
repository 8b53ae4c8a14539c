"""Uploads are scanned by a real clamd (ClamAV), started here with a signature file made for the test.

No virus database is downloaded: the signature directory holds one .ndb signature for the EICAR test
string, so clamd detects exactly that and nothing else.
"""

import io
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from intake.models import Attachment, InquiryEvent
from tests.conftest import skip_or_fail
from tests.factories import DraftFactory
from tests.intake.test_attachments import PDF, docx_bytes

# The industry-standard antivirus test file: harmless, and every scanner is meant to flag it.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Hubportal.Test.EICAR"
PDF_WITH_EICAR = b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def clamd(tmp_path_factory):
    """A clamd on a loopback TCP port and a unix socket, loaded with only the test signature."""
    binary = shutil.which("clamd") or ("/usr/sbin/clamd" if os.path.exists("/usr/sbin/clamd") else None)
    if binary is None:
        skip_or_fail("clamd is not installed (apt-get install clamav-daemon)")
    home = tmp_path_factory.mktemp("clamd")
    (home / "db").mkdir()
    # .ndb: name, target type 0 (any file), offset * (anywhere, so inside a PDF or a zip too), hex bytes.
    (home / "db" / "test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    port = _free_port()
    (home / "clamd.conf").write_text("\n".join([
        "Foreground yes",
        f"DatabaseDirectory {home / 'db'}",
        "TCPAddr 127.0.0.1",
        f"TCPSocket {port}",
        f"LocalSocket {home / 'clamd.sock'}",
        f"LogFile {home / 'clamd.log'}",
        # Nothing to check for and no freshclam here: start on our one signature without complaint.
        "Bytecode no",
        "SelfCheck 0",
    ]) + "\n")
    process = subprocess.Popen([binary, "-c", str(home / "clamd.conf")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"nPING\n")
                if connection.recv(16).strip() == b"PONG":
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log = (home / "clamd.log").read_text() if (home / "clamd.log").exists() else ""
            pytest.fail(f"clamd did not start: {log[-2000:]}")
        time.sleep(0.2)
    try:
        yield {"host": "127.0.0.1", "port": port, "socket": str(home / "clamd.sock")}
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def scanner_on_tcp(settings, clamd):
    settings.CLAMD_SOCKET, settings.CLAMD_HOST, settings.CLAMD_PORT = "", clamd["host"], clamd["port"]
    return clamd


@pytest.fixture
def scanner_on_unix_socket(settings, clamd):
    settings.CLAMD_SOCKET, settings.CLAMD_HOST = clamd["socket"], ""
    return clamd


def upload(client, draft, name, content):
    url = reverse("intake:inquiry_step", args=[draft.public_id, "attachments"])
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def stored_files(settings):
    return [name for _, _, names in os.walk(settings.MEDIA_ROOT) for name in names]


def docx_with_eicar():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/image1.png", EICAR)
    return buffer.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("transport", ["scanner_on_tcp", "scanner_on_unix_socket"])
@pytest.mark.parametrize("name, content", [("pilot.pdf", PDF_WITH_EICAR), ("case.docx", None)])
def test_it_refuses_a_file_in_which_clamd_finds_a_virus_and_stores_nothing(
        request, submitter_client, submitter, settings, caplog, transport, name, content):
    request.getfixturevalue(transport)
    draft = DraftFactory(submitter=submitter)
    with caplog.at_level(logging.WARNING, logger="intake.scanning"):
        response = upload(submitter_client, draft, name, content or docx_with_eicar())
    assert response.status_code == 400
    assert f"The file {name} contains a virus and was not uploaded" in response.content.decode()
    assert not Attachment.objects.exists()
    assert not InquiryEvent.objects.filter(kind=InquiryEvent.Kind.ATTACHMENT_ADDED).exists()
    assert stored_files(settings) == []
    assert SIGNATURE in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("transport", ["scanner_on_tcp", "scanner_on_unix_socket"])
@pytest.mark.parametrize("name, content", [("pilot.pdf", PDF), ("case.docx", None)])
def test_it_stores_a_clean_file_that_clamd_scanned(request, submitter_client, submitter, transport, name,
                                                    content):
    request.getfixturevalue(transport)
    draft = DraftFactory(submitter=submitter)
    response = upload(submitter_client, draft, name, content or docx_bytes())
    assert response.status_code == 302
    assert Attachment.objects.get().original_name == name


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["closed port", "missing socket"])
def test_it_refuses_with_try_again_later_and_logs_when_the_configured_scanner_is_unreachable(
        submitter_client, submitter, settings, caplog, tmp_path, where):
    if where == "closed port":
        settings.CLAMD_SOCKET, settings.CLAMD_HOST, settings.CLAMD_PORT = "", "127.0.0.1", _free_port()
    else:
        settings.CLAMD_SOCKET, settings.CLAMD_HOST = str(tmp_path / "no-clamd.sock"), ""
    draft = DraftFactory(submitter=submitter)
    with caplog.at_level(logging.ERROR, logger="intake.scanning"):
        response = upload(submitter_client, draft, "pilot.pdf", PDF)
    assert response.status_code == 400
    assert ("The file pilot.pdf could not be checked for viruses, so it was not uploaded. Try again later"
            in response.content.decode())
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []
    assert "Malware scan failed for 'pilot.pdf' on inquiry" in caplog.text


@pytest.mark.django_db
def test_it_refuses_when_the_scanner_hangs_up_without_a_verdict(submitter_client, submitter, settings, caplog):
    # Something that accepts the connection and closes it, as a clamd that crashes mid-scan would.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up():
        connection, _ = listener.accept()
        connection.recv(64)
        connection.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    settings.CLAMD_SOCKET, settings.CLAMD_HOST, settings.CLAMD_PORT, settings.CLAMD_TIMEOUT = (
        "", "127.0.0.1", port, 5)
    draft = DraftFactory(submitter=submitter)
    with caplog.at_level(logging.ERROR, logger="intake.scanning"):
        response = upload(submitter_client, draft, "pilot.pdf", PDF)
    thread.join(timeout=10)
    listener.close()
    assert "could not be checked for viruses" in response.content.decode()
    assert not Attachment.objects.exists()
    assert "Malware scan" in caplog.text


@pytest.mark.django_db
def test_without_a_scanner_configured_uploads_are_stored_unscanned(submitter_client, submitter, settings):
    """The embedded default, as the README says: nothing checks the file for malware."""
    settings.CLAMD_SOCKET, settings.CLAMD_HOST = "", ""
    draft = DraftFactory(submitter=submitter)
    assert upload(submitter_client, draft, "pilot.pdf", PDF_WITH_EICAR).status_code == 302
    assert Attachment.objects.count() == 1
