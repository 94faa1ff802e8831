from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: domain errors, versioning, API pieces and security."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from . import security  # noqa: F401 - connects the failed sign-in and lock-out logs
        from .api.messages import use_plain_field_messages

        # before any serializer module is imported: fields copy their messages when made
        use_plain_field_messages()
