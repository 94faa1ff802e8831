"""Who may do what (DESIGN.md, "Who may do what"), cell by cell through the REST API.

``EXPECTED`` below is the table: one block per resource, one line per verb, one
column per role. A cell is the status the API answers, or for ``list`` whether the
row the column acts on is listed:

    LISTED    the row is in the list (200)
    UNLISTED  the row is not in the list, other rows may be (200)
    EMPTY     the list is empty (200)

Columns (who acts, on which partner's objects):

    manager             the programme's manager, on partner A's objects
    partner_lead_own    lead of partner A, on partner A's objects
    partner_lead_other  lead of partner A, on partner B's objects
    provider_own        learning provider of "Gamma College", on its own objects and
                        offers (placements: on its offers)
    provider_other      the same user, on the objects and offers of "Delta Academy",
                        another learning provider in the programme
    reviewer            reviewer, on partner A's objects
    outsider            signed in, no membership, on partner A's objects
    staff               an administrator, on partner A's objects

Verbs: ``list`` GET the collection; ``read`` GET the object; ``create`` POST a valid
body for the column's partner (fresh names); ``change`` PATCH a valid body;
``delete`` DELETE a fresh object made for the test; ``approve`` (placements) POST
``/placements/{id}/approve/``, the need's side's step; ``confirm`` (placements) PATCH
``{"status": "confirmed"}`` on approved places, the provider's step; ``submit`` (assessments) POST
``/assessments/{id}/submit/`` on a draft with one answer (the rest then answered);
``close`` (gaps) POST ``/gaps/{id}/close/``.

Where DESIGN.md says nothing the expected cells follow the code's documented
decisions: only staff create programmes and delete programmes and partners; any
manager may add a partner; partner leads change their partner's gaps but only
managers open, close or delete them; only a placement's provider (and staff)
confirm it; a lead creates actions for their own partner
and changes the ones their partner or they own; only managers delete actions;
drafts of offers are seen by the provider's people and by managers of programmes
with the provider, offers are changed by the provider's people and staff only;
an object the user cannot see is 404, and a create whose related id points to
something the user cannot see is 400.
"""

import itertools
from decimal import Decimal

import pytest

from actions.models import Action
from learning import services as learning_services
from learning.models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
)
from programmes import services as programme_services
from programmes.models import (
    Assessment,
    AssessmentCycle,
    Gap,
    Membership,
    Partner,
    Programme,
    Response,
)

from . import factories as f

pytestmark = pytest.mark.django_db

Role = Membership.Role

LISTED, UNLISTED, EMPTY = "listed", "unlisted", "empty"

# column: (the world's user who acts, the side whose objects they act on)
COLUMNS = {
    "manager": ("manager", "a"),
    "partner_lead_own": ("lead_a", "a"),
    "partner_lead_other": ("lead_a", "b"),
    "provider_own": ("provider_user", "p"),
    "provider_other": ("provider_user", "q"),
    "reviewer": ("reviewer", "a"),
    "outsider": ("outsider", "a"),
    "staff": ("staff", "a"),
}

