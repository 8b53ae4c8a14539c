"""Malware scanning of uploads by ClamAV's daemon, clamd, over its socket (the INSTREAM command).

Off when neither CLAMD_SOCKET nor CLAMD_HOST is set (the embedded default: uploads are unscanned, and
the README says so). Once configured it fails closed: an upload clamd cannot vouch for is refused.
"""

import logging

from clamav_client.clamd import ClamdError, ClamdNetworkSocket, ClamdUnixSocket
from django.conf import settings

log = logging.getLogger(__name__)


class ScannerUnavailable(Exception):
    """clamd is configured but gave no verdict (down, timed out, refused the stream, or answered ERROR)."""


def scanner_is_configured() -> bool:
    return bool(settings.CLAMD_SOCKET or settings.CLAMD_HOST)


def _client() -> ClamdNetworkSocket:
    if settings.CLAMD_SOCKET:
        return ClamdUnixSocket(path=settings.CLAMD_SOCKET, timeout=settings.CLAMD_TIMEOUT)
    return ClamdNetworkSocket(host=settings.CLAMD_HOST, port=settings.CLAMD_PORT, timeout=settings.CLAMD_TIMEOUT)


def upload_scan(upload, *, label: str = "") -> str | None:
    """The name of the signature clamd found in `upload`, or None if it is clean or scanning is off.

    Raises ScannerUnavailable when a configured clamd cannot give a verdict, and logs why: the caller
    refuses the upload rather than store a file nobody checked.
    """
    if not scanner_is_configured():
        return None
    upload.seek(0)
    try:
        result = _client().instream(upload)
    except (ClamdError, OSError) as error:
        # ClamdError covers a refused or dropped connection, a timeout and "INSTREAM size limit exceeded".
        log.error("Malware scan failed for %s: %s", label or "an upload", error)
        raise ScannerUnavailable(str(error)) from error
    finally:
        upload.seek(0)
    status, signature = result.get("stream", (None, None))
    if status == "FOUND":
        log.warning("Malware scan found %s in %s; upload refused", signature, label or "an upload")
        return signature
    if status == "OK":
        return None
    log.error("Malware scan of %s gave no verdict: %r", label or "an upload", result)
    raise ScannerUnavailable(repr(result))
