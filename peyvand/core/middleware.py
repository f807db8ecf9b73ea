"""Cross-cutting HTTP guards: security headers and request-size limits."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


class SecurityHeadersMiddleware:
    """Headers Django does not set by itself (CSP comes from django-csp)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class BodySizeLimitMiddleware:
    """Refuse bodies over PEYVAND_MAX_BODY_BYTES with 413 before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.PEYVAND_MAX_BODY_BYTES
        upload = request.path_info.startswith(settings.PEYVAND_UPLOAD_PATHS)
        if upload:
            limit = settings.PEYVAND_MAX_UPLOAD_BYTES
        try:
            too_big = int(length) > limit
        except ValueError:
            too_big = False
        if too_big:
            message = _("The request body is too large (at most %(size)s bytes).") % {"size": limit}
            if request.path_info.startswith("/api/"):
                fields = {"file": [message]} if upload else {}  # an upload's body is its file
                return JsonResponse(
                    {"code": "payload_too_large", "message": message, "fields": fields}, status=413
                )
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