# fmt: off
EXPECTED = {
    #              manager   lead_own  lead_oth  prov_own  prov_oth  reviewer  outsider  staff
    "programmes": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   EMPTY,    LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      404,      200),
        "create": (403,      403,      403,      403,      403,      403,      403,      201),
        "change": (200,      403,      403,      403,      403,      403,      404,      200),
        "delete": (403,      403,      403,      403,      403,      403,      404,      204),
    },
    "partners": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   EMPTY,    LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      404,      200),
        "create": (201,      403,      403,      403,      403,      403,      403,      201),
        "change": (200,      403,      403,      403,      403,      403,      404,      200),
        "delete": (403,      403,      403,      403,      403,      403,      404,      204),
    },
    "memberships": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   EMPTY,    LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      404,      200),
        "create": (201,      403,      403,      403,      403,      403,      400,      201),
        "change": (200,      403,      403,      403,      403,      403,      404,      200),
        "delete": (204,      403,      403,      403,      403,      403,      404,      204),
    },
    "cycles": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   EMPTY,    LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      404,      200),
        "create": (201,      403,      403,      403,      403,      403,      400,      201),
        "change": (200,      403,      403,      403,      403,      403,      404,      200),
        "delete": (204,      403,      403,      403,      403,      403,      404,      204),
    },
    "assessments": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   EMPTY,    LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      404,      200),
        "create": (201,      201,      403,      403,      403,      403,      400,      201),
        "change": (200,      200,      403,      403,      403,      403,      404,      200),
        "submit": (200,      200,      403,      403,      403,      403,      404,      200),
        "delete": (204,      204,      403,      403,      403,      403,      404,      204),
    },
    "responses": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   EMPTY,    LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      404,      200),
        "create": (201,      201,      403,      403,      403,      403,      400,      201),
        "change": (200,      200,      403,      403,      403,      403,      404,      200),
        "delete": (204,      204,      403,      403,      403,      403,      404,      204),
    },
    "gaps": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   EMPTY,    LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      404,      200),
        "create": (201,      403,      403,      403,      403,      403,      400,      201),
        "change": (200,      200,      403,      403,      403,      403,      404,      200),
        "close":  (200,      403,      403,      403,      403,      403,      404,      200),
        "delete": (204,      403,      403,      403,      403,      403,      404,      204),
    },
    "actions": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   EMPTY,    LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      404,      200),
        "create": (201,      201,      403,      403,      403,      403,      400,      201),
        "change": (200,      200,      403,      403,      403,      403,      404,      200),
        "delete": (204,      403,      403,      403,      403,      403,      404,      204),
    },
    "learning-needs": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   EMPTY,    LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      404,      200),
        "create": (201,      201,      403,      403,      403,      403,      400,      201),
        "change": (200,      200,      403,      403,      403,      403,      404,      200),
        "delete": (204,      204,      403,      403,      403,      403,      404,      204),
    },
    # A published offer: everyone signed in sees it; its provider's people and staff change it.
    "training-offers": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      200,      200),
        "create": (403,      403,      403,      201,      403,      403,      400,      201),
        "change": (403,      403,      403,      200,      403,      403,      403,      200),
        "delete": (403,      403,      403,      204,      403,      403,      403,      204),
    },
    # A draft offer: seen by its provider's people and managers of programmes with the provider.
    "training-offers-draft": {
        "list":   (LISTED,   UNLISTED, UNLISTED, LISTED,   UNLISTED, UNLISTED, UNLISTED, LISTED),
        "read":   (200,      404,      404,      200,      404,      404,      404,      200),
        "create": (403,      403,      403,      201,      403,      403,      400,      201),
        "change": (403,      404,      404,      200,      404,      404,      404,      200),
        "delete": (403,      404,      404,      204,      404,      404,      404,      204),
    },
    "placements": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   EMPTY,    LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      404,      200),
        "create": (201,      201,      403,      403,      403,      403,      400,      201),
        "change": (200,      200,      403,      200,      403,      403,      404,      200),
        "approve": (200,     200,      403,      403,      403,      403,      404,      200),
        "confirm": (403,     403,      403,      200,      403,      403,      404,      200),
        "delete": (204,      204,      403,      403,      403,      403,      404,      204),
    },
    "funding-streams": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   EMPTY,    LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      404,      200),
        "create": (201,      403,      403,      403,      403,      403,      400,      201),
        "change": (200,      403,      403,      403,      403,      403,      404,      200),
        "delete": (204,      403,      403,      403,      403,      403,      404,      204),
    },
    "funding-allocations": {
        "list":   (LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   LISTED,   EMPTY,    LISTED),
        "read":   (200,      200,      200,      200,      200,      200,      404,      200),
        "create": (201,      403,      403,      403,      403,      403,      400,      201),
        "change": (200,      403,      403,      403,      403,      403,      404,      200),
        "delete": (204,      403,      403,      403,      403,      403,      404,      204),
    },
}
# fmt: on

URLS = {"training-offers-draft": "training-offers"}

MODELS = {
    "programmes": Programme,
    "partners": Partner,
    "memberships": Membership,
    "cycles": AssessmentCycle,
    "assessments": Assessment,
    "responses": Response,
    "gaps": Gap,
    "actions": Action,
    "learning-needs": LearningNeed,
    "training-offers": TrainingOffer,
    "training-offers-draft": TrainingOffer,
    "placements": Placement,
    "funding-streams": FundingStream,
    "funding-allocations": FundingAllocation,
}


