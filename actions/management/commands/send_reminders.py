import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from actions.reminders import due_action_reminders
from notifications.services import notify_many, send_pending_emails
from programmes.reminders import due_assessment_reminders


class Command(BaseCommand):
    help = (
        "Run the daily reminder job once: action and assessment reminders that fall due "
        "on the date (today in the service's time zone by default), then send their e-mails. "
        "Running it again for the same date creates nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The day to run for, YYYY-MM-DD.")
        parser.add_argument(
            "--no-email", action="store_true", help="Leave the e-mails to the worker."
        )

    def handle(self, *args, date=None, no_email=False, **options):
        try:
            day = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD: {exc}") from exc
        actions = notify_many(due_action_reminders(day))
        assessments = notify_many(due_assessment_reminders(day))
        self.stdout.write(
            f"{day}: {actions} action reminder(s) and {assessments} assessment reminder(s) created"
        )
        if not no_email:
            total = 0
            while sent := send_pending_emails():
                total += sent
            self.stdout.write(f"{total} e-mail(s) sent")
