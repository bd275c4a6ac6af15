"""Log hygiene: no bearer token ever reaches a log line, whatever logger or handler it goes to."""

from __future__ import annotations

import logging
import re
from typing import Any

_SECRETS = re.compile(r"(?i)(bearer\s+)[^\s'\"]+|tnr_[A-Za-z0-9_\-]{8,}")
_installed = False


def redact(text: str) -> str:
    """Bearer tokens and registry tokens replaced by a marker."""
    return _SECRETS.sub(lambda m: (m.group(1) or "") + "[redacted]", text)


def install_redaction() -> None:
    """Redact secrets in every log record (once per process)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string stays as logging would report it
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
