"""Structured logging: `extra={...}` fields appear as JSON keys or as key=value pairs."""
import json
import logging

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "extra_fields"}


def _extras(record: logging.LogRecord) -> dict:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}


class RedactSecretsFilter(logging.Filter):
    """Masks hook tokens and URL passwords in every record (access logs name the request path).

    Formats the message once, redacts it and drops the arguments, so a token passed as an argument
    (Django's and gunicorn's request lines) is masked as well as one in the format string.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from .redaction import redact_text

        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug, not a reason to drop the line
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = _extras(record)
        record.extra_fields = "".join(f" {k}={v}" for k, v in extras.items())
        return super().format(record)
