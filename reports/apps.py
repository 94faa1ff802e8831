from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Highlight reports and joint commissioning: reads across programmes, actions and
    learning, at the top of the project."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self):
        from notifications import digest

        from . import attachments

        digest.register_attachments(attachments.highlight_reports_for_managers)
        digest.register_sections(attachments.successes_for_managers)
