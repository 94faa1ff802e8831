"""The pages for changes the API already made: a gap's details, a gap opened by hand,
who took part in an assessment, a partner's details and a person's role. Each is shown
to the roles its service allows and refused (403, or 404 for what is unseen) to the
rest; posting it makes the change through the service, and bad input is a 400 in plain
English with nothing changed."""

import pytest
from django.urls import reverse

from programmes import services as programme_services
from programmes.models import Gap, Membership, Partner

from .. import factories as f

pytestmark = pytest.mark.django_db

Role = Membership.Role

ROLES = ["manager", "lead_a", "lead_b", "provider_user", "reviewer", "outsider", "staff"]
MANAGERS = {"manager", "staff"}
PARTNER_A = {"manager", "lead_a", "staff"}


def _as(client, world, role):
    client.force_login(getattr(world, role))
    return client


def _refused(status, role):
    return status == (404 if role == "outsider" else 403)


@pytest.fixture
def gap(world):
    return programme_services.gap_create(actor=world.manager, programme=world.programme,
                                         partner=world.partner_a,
                                         checklist_item=world.items[0], severity="high")


@pytest.fixture
def draft(world):
    return f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)


@pytest.fixture
def reviewer_membership(world):
    return Membership.objects.get(programme=world.programme, user=world.reviewer)


# A gap's details ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_gap_page_offers_its_change_to_managers_and_the_partners_leads(
        client, world, gap, role):
    # given someone of each role, when they open the gap and its change page
    _as(client, world, role)
    page = client.get(reverse("web:gap", args=[gap.pk]))
    form = client.get(reverse("web:gap-edit", args=[gap.pk]))

    # then only managers and partner A's leads see the link and get the form
    edit = reverse("web:gap-edit", args=[gap.pk])
    if role in PARTNER_A:
        assert edit in page.content.decode()
        assert form.status_code == 200
        assert "Change the gap" in form.content.decode()
    else:
        assert edit not in page.content.decode()
        assert _refused(form.status_code, role)


@pytest.mark.parametrize("role", sorted(PARTNER_A))
def test_a_gaps_severity_and_notes_change_on_its_page(client, world, gap, role):
    # when someone allowed saves a new severity and notes
    answer = _as(client, world, role).post(reverse("web:gap-edit", args=[gap.pk]), {
        "severity": "medium", "description": "Only the night staff lack it",
        "version": gap.version})

    # then the gap has them, its history names them, and the gap page shows the notes
    assert answer.status_code == 302
    gap.refresh_from_db()
    assert (gap.severity, gap.description) == ("medium", "Only the night staff lack it")
    assert gap.history.latest().history_user == getattr(world, role)
    assert "Only the night staff lack it" in client.get(
        reverse("web:gap", args=[gap.pk])).content.decode()


@pytest.mark.parametrize("role", ["lead_b", "reviewer", "provider_user", "outsider"])
def test_a_gap_change_posted_by_someone_refused_changes_nothing(client, world, gap, role):
    answer = _as(client, world, role).post(reverse("web:gap-edit", args=[gap.pk]), {
        "severity": "medium", "description": "Changed", "version": gap.version})
    assert _refused(answer.status_code, role)
    gap.refresh_from_db()
    assert (gap.severity, gap.description) == ("high", "")


def test_a_gap_changed_since_the_form_was_read_is_not_overwritten(client, world, gap):
    # given someone else changed the gap after the form was read
    stale = gap.version
    programme_services.gap_update(actor=world.manager, gap=gap, description="First")

    # when the lead saves the form they read
    answer = _as(client, world, "lead_a").post(reverse("web:gap-edit", args=[gap.pk]), {
        "severity": "medium", "description": "Second", "version": stale})

    # then the page says so in plain English and the other change stays
    assert answer.status_code == 400
    assert "changed by someone else" in answer.content.decode()
    gap.refresh_from_db()
    assert gap.description == "First"


def test_a_gap_change_needs_a_severity(client, world, gap):
    answer = _as(client, world, "manager").post(reverse("web:gap-edit", args=[gap.pk]), {
        "severity": "", "description": "x", "version": gap.version})
    assert answer.status_code == 400
    assert "Select the severity" in answer.content.decode()


# A gap opened by hand ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_are_offered_a_gap_by_hand(client, world, role):
    _as(client, world, role)
    new = reverse("web:gap-new", args=[world.programme.pk])
    register = client.get(reverse("web:gaps", args=[world.programme.pk]))
    form = client.get(new)
    if role in MANAGERS:
        assert new in register.content.decode()
        assert form.status_code == 200
    else:
        assert new not in register.content.decode()
        assert _refused(form.status_code, role)


def test_a_manager_opens_a_gap_by_hand(client, world):
    # when the manager opens a gap for partner B on an item
    answer = _as(client, world, "manager").post(
        reverse("web:gap-new", args=[world.programme.pk]), {
            "partner": world.partner_b.pk, "checklist_item": world.items[2].pk,
            "severity": "medium", "description": "Agreed at the board"})

    # then the gap is open, on the item's principle, and its page is shown
    gap = Gap.objects.get(partner=world.partner_b, checklist_item=world.items[2])
    assert answer.status_code == 302
    assert answer["Location"] == reverse("web:gap", args=[gap.pk])
    assert (gap.status, gap.severity, gap.principle_id) == (
        "open", "medium", world.items[2].principle_id)


def test_a_second_open_gap_on_the_same_item_is_refused_in_plain_english(client, world, gap):
    answer = _as(client, world, "manager").post(
        reverse("web:gap-new", args=[world.programme.pk]), {
            "partner": world.partner_a.pk, "checklist_item": world.items[0].pk,
            "severity": "medium", "description": ""})
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "nhsuk-error-summary" in body
    assert "constraint" not in body.lower()
    assert Gap.objects.filter(partner=world.partner_a, checklist_item=world.items[0]).count() == 1


