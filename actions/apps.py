from django.apps import AppConfig


class ActionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "actions"

    def ready(self):
        from notifications import audience
        from programmes.signals import gap_actions_decided

        from . import reminders
        from .services import apply_gap_decision

        gap_actions_decided.connect(apply_gap_decision, dispatch_uid="actions.apply_gap_decision")
        audience.register_check("action", reminders.still_told_about_actions)
