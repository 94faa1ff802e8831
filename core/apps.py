from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: domain errors, versioning, API pieces and security."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from . import security  # noqa: F401 - connects the failed sign-in and lock-out logs
