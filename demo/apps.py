from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data of ``make run``; it sits above every other app and owns no models."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
