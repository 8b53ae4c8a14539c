"""What a failed read or write of a stored file raises, whichever storage ATTACHMENT_STORAGE chose.

The filesystem storage raises OSError (disk full, read-only, no permission). The S3 storage raises
botocore's errors, which are not OSError: code that turns a storage failure into "try again later"
(intake.services.attachment_add) or logs it and goes on (retention, subject access) catches this tuple,
so an object store that is down is handled as a full disk is, not as a 500.
"""

from __future__ import annotations

STORAGE_ERRORS: tuple[type[BaseException], ...] = (OSError,)

try:  # botocore comes with django-storages[s3]; without it, only the filesystem storage exists.
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - installed with the project's dependencies
    pass
else:
    STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)
