"""The one NinjaAPI of Peyvand, mounted at /api/v1/."""

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from peyvand.accounts.api import router as accounts_router
from peyvand.core.api import SessionAuth, TokenAuth, install_error_handlers

api = NinjaAPI(
    title="Peyvand API",
    version="1",
    description=str(
        _(
            "REST API of Peyvand. Authenticate with `Authorization: Bearer <token>` (create a personal token "
            "in Settings → API tokens or with `peyvand token create`) or with the browser session plus the "
            "X-CSRFToken header. Lists use keyset pagination (`limit`, `cursor` → `next_cursor`). Errors are "
            "`{code, message, fields}`. PATCH accepts `If-Match: <version>`; POST honours `Idempotency-Key`."
        )
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/", "peyvand.contacts.api_merges.router")  # before /contacts/{contact_id}
api.add_router("/", "peyvand.contacts.api.router")
api.add_router("/", "peyvand.contacts.api_imports.router")
api.add_router("/", "peyvand.contacts.api_views.router")
api.add_router("/", "peyvand.deals.api.router")
