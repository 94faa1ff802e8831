from django.apps import AppConfig


class ScaleConfig(AppConfig):
    """Generated data sets for benchmarks and load tests; owns no models."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "scale"