def _cells():
    assert all(len(row) == len(COLUMNS) for verbs in EXPECTED.values() for row in verbs.values())
    assert set(EXPECTED) == set(MODELS)
    for resource, verbs in EXPECTED.items():
        for verb, row in verbs.items():
            for column, expected in zip(COLUMNS, row, strict=True):
                yield pytest.param(resource, verb, column, expected,
                                   id=f"{resource}-{verb}-{column}")


# The objects ---------------------------------------------------------------------


class Objects:
    """One object of each resource for each side, made on first use.

    Sides: ``a`` and ``b`` are the world's partner_a and partner_b, ``p`` its learning
    provider "Gamma College" and ``q`` a second provider, "Delta Academy", added to
    the programme here. Offers belong to a provider: Gamma College's for sides a and
    p, Delta Academy's for b and q. A placement books the side's learning need on the
    side's published offer; an allocation funds the side's need from the side's
    stream. ``fresh`` makes a new object (for deletes); ``get`` the shared one.
    """

    def __init__(self, world):
        self.w = world
        self.provider2 = f.PartnerFactory(
            name="Delta Academy", sector="learning_provider", provides_learning=True
        )
        world.programme.partners.add(self.provider2)
        self._shared = {}
        self._numbers = itertools.count(1)

    # helpers

    def unique(self, prefix):
        return f"{prefix} {next(self._numbers)}"

    def partner(self, side):
        return {"a": self.w.partner_a, "b": self.w.partner_b,
                "p": self.w.provider, "q": self.provider2}[side]

    def offer_provider(self, side):
        return self.w.provider if side in ("a", "p") else self.provider2

    def new_cycle(self):
        return f.CycleFactory(programme=self.w.programme, name=self.unique("Cycle"))

    def get(self, resource, side):
        key = (resource, side)
        if key not in self._shared:
            self._shared[key] = self.make(resource, side, fresh=False)
        return self._shared[key]

    def fresh(self, resource, side):
        return self.make(resource, side, fresh=True)

    def make(self, resource, side, *, fresh):
        return getattr(self, "make_" + resource.replace("-", "_"))(side, fresh)

    # one maker per resource

    def make_programmes(self, side, fresh):
        w = self.w
        if not fresh:
            return w.programme
        programme = f.ProgrammeFactory(
            framework=w.framework, partners=[w.partner_a, w.partner_b, w.provider, self.provider2]
        )
        for user, role, partner in [
            (w.manager, Role.MANAGER, None),
            (w.lead_a, Role.PARTNER_LEAD, w.partner_a),
            (w.lead_b, Role.PARTNER_LEAD, w.partner_b),
            (w.provider_user, Role.LEARNING_PROVIDER, w.provider),
            (w.reviewer, Role.REVIEWER, None),
        ]:
            f.MembershipFactory(programme=programme, user=user, role=role, partner=partner)
        return programme

    def make_partners(self, side, fresh):
        if not fresh:
            return self.partner(side)
        partner = f.PartnerFactory(name=self.unique("Partner"))
        self.w.programme.partners.add(partner)
        return partner

    def make_memberships(self, side, fresh):
        partner = self.partner(side)
        if not fresh:
            existing = Membership.objects.filter(
                programme=self.w.programme, partner=partner).first()
            if existing:
                return existing
        role = Role.LEARNING_PROVIDER if partner.provides_learning else Role.PARTNER_LEAD
        user = f.UserFactory(username=self.unique("member").replace(" ", "_"))
        return f.MembershipFactory(programme=self.w.programme, user=user, role=role,
                                   partner=partner)

    def make_cycles(self, side, fresh):
        return self.new_cycle() if fresh else self.w.cycle

    def make_assessments(self, side, fresh):
        cycle = self.new_cycle() if fresh else self.w.cycle
        return f.AssessmentFactory(cycle=cycle, partner=self.partner(side))

    def make_responses(self, side, fresh):
        item = self.w.items[4] if fresh else self.w.items[0]
        return f.ResponseFactory(assessment=self.get("assessments", side), checklist_item=item,
                                 rating="partly_met")

    def make_gaps(self, side, fresh):
        """A gap as assessments open them: a not-met item in a submitted assessment."""
        assessment = f.AssessmentFactory(cycle=self.new_cycle(), partner=self.partner(side))
        item = self.w.items[2] if fresh else self.w.items[0]
        f.ResponseFactory(assessment=assessment, checklist_item=item, rating="not_met")
        f.answer_the_rest(assessment)
        result = programme_services.assessment_submit(actor=self.w.manager, assessment=assessment)
        (gap,) = result.opened
        return gap

    def make_actions(self, side, fresh):
        return f.ActionFactory(programme=self.w.programme, owner_partner=self.partner(side),
                               title=self.unique("Action"))

    def make_learning_needs(self, side, fresh):
        return f.LearningNeedFactory(programme=self.w.programme, partner=self.partner(side),
                                     topic=self.unique("Topic"))

    def make_training_offers(self, side, fresh):
        return f.TrainingOfferFactory(provider=self.offer_provider(side),
                                      title=self.unique("Course"), status="published")

    def make_training_offers_draft(self, side, fresh):
        return f.TrainingOfferFactory(provider=self.offer_provider(side),
                                      title=self.unique("Draft course"), status="draft")

    def make_placements(self, side, fresh):
        need = self.fresh("learning-needs", side) if fresh else self.get("learning-needs", side)
        return learning_services.placement_book(
            actor=self.w.manager, learning_need=need,
            training_offer=self.get("training-offers", side), places=1,
        )

    def make_funding_streams(self, side, fresh):
        return f.FundingStreamFactory(programme=self.w.programme, funder=self.partner(side),
                                      name=self.unique("Fund"))

    def make_funding_allocations(self, side, fresh):
        return learning_services.allocation_create(
            actor=self.w.manager, stream=self.get("funding-streams", side),
            learning_need=self.get("learning-needs", side), amount=Decimal("100.00"),
        )

    # request bodies

    def create_body(self, resource, side):
        w, partner = self.w, self.partner(side)
        programme = w.programme.pk
        if resource == "programmes":
            return {"name": self.unique("Programme"), "framework": w.framework.pk,
                    "start_date": "2026-01-01", "end_date": "2026-12-31"}
        if resource == "partners":
            return {"name": self.unique("New partner"), "sector": "voluntary_community"}
        if resource == "memberships":
            user = f.UserFactory(username=self.unique("joiner").replace(" ", "_"))
            role = Role.LEARNING_PROVIDER if partner.provides_learning else Role.PARTNER_LEAD
            return {"programme": programme, "user": user.pk, "role": role, "partner": partner.pk}
        if resource == "cycles":
            return {"programme": programme, "name": self.unique("Cycle"),
                    "period_start": "2026-04-01", "period_end": "2026-06-30"}
        if resource == "assessments":
            return {"cycle": self.new_cycle().pk, "partner": partner.pk,
                    "participants": "Team managers", "includes_people_supported": True}
        if resource == "responses":
            return {"assessment": self.get("assessments", side).pk,
                    "checklist_item": w.items[1].pk, "rating": "not_met"}
        if resource == "gaps":
            return {"programme": programme, "partner": partner.pk,
                    "checklist_item": w.items[1].pk, "severity": "high",
                    "description": "Seen at the team meeting"}
        if resource == "actions":
            return {"programme": programme, "title": self.unique("New action"),
                    "owner_partner": partner.pk, "due_date": "2026-12-01"}
        if resource == "learning-needs":
            return {"programme": programme, "partner": partner.pk, "staff_group": "Care workers",
                    "topic": self.unique("New topic"), "workers_count": 5}
        if resource in ("training-offers", "training-offers-draft"):
            status = "draft" if resource == "training-offers-draft" else "published"
            return {"provider": self.offer_provider(side).pk, "title": self.unique("New course"),
                    "format": "workshop", "capacity": 10, "cost_per_place": "50.00",
                    "status": status}
        if resource == "placements":
            return {"learning_need": self.get("learning-needs", side).pk,
                    "training_offer": self.get("training-offers", side).pk, "places": 1}
        if resource == "funding-streams":
            return {"programme": programme, "name": self.unique("New fund"),
                    "funder": partner.pk, "amount": "5000.00"}
        if resource == "funding-allocations":
            return {"stream": self.get("funding-streams", side).pk,
                    "learning_need": self.get("learning-needs", side).pk, "amount": "50.00"}
        raise AssertionError(resource)

    def change_body(self, resource, obj):
        return {
            "programmes": {"description": "Changed by the matrix"},
            "partners": {"contact_email": "changed@example.org"},
            "memberships": {"role": getattr(obj, "role", None)},
            "cycles": {"name": self.unique("Renamed cycle")},
            "assessments": {"participants": "Team managers and people supported"},
            "responses": {"notes": "Checked"},
            "gaps": {"description": "Checked"},
            "actions": {"description": "Checked"},
            "learning-needs": {"notes": "Checked"},
            "training-offers": {"description": "Checked"},
            "training-offers-draft": {"description": "Checked"},
            "placements": {"status": "cancelled"},
            "funding-streams": {"description": "Checked"},
            "funding-allocations": {"note": "Checked"},
        }[resource]


