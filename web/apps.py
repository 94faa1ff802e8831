from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web pages' shared pieces: layout, sign-in, the programme list."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "web"
