"""View decorators: a signed-in member is required; domain refusals become the right HTTP answer."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase

from peyvand.core.errors import NotFoundError, PermissionDeniedError

View = Callable[..., HttpResponseBase]


def member_required(view: View) -> View:
    """Require a signed-in, active member; NotFoundError → 404 and PermissionDeniedError → 403 pages."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request, "member", None) is None:
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except NotFoundError as error:
            raise Http404(error.message) from error
        except PermissionDeniedError as error:
            raise PermissionDenied(error.message) from error

    return wrapper