@pytest.fixture
def objects(world):
    """The world's objects, one of each resource per side (see ``Objects``)."""
    return Objects(world)


# The matrix ----------------------------------------------------------------------


@pytest.mark.parametrize(("resource", "verb", "column", "expected"), list(_cells()))
def test_role_matrix(api, world, objects, resource, verb, column, expected):
    user_attr, side = COLUMNS[column]
    client = api.as_user(getattr(world, user_attr))
    base = f"/api/v1/{URLS.get(resource, resource)}/"
    model = MODELS[resource]

    if verb == "list":
        target = objects.get(resource, side)
        published = None
        if resource == "training-offers-draft":
            published = objects.get("training-offers", side)
        answer = client.get(base, {"page_size": 200})
        assert answer.status_code == 200, answer.content
        body = answer.json()
        ids = {row["id"] for row in body["results"]}
        assert body["count"] == len(ids), "the matrix expects every row on one page"
        if expected == EMPTY:
            assert not ids, f"{resource} list as {column}: {body['results']}"
        else:
            assert (target.pk in ids) == (expected == LISTED), f"{resource} list as {column}: {ids}"
        if published is not None:  # a draft is left out, the published offer beside it is not
            assert published.pk in ids
        return

    if verb == "read":
        target = objects.get(resource, side)
        answer = client.get(f"{base}{target.pk}/")
        assert answer.status_code == expected, answer.content
        if expected == 200:
            assert answer.json()["id"] == target.pk
        return

    if verb == "create":
        body = objects.create_body(resource, side)
        before = model.objects.count()
        answer = client.post(base, body, format="json")
        assert answer.status_code == expected, answer.content
        assert model.objects.count() == before + (1 if expected == 201 else 0)
        return

    if verb == "change":
        target = objects.get(resource, side)
        answer = client.patch(f"{base}{target.pk}/", objects.change_body(resource, target),
                              format="json")
        assert answer.status_code == expected, answer.content
        return

    if verb == "approve":
        target = objects.get(resource, side)
        answer = client.post(f"{base}{target.pk}/approve/", format="json")
        assert answer.status_code == expected, answer.content
        target.refresh_from_db()
        assert target.status == ("approved" if expected == 200 else "requested")
        return

    if verb == "confirm":
        # the provider confirms places the need's side has approved
        target = learning_services.placement_approve(actor=world.manager,
                                                     placement=objects.get(resource, side))
        answer = client.patch(f"{base}{target.pk}/", {"status": "confirmed"}, format="json")
        assert answer.status_code == expected, answer.content
        target.refresh_from_db()
        assert target.status == ("confirmed" if expected == 200 else "approved")
        return

    if verb == "close":
        target = objects.get(resource, side)
        answer = client.post(f"{base}{target.pk}/close/", {"reason": "Done another way"},
                             format="json")
        assert answer.status_code == expected, answer.content
        target.refresh_from_db()
        assert target.status == ("closed" if expected == 200 else "open")
        return

    if verb == "submit":
        target = objects.get("responses", side).assessment  # a draft with one answer
        f.answer_the_rest(target)  # only a complete assessment can be submitted
        answer = client.post(f"{base}{target.pk}/submit/")
        assert answer.status_code == expected, answer.content
        target.refresh_from_db()
        assert target.status == ("submitted" if expected == 200 else "draft")
        return

    if verb == "delete":
        target = objects.fresh(resource, side)
        answer = client.delete(f"{base}{target.pk}/")
        assert answer.status_code == expected, answer.content
        assert model.objects.filter(pk=target.pk).exists() == (expected != 204)
        return

    raise AssertionError(f"unknown verb {verb}")


