from django.apps import AppConfig


class ActionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "actions"

    def ready(self):
        from notifications import audience

        from . import reminders

        audience.register_check("action", reminders.still_told_about_actions)
