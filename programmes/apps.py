from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "programmes"

    def ready(self):
        from notifications import audience

        from . import reminders

        audience.register_check("cycle", reminders.still_told_about_cycles)