# Cells the table implies but the matrix's one object per side does not reach -------


SCOPED = [r for r in EXPECTED
          if r not in ("programmes", "partners") and not r.startswith("training")]


@pytest.mark.parametrize("verb", ["read", "change", "create"])
@pytest.mark.parametrize("resource", ["programmes", "partners", *SCOPED])
def test_manager_of_another_programme_is_not_a_member_here(api, world, objects, resource, verb):
    """Managing one programme gives no rights in another: 404, and 400 for ids into it."""
    elsewhere = f.UserFactory(username="elsewhere")
    other = f.ProgrammeFactory(framework=world.framework, partners=[f.PartnerFactory()])
    f.MembershipFactory(programme=other, user=elsewhere, role=Role.MANAGER)
    client = api.as_user(elsewhere)
    base = f"/api/v1/{resource}/"
    if verb == "create":
        answer = client.post(base, objects.create_body(resource, "a"), format="json")
        # Only staff set up programmes; any manager may add a partner to the directory.
        expected = {"programmes": 403, "partners": 201}.get(resource, 400)
    else:
        target = objects.get(resource, "a")
        if verb == "read":
            answer = client.get(f"{base}{target.pk}/")
        else:
            answer = client.patch(f"{base}{target.pk}/", objects.change_body(resource, target),
                                  format="json")
        expected = 404
    assert answer.status_code == expected, answer.content



