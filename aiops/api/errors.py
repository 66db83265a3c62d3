"""One error body for every API failure, and the one place service errors become HTTP.

`{"error": {"code", "message", "fields"?}}`. Beyond DRF's own exceptions:
- Django's `ValidationError` (raised by services and model validation) → 400 with field paths;
- `aiops.exceptions.ActionRefused` (and its per-app subclasses) → 409 with its code;
- `IntegrityError` (a unique constraint lost to a concurrent or duplicate write) → 409;
- `DataError` (a value the database cannot store: out of range, NUL in text) → 400.
The database's own message ("failing row contains ...") is never put in the body or the log.
"""
import logging

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from aiops.exceptions import ActionRefused

logger = logging.getLogger(__name__)


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return body


def validation_fields(exc: DjangoValidationError) -> dict:
    """A Django ValidationError as {field: [messages]} (`non_field_errors` for the rest)."""
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if key == "__all__" else key): value for key, value in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


def _translate(exc):
    """Service and database exceptions → the DRF exception that says the same thing."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(validation_fields(exc))
    if isinstance(exc, ActionRefused):
        error = exceptions.APIException(str(exc) or "The object's state does not allow this.", code=exc.code)
        error.status_code = status.HTTP_409_CONFLICT
        error.default_code = exc.code
        return error
    if isinstance(exc, IntegrityError):
        logger.info("api write refused by a constraint", extra={"error": type(exc.__cause__ or exc).__name__})
        error = exceptions.APIException("This conflicts with an existing object (e.g. a name or slug already used).",
                                        code="conflict")
        error.status_code = status.HTTP_409_CONFLICT
        error.default_code = "conflict"
        return error
    if isinstance(exc, DataError):
        logger.info("api write refused by the database", extra={"error": type(exc.__cause__ or exc).__name__})
        error = exceptions.ValidationError("A value cannot be stored (out of range or containing a NUL character).")
        error.default_code = "invalid"
        return error
    return exc


def exception_handler(exc, context):
    if isinstance(exc, ImproperlyConfigured):
        raise exc
    translated = _translate(exc)
    if translated is not exc:
        set_rollback()
        if isinstance(exc, DatabaseError) and connection.in_atomic_block:
            # The transaction is unusable after a database error: roll back to the write's savepoint.
            transaction.set_rollback(True)
    exc = translated
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    detail = response.data
    if isinstance(detail, dict) and set(detail) != {"detail"}:
        message = "The request is invalid; see fields."
        fields = detail
        code = "invalid"
    else:
        message = str(detail.get("detail", detail)) if isinstance(detail, dict) else str(detail)
        fields = None
        if isinstance(detail, list):
            message = "; ".join(str(d) for d in detail)
    response.data = error_body(code, message, fields)
    return response


def not_found() -> Response:
    return Response(error_body("not_found", "Not found."), status=status.HTTP_404_NOT_FOUND)