def test_a_gap_by_hand_for_an_organisation_outside_the_programme_is_refused(client, world):
    elsewhere = f.PartnerFactory(name="Omega Homes")
    answer = _as(client, world, "manager").post(
        reverse("web:gap-new", args=[world.programme.pk]), {
            "partner": elsewhere.pk, "checklist_item": world.items[0].pk,
            "severity": "high"})
    assert answer.status_code == 400
    assert "Choose one of the programme&#x27;s partners" in answer.content.decode()
    assert not Gap.objects.filter(partner=elsewhere).exists()


# Who took part in an assessment -------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_who_took_part_is_changed_by_those_who_may_answer(client, world, draft, role):
    _as(client, world, role)
    details = reverse("web:assessment-details", args=[draft.pk])
    task_list = client.get(reverse("web:assessment", args=[draft.pk]))
    answer = client.post(details, {"participants": "Ward managers and two carers",
                                   "includes_people_supported": "on"})
    draft.refresh_from_db()
    if role in PARTNER_A:
        assert details in task_list.content.decode()
        assert answer.status_code == 302
        assert (draft.participants, draft.includes_people_supported) == (
            "Ward managers and two carers", True)
        page = client.get(reverse("web:assessment", args=[draft.pk])).content.decode()
        assert "Ward managers and two carers" in page
    else:
        assert details not in task_list.content.decode()
        assert answer.status_code in (403, 404)
        assert (draft.participants, draft.includes_people_supported) == ("", False)


def test_who_took_part_cannot_change_once_submitted(client, world, draft):
    # given a submitted assessment
    f.answer_the_rest(draft, rating="met")
    programme_services.assessment_submit(actor=world.lead_a, assessment=draft)

    # then its page offers no change, and the change page sends the person back
    _as(client, world, "lead_a")
    details = reverse("web:assessment-details", args=[draft.pk])
    assert details not in client.get(reverse("web:assessment", args=[draft.pk])).content.decode()
    answer = client.post(details, {"participants": "Late addition"})
    assert answer.status_code == 302
    draft.refresh_from_db()
    assert draft.participants == ""


# A partner's details ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_change_a_partners_details(client, world, role):
    _as(client, world, role)
    edit = reverse("web:partner-edit", args=[world.programme.pk, world.partner_b.pk])
    partners = client.get(reverse("web:partners", args=[world.programme.pk]))
    answer = client.post(edit, {"name": "Beta NHS Trust", "sector": "nhs_trust",
                                "contact_email": "beta@example.org"})
    partner = Partner.objects.get(pk=world.partner_b.pk)
    if role in MANAGERS:
        assert edit in partners.content.decode()
        assert answer.status_code == 302
        assert (partner.name, partner.contact_email) == ("Beta NHS Trust", "beta@example.org")
    else:
        assert edit not in partners.content.decode()
        assert _refused(answer.status_code, role)
        assert partner.name == "Beta Trust"


def test_a_partner_cannot_take_another_organisations_name(client, world):
    answer = _as(client, world, "manager").post(
        reverse("web:partner-edit", args=[world.programme.pk, world.partner_b.pk]),
        {"name": "Alpha Council", "sector": "nhs_trust", "contact_email": "not an address"})
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "Another organisation in the directory already has this name" in body
    assert "Enter an e-mail address like name@example.org" in body
    assert Partner.objects.get(pk=world.partner_b.pk).name == "Beta Trust"


def test_a_partner_outside_the_programme_has_no_change_page_here(client, world):
    elsewhere = f.PartnerFactory(name="Omega Homes")
    answer = _as(client, world, "manager").get(
        reverse("web:partner-edit", args=[world.programme.pk, elsewhere.pk]))
    assert answer.status_code == 404


# A person's role ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_change_someones_role(client, world, reviewer_membership, role):
    _as(client, world, role)
    edit = reverse("web:membership-edit", args=[reviewer_membership.pk])
    people = client.get(reverse("web:people", args=[world.programme.pk]))
    answer = client.post(edit, {"role": Role.PARTNER_LEAD, "partner": world.partner_b.pk})
    reviewer_membership.refresh_from_db()
    if role in MANAGERS:
        assert edit in people.content.decode()
        assert answer.status_code == 302
        assert (reviewer_membership.role, reviewer_membership.partner_id) == (
            Role.PARTNER_LEAD, world.partner_b.pk)
    else:
        assert edit not in people.content.decode()
        assert _refused(answer.status_code, role)
        assert reviewer_membership.role == Role.REVIEWER


def test_a_partner_lead_needs_a_partner(client, world, reviewer_membership):
    answer = _as(client, world, "manager").post(
        reverse("web:membership-edit", args=[reviewer_membership.pk]),
        {"role": Role.PARTNER_LEAD, "partner": ""})
    assert answer.status_code == 400
    assert "A partner lead or learning provider needs a partner." in answer.content.decode()
    reviewer_membership.refresh_from_db()
    assert reviewer_membership.role == Role.REVIEWER


def test_a_learning_provider_needs_a_partner_that_provides_learning(
        client, world, reviewer_membership):
    answer = _as(client, world, "manager").post(
        reverse("web:membership-edit", args=[reviewer_membership.pk]),
        {"role": Role.LEARNING_PROVIDER, "partner": world.partner_a.pk})
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "This partner does not provide learning." in body
    # the page still says the role the person has now
    assert "Now reviewer" in body
