"""`Idempotency-Key` on API POSTs: the first answer is stored and replayed for the same key and caller.

Scoped by credential (a hash of the bearer token or session cookie), so keys of different callers never
meet. The same key with a different body is refused (422); a retry while the first is still running gets
409. Records older than a day no longer count and are deleted by the housekeeping task.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.core.models import IdempotencyRecord

KEEP = datetime.timedelta(hours=24)


def _credential(request: HttpRequest) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth:
        return hashlib.sha256(auth.encode()).hexdigest()
    session = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    return hashlib.sha256(f"session:{session}".encode()).hexdigest() if session else None


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "fields": {"Idempotency-Key": [message]}}, status=status
    )


def _request_hash(request: HttpRequest) -> str:
    """The body's SHA-256. An upload (multipart, on PEYVAND_UPLOAD_PATHS) is hashed from its parsed parts,
    files read in chunks: its body may be far larger than what `request.body` holds in memory."""
    if request.content_type == "multipart/form-data" and request.path_info.startswith(
        settings.PEYVAND_UPLOAD_PATHS
    ):
        digest = hashlib.sha256(b"multipart")
        try:
            fields, files = sorted(request.POST.lists()), sorted(request.FILES.lists())
        except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
            return digest.hexdigest()  # the view answers the broken body
        for name, values in fields:
            digest.update(repr((name, values)).encode())
        for name, uploads in files:
            for upload in uploads:
                digest.update(repr((name, upload.name, upload.size)).encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
        return digest.hexdigest()
    return hashlib.sha256(request.body).hexdigest()


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key or not request.path_info.startswith("/api/"):
            return self.get_response(request)
        credential = _credential(request)
        if credential is None:
            return self.get_response(request)
        if len(key) > 200:
            return _error("validation_error", _("Idempotency-Key is too long (200 characters at most)."), 422)
        body_hash = _request_hash(request)
        # Only this key's expired record: the table-wide clean-up is the hourly housekeeping task's job.
        IdempotencyRecord.objects.filter(
            credential=credential, key=key, created_at__lt=timezone.now() - KEEP
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    credential=credential,
                    key=key,
                    method=request.method,
                    path=request.path[:500],
                    request_hash=body_hash,
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(credential=credential, key=key).first()
            if existing is None:
                return self.get_response(request)
            if existing.request_hash != body_hash or existing.path != request.path[:500]:
                return _error(
                    "idempotency_mismatch", _("This Idempotency-Key was used with a different request."), 422
                )
            if existing.status_code is None:
                return _error(
                    "idempotency_in_progress",
                    _("A request with this Idempotency-Key is still being processed."),
                    409,
                )
            response = HttpResponse(
                bytes(existing.body),
                status=existing.status_code,
                content_type=existing.content_type or "application/json",
            )
            response.headers["Idempotent-Replayed"] = "true"
            return response
        response = self.get_response(request)
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            record.delete()  # not a final answer: let the client retry with the same key
        else:
            IdempotencyRecord.objects.filter(pk=record.pk).update(
                status_code=response.status_code,
                content_type=response.headers.get("Content-Type", ""),
                body=response.content,
            )
        return response
