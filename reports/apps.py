from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Highlight reports and joint commissioning: reads across programmes, actions and
    learning, at the top of the project."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self):
        from notifications import digest

        from . import attachments, weekly

        digest.register_attachments(attachments.highlight_reports_for_managers)
        digest.register_sections(weekly.week_changes_for_managers)
        digest.register_sections(weekly.overdue_by_partner_for_managers)
        digest.register_sections(attachments.successes_for_managers)
        digest.register_programmes(weekly.managed_programme_names)
        digest.register_recipients(weekly.managers_of_active_programmes)
