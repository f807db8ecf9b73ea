from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "peyvand.contacts"
    label = "contacts"
    verbose_name = "Contacts"

    def ready(self) -> None:
        from peyvand.contacts import registry  # noqa: F401  (entities, bin, tags, consumers)
