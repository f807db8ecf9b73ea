from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "peyvand.deals"
    label = "deals"
    verbose_name = _("Deals")

    def ready(self) -> None:
        from peyvand.deals import registry  # noqa: F401  (entities, recycle bin)
