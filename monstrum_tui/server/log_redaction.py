"""Keep secrets out of log lines: API keys and bearer tokens are masked by every handler.

The server never logs a key on purpose; this is the net under the code paths that
might by accident (an exception message, a malformed request echoed by uvicorn).
"""

from __future__ import annotations

import logging
import re

from .redaction import redact_known

_SECRET_PATTERNS = (
    # API keys: mst_ and the random part
    (re.compile(r"mst_[A-Za-z0-9_\-]{4,}"), "mst_***"),
    # anything sent as a bearer token, ours or not
    (re.compile(r"(?i)(bearer\s+)[^\s'\",;]+"), r"\1***"),
)
_FORMATTER = logging.Formatter()


def redact(text: str) -> str:
    """``text`` with every API key, bearer token and known credential replaced by ``***``."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return redact_known(text)


class SecretRedactingFilter(logging.Filter):
    """A handler filter that masks secrets in the message and in the traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


#: libraries whose INFO lines carry request URLs (a credential in a query string)
QUIET_LOGGERS = ("httpx", "httpcore", "mcp", "urllib3")


def install_log_redaction() -> None:
    """Add the filter to every handler configured so far (root, uvicorn's, ours), and keep
    libraries that log request URLs at WARNING."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers += [
        logger for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, SecretRedactingFilter) for f in handler.filters):
                handler.addFilter(SecretRedactingFilter())
