"""The batches an import writes through keep the rules of the services they stand beside.

``ActionBatch.add`` and ``NeedBatch.add`` check in memory what ``action_create`` and
``need_create`` check with queries. For each case the two must agree: the same error
(class, message, field) or the same saved values.
"""

import pytest
from django.utils import timezone

from actions import services as action_services
from actions.models import Action
from learning import services as learning_services
from learning.models import LearningNeed
from programmes.models import Gap

from .. import factories as f

pytestmark = pytest.mark.django_db


def outcome(call, **fields):
    try:
        obj = call(**fields)
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return (type(exc).__name__, getattr(exc, "message", None) or str(exc),
                getattr(exc, "field", None))
    return obj


def gap_of(programme, partner, item):
    return Gap.objects.create(programme=programme, partner=partner, checklist_item=item,
                              principle=item.principle, severity="high",
                              opened_at=timezone.now())


ACTION_FIELDS = ("title", "status", "priority", "owner_id", "owner_partner_id", "gap_id",
                 "completed_at", "created_by_id")


def action_cases(world):
    elsewhere = f.ProgrammeFactory(framework=world.framework, partners=[world.partner_a])
    stranger = f.PartnerFactory(name="Not in the programme")
    return {
        "plain": {"title": "Plain"},
        "done": {"title": "Done", "status": "done"},
        "owner's partner by default": {"title": "Owned", "owner": world.lead_b},
        "owner not a member": {"title": "Outsider", "owner": world.outsider},
        "reviewer owner": {"title": "Reviewer", "owner": world.reviewer},
        "provider owner": {"title": "Provider", "owner": world.provider_user},
        "manager owner": {"title": "Manager", "owner": world.manager},
        "staff owner": {"title": "Staff", "owner": world.staff},
        "partner not in programme": {"title": "Stranger", "owner_partner": stranger},
        "gap of another programme": {
            "title": "Other gap", "gap": gap_of(elsewhere, world.partner_a, world.items[0])},
        "gap of this programme": {
            "title": "Gap", "gap": gap_of(world.programme, world.partner_a, world.items[1])},
        "title too long": {"title": "x" * 301},
        "no title": {"title": ""},
        "unknown status": {"title": "Odd", "status": "finished"},
        "unknown field": {"title": "Odd", "colour": "blue"},
    }


def test_action_batch_agrees_with_action_create(world):
    for name, fields in action_cases(world).items():
        # given the same new action, checked by the batch and created by the service
        batch = action_services.ActionBatch(programme=world.programme,
                                            actor=world.manager)
        checked = outcome(batch.add, **fields)
        created = outcome(action_services.action_create, programme=world.programme,
                          actor=world.manager, **fields)

        # then both refuse it the same way, or both keep the same values
        if isinstance(created, Action):
            assert isinstance(checked, Action), (name, checked)
            saved = batch.save()[0]
            assert [getattr(saved, n) is None for n in ACTION_FIELDS] == [
                getattr(created, n) is None for n in ACTION_FIELDS], name
            assert [getattr(saved, n) for n in ACTION_FIELDS if n != "completed_at"] == [
                getattr(created, n) for n in ACTION_FIELDS if n != "completed_at"], name
            assert saved.history.count() == created.history.count() == 1, name
        else:
            assert checked == created, name


NEED_FIELDS = ("partner_id", "gap_id", "principle_id", "staff_group", "topic",
               "workers_count", "status")


def test_need_batch_agrees_with_need_create(world):
    elsewhere = f.ProgrammeFactory(framework=world.framework, partners=[world.partner_a])
    other_framework = f.PrincipleFactory(number=9)
    base = {"staff_group": "Care workers", "topic": "Dementia", "workers_count": 3}
    cases = {
        "plain": {"partner": world.partner_a, **base},
        "principle": {"partner": world.partner_a, "principle": world.principles[1], **base},
        "principle of another framework": {
            "partner": world.partner_a, "principle": other_framework, **base},
        "partner not in programme": {"partner": f.PartnerFactory(name="Stranger"), **base},
        "gap gives the principle": {
            "partner": world.partner_a,
            "gap": gap_of(world.programme, world.partner_a, world.items[2]), **base},
        "gap of another partner": {
            "partner": world.partner_b,
            "gap": gap_of(world.programme, world.partner_a, world.items[3]), **base},
        "gap of another programme": {
            "partner": world.partner_a,
            "gap": gap_of(elsewhere, world.partner_a, world.items[0]), **base},
        "no workers": {"partner": world.partner_a, **base, "workers_count": 0},
        "no topic": {"partner": world.partner_a, **base, "topic": ""},
    }
    for name, fields in cases.items():
        batch = learning_services.NeedBatch(actor=world.manager, programme=world.programme)
        checked = outcome(batch.add, **fields)
        created = outcome(learning_services.need_create, actor=world.manager,
                          programme=world.programme, **fields)
        if isinstance(created, LearningNeed):
            assert isinstance(checked, LearningNeed), (name, checked)
            saved = batch.save()[0]
            assert [getattr(saved, n) for n in NEED_FIELDS] == [
                getattr(created, n) for n in NEED_FIELDS], name
            assert saved.history.count() == 1, name
        else:
            assert checked == created, name
