"""Check the progress tally against the figures counted from the source rows.

    manage.py check_progress_tally              every programme; exit 1 on a difference
    manage.py check_progress_tally --programme 7
    manage.py check_progress_tally --repair     count the tally again where it differs
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from programmes import tally
from programmes.models import Programme
from programmes.progress import partners_progress, programme_progress


def differences(programme: Programme, today) -> list[str]:
    """Where the tally's figures and the source rows' disagree (empty when they agree)."""
    def strip(figures: dict) -> dict:
        return {k: v for k, v in figures.items() if k != "as_of"}

    found = []
    kept = programme_progress(programme=programme, today=today)
    counted = programme_progress(programme=programme, today=today, from_source=True)
    if strip(kept) != strip(counted):
        found.append(f"programme {programme.pk}: the tally says {strip(kept)['overall']}, "
                     f"the rows say {strip(counted)['overall']}")
    kept_partners = partners_progress(programme=programme, today=today)
    counted_partners = partners_progress(programme=programme, today=today, from_source=True)
    for partner_id, figures in counted_partners.items():
        if strip(kept_partners[partner_id]) != strip(figures):
            found.append(f"programme {programme.pk}, partner {partner_id}: the tally says "
                         f"{kept_partners[partner_id]['overall']}, the rows say "
                         f"{figures['overall']}")
    return found


class Command(BaseCommand):
    help = "Check the progress tally against the source rows (and repair it with --repair)."

    def add_arguments(self, parser):
        parser.add_argument("--programme", type=int, help="Check this programme only.")
        parser.add_argument("--repair", action="store_true",
                            help="Count the tally of a programme that differs again.")

    def handle(self, *args, programme=None, repair=False, **options):
        today = timezone.localdate()
        programmes = Programme.objects.order_by("pk")
        if programme is not None:
            programmes = programmes.filter(pk=programme)
            if not programmes.exists():
                raise CommandError(f"There is no programme with id {programme}.")
        wrong = 0
        for each in programmes:
            found = differences(each, today)
            if not found:
                continue
            wrong += 1
            for line in found[:20]:
                self.stderr.write(line)
            if repair:
                with transaction.atomic():
                    tally.rebuild(each.pk)
                still = differences(each, today)
                self.stdout.write(f"Programme {each.pk}: tally counted again"
                                  + (f"; {len(still)} differences remain" if still else "."))
                if still:
                    raise CommandError(f"Programme {each.pk} still differs after the repair.")
        if wrong and not repair:
            raise CommandError(f"The tally differs from the source rows in {wrong} "
                               "programme(s): run with --repair to count it again.")
        self.stdout.write(f"The progress tally agrees with the source rows "
                          f"({programmes.count()} programme(s)).")
