"""Co-production in figures: ``coproduced_share`` and contributions by perspective."""

import datetime

import pytest

from programmes import contributions, services
from programmes.models import ProgressSnapshot, Response
from programmes.snapshots import snapshot_take
from tests import factories as f
from tests.test_list_query_counts import get_counting

pytestmark = pytest.mark.django_db


def _rated_and_submitted(world, partner, lead, perspectives, ratings, item=None):
    """A draft of ``partner`` rated by one new person per perspective, then submitted."""
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=partner)
    item = item or world.items[0]
    for n, (perspective, rating) in enumerate(zip(perspectives, ratings, strict=True)):
        user = f.UserFactory(username=f"voice-{partner.pk}-{n}")
        contributions.contributor_add(actor=lead, assessment=assessment, user=user,
                                      perspective=perspective, checklist_items=[item])
        contributions.contribution_save(actor=user, assessment=assessment,
                                        checklist_item=item, rating=rating, comment="Seen it")
    f.answer_the_rest(assessment, "met")
    if contributions.needing_consensus(assessment):
        response = Response.objects.get(assessment=assessment, checklist_item=item)
        services.response_update(actor=lead, response=response, rating="partly_met",
                                 consensus_note="We agreed on partly met together.")
    services.assessment_submit(actor=lead, assessment=assessment)
    return assessment


def _principle(body, number):
    return next(p for p in body["principles"] if p["number"] == number)


def test_three_voices_with_a_person_supported_raise_the_share_in_the_next_read(api, world):
    # given partner B has submitted an assessment with staff voices only
    _rated_and_submitted(world, world.partner_b, world.lead_b, ["staff"], ["met"])
    client = api.as_user(world.manager)
    url = f"/api/v1/programmes/{world.programme.pk}/progress/"
    before = client.get(url).json()
    assert _principle(before, 1)["coproduced_share"] == 0.0
    assert before["overall"]["contributions"]["staff"] == 1

    # when three people (one a person supported) rate an item of principle 1 for partner A,
    # split, and the lead records the agreed rating and submits
    _rated_and_submitted(world, world.partner_a, world.lead_a,
                         ["staff", "person_supported", "carer"], ["met", "partly_met", "not_met"])

    # then the next read shows principle 1 co-produced in one of the two assessments
    after = client.get(url).json()
    first, second = _principle(after, 1), _principle(after, 2)
    assert first["coproduced_share"] == 50.0
    assert second["coproduced_share"] == 0.0
    assert after["overall"]["coproduced_share"] == 50.0
    assert first["contributions"] == {"staff": 2, "manager": 0, "person_supported": 1,
                                      "carer": 1, "partner_organisation": 0, "other": 0}
    assert second["contributions"]["staff"] == 0

    # and for partner A alone the whole of principle 1 is co-produced
    mine = client.get(url, {"partner": world.partner_a.pk}).json()
    assert _principle(mine, 1)["coproduced_share"] == 100.0
    assert mine["overall"]["contributions"]["staff"] == 1
    theirs = client.get(url, {"partner": world.partner_b.pk}).json()
    assert theirs["overall"]["coproduced_share"] == 0.0


def test_no_submitted_assessment_gives_no_share(api, world):
    # given a draft with a carer's rating, not submitted
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    carer = f.UserFactory(username="carer")
    contributions.contributor_add(actor=world.lead_a, assessment=assessment, user=carer,
                                  perspective="carer", checklist_items=[world.items[0]])
    contributions.contribution_save(actor=carer, assessment=assessment,
                                    checklist_item=world.items[0], rating="met")
    body = api.as_user(world.manager).get(
        f"/api/v1/programmes/{world.programme.pk}/progress/").json()
    # then nothing counts: the draft is not what the score reads
    assert body["overall"]["coproduced_share"] is None
    assert _principle(body, 1)["coproduced_share"] is None
    assert body["overall"]["contributions"]["carer"] == 0


def test_the_snapshot_keeps_the_share_and_history_reads_old_ones(api, world):
    _rated_and_submitted(world, world.partner_a, world.lead_a, ["carer"], ["met"])
    day = datetime.date(2026, 11, 30)
    snapshot_take(programme=world.programme, day=day)
    overall = ProgressSnapshot.objects.get(programme=world.programme, scope="all:overall")
    assert overall.figures["coproduced_share"] == 100.0
    assert overall.figures["contributions"]["carer"] == 1
    # a snapshot taken before the figure existed reads as null
    old = dict(overall.figures)
    del old["coproduced_share"], old["contributions"]
    ProgressSnapshot.objects.filter(pk=overall.pk).update(figures=old)
    body = api.as_user(world.manager).get(
        f"/api/v1/programmes/{world.programme.pk}/progress/history/").json()
    assert body[0]["overall"]["coproduced_share"] is None
    assert body[0]["principles"][0]["coproduced_share"] == 100.0


def test_contributions_do_not_add_queries_per_partner(api, world):
    client = api.as_user(world.manager)
    url = f"/api/v1/programmes/{world.programme.pk}/progress/"
    client.get(url)
    _, few = get_counting(client, url, {})
    _rated_and_submitted(world, world.partner_a, world.lead_a, ["carer", "staff"], ["met", "met"])
    _rated_and_submitted(world, world.partner_b, world.lead_b, ["person_supported"], ["met"])
    _, many = get_counting(client, url, {})
    assert len(many) == len(few)
