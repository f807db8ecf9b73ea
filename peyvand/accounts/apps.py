from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "peyvand.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from peyvand.accounts import consumers, services  # noqa: F401  (registers consumers, bin entities)
