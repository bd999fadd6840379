"""JSON errors everywhere: DRF's field messages for 400s, and Django errors mapped to 4xx."""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
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
        exc = Http404()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)