def test_partner_lead_changes_an_action_they_own_for_another_partner(api, world, objects):
    action = f.ActionFactory(programme=world.programme, owner=world.lead_a,
                             owner_partner=objects.provider2)
    answer = api.as_user(world.lead_a).patch(f"/api/v1/actions/{action.pk}/",
                                             {"status": "in_progress"}, format="json")
    assert answer.status_code == 200, answer.content


def test_partner_lead_cannot_hand_their_partners_action_to_another_partner(api, world, objects):
    action = objects.get("actions", "a")
    answer = api.as_user(world.lead_a).patch(f"/api/v1/actions/{action.pk}/",
                                             {"owner_partner": world.partner_b.pk}, format="json")
    assert answer.status_code == 403, answer.content
    action.refresh_from_db()
    assert action.owner_partner_id == world.partner_a.pk


def test_partner_lead_cannot_create_an_action_owned_by_another_partners_lead(api, world):
    answer = api.as_user(world.lead_a).post("/api/v1/actions/", {
        "programme": world.programme.pk, "title": "Not mine to give", "owner": world.lead_b.pk,
    }, format="json")
    assert answer.status_code == 403, answer.content


def test_partner_lead_cannot_move_their_learning_need_to_another_partner(api, world, objects):
    need = objects.get("learning-needs", "a")
    answer = api.as_user(world.lead_a).patch(f"/api/v1/learning-needs/{need.pk}/",
                                             {"partner": world.partner_b.pk}, format="json")
    assert answer.status_code == 403, answer.content
    need.refresh_from_db()
    assert need.partner_id == world.partner_a.pk


@pytest.mark.parametrize(("body", "expected"), [
    pytest.param({"status": "confirmed"}, 200, id="confirm"),
    pytest.param({"status": "cancelled"}, 200, id="cancel"),
    pytest.param({"status": "requested"}, 409, id="back-to-requested"),
    pytest.param({"places": 2}, 403, id="places"),
    pytest.param({"status": "confirmed", "places": 2}, 403, id="confirm-and-places"),
])
def test_provider_only_confirms_or_cancels_placements_on_its_offers(api, world, objects, body,
                                                                     expected):
    # the need's side has approved the places; the provider confirms or cancels them,
    # and neither approves nor changes the number
    placement = learning_services.placement_approve(actor=world.manager,
                                                    placement=objects.get("placements", "p"))
    answer = api.as_user(world.provider_user).patch(f"/api/v1/placements/{placement.pk}/", body,
                                                    format="json")
    assert answer.status_code == expected, answer.content


@pytest.mark.parametrize("column", ["partner_lead_own", "provider_own", "reviewer"])
def test_only_managers_reopen_gaps(api, world, objects, column):
    user_attr, side = COLUMNS[column]
    gap = objects.get("gaps", side)
    programme_services.gap_close(actor=world.manager, gap=gap, note="Closed for the test")
    answer = api.as_user(getattr(world, user_attr)).post(
        f"/api/v1/gaps/{gap.pk}/reopen/", {"reason": "Not yet"}, format="json")
    assert answer.status_code == 403, answer.content
    manager = api.as_user(world.manager).post(
        f"/api/v1/gaps/{gap.pk}/reopen/", {"reason": "Not yet"}, format="json")
    assert manager.status_code == 200, manager.content
