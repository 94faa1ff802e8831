"""Each existing offer becomes one session with the offer's dates, place and capacity;
its placements book that session. Each allocation learns whose cap it draws on."""

import datetime
from zoneinfo import ZoneInfo

from django.db import migrations

LONDON = ZoneInfo("Europe/London")


def _at(day, hour, minute):
    if day is None:
        return None
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


def forwards(apps, schema_editor):
    TrainingOffer = apps.get_model("learning", "TrainingOffer")
    TrainingSession = apps.get_model("learning", "TrainingSession")
    Placement = apps.get_model("learning", "Placement")
    FundingAllocation = apps.get_model("learning", "FundingAllocation")
    for offer in (TrainingOffer.objects.filter(sessions__isnull=True).order_by("pk")
                  .iterator()):
        session = TrainingSession.objects.create(
            offer=offer,
            starts_at=_at(offer.start_date, 9, 30),
            ends_at=_at(offer.end_date or offer.start_date, 16, 30),
            location=offer.location,
            online=offer.online,
            capacity=offer.capacity,
            places_booked=offer.places_booked,
        )
        Placement.objects.filter(training_offer=offer).update(session=session)
    for allocation in FundingAllocation.objects.select_related(
            "learning_need", "action").iterator():
        partner_id = (allocation.learning_need.partner_id if allocation.learning_need_id
                      else allocation.action.owner_partner_id)
        if partner_id:
            FundingAllocation.objects.filter(pk=allocation.pk).update(partner_id=partner_id)


def backwards(apps, schema_editor):
    apps.get_model("learning", "Placement").objects.update(session=None)
    apps.get_model("learning", "TrainingSession").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("learning", "0004_sessions_approval_funding_rules")]

    operations = [migrations.RunPython(forwards, backwards)]
