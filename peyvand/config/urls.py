"""URL map: the web UI, the API at /api/v1/, and a health check."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _

from peyvand.accounts import views as account_views
from peyvand.config.api import api


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Unknown API paths answer with the API's error envelope, not the HTML 404 page."""
    return JsonResponse(
        {"code": "not_found", "message": str(_("No such API endpoint.")), "fields": {}}, status=404
    )


urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
    path("", include("peyvand.contacts.urls")),
    path("", include("peyvand.accounts.urls")),
]

handler404 = "peyvand.core.views.not_found"
handler403 = "peyvand.core.views.forbidden"
handler500 = "peyvand.core.views.server_error"
