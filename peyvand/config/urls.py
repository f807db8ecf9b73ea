"""URL map: the web UI, the API at /api/v1/, and a health check."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from peyvand.accounts import views as account_views
from peyvand.config.api import api


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("", include("peyvand.accounts.urls")),
    path("", include("peyvand.core.urls")),
]

handler404 = "peyvand.core.views.not_found"
handler403 = "peyvand.core.views.forbidden"
handler500 = "peyvand.core.views.server_error"
