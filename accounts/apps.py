from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Sign-in, tokens and sessions"

    def ready(self):
        from . import sessions  # noqa: F401  (connects the sign-in receivers)
