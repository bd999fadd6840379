"""JSON errors everywhere: one body shape for every 4xx the API answers.

Every error body carries ``detail`` (a human sentence, always a string) and ``code`` (a stable
machine string: DRF's ``default_code`` such as ``invalid``, ``not_found``,
``not_authenticated``, ``permission_denied``, ``throttled``, or a :class:`ServiceError`'s code
such as ``out_of_stock``). Field messages stay where DRF puts them, at the top level::

    {"detail": "Invalid input.", "code": "invalid", "quantity": ["Ensure this value ..."]}
    {"detail": "Not found.", "code": "not_found"}

A field called ``detail`` or ``code`` would be shadowed by these two keys; none exists.
The schema documents this body once, as the ``Error`` component (storefront/schema.py).
A crash (DEBUG off) answers it too, as ``{"detail": "server error", "code": "server_error"}``
with status 500 (``storefront.views.server_error``, the root URLconf's ``handler500``).
"""

from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

# Ids beyond this are no row: they fit every database's integer column, while a larger one
# overflows it (a 500 instead of the 404 or 400 the client should see).
ID_MAX = 2**53


def id_in_range(value: int) -> bool:
    return 0 < value <= ID_MAX


class ServiceError(Exception):
    """A business rule refused the request; maps to HTTP 400 (or ``status``) with a message."""

    def __init__(
        self, message: str, *, field: str | None = None, status: int = 400, code: str = "invalid"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
        self.code = code


def _join(messages: list[str]) -> str:
    """One sentence from several messages ("A. B." or "a; b" when they lack a full stop)."""
    texts = [m.strip() for m in messages if m.strip()]
    if all(t.endswith((".", "!", "?")) for t in texts):
        return " ".join(texts)
    return "; ".join(texts)


def _flat_strings(value: Any) -> list[str] | None:
    """The messages of a flat list of strings, else None (nested serializer errors)."""
    if isinstance(value, list) and all(isinstance(m, str) for m in value):
        return [str(m) for m in value]
    return None


def _code_of(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, exceptions.ErrorDetail) and detail.code:
        return str(detail.code)
    return str(exc.default_code)


def error_body(exc: exceptions.APIException, data: Any) -> dict[str, Any]:
    """``data`` (DRF's body for ``exc``) with ``detail`` and ``code`` added."""
    code = _code_of(exc)
    default = str(exc.default_detail)
    if isinstance(data, list):  # ValidationError("msg") raised outside a serializer's fields
        return {"detail": _join(_flat_strings(data) or []) or default, "code": code}
    if not isinstance(data, dict):
        return {"detail": str(data) or default, "code": code}
    fields = {key: value for key, value in data.items() if key not in ("detail", "code")}
    detail = data.get("detail")
    listed = _flat_strings(detail)
    if listed is not None:  # {"detail": [...]}: a Django ValidationError without fields
        detail = _join(listed)
    if not isinstance(detail, str) or not detail:
        non_field_keys = (api_settings.NON_FIELD_ERRORS_KEY, NON_FIELD_ERRORS)
        non_field = [
            message for key in non_field_keys for message in (_flat_strings(fields.get(key)) or [])
        ]
        only_non_field = bool(fields) and set(fields) <= set(non_field_keys)
        detail = _join(non_field) if only_non_field and non_field else default
    return {"detail": detail, "code": code, **fields}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body[exc.field] = [exc.message]
        return Response(body, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, Http404):  # as DRF's own handler maps it, but here, to add the code
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        # Django's own answer to these is an HTML 400 page: say it in the API's error body
        exc = exceptions.ParseError(str(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = error_body(exc, response.data)
    return response
