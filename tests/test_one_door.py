"""One door for every change: each state change is a keyword-only service taking ``actor``.

The first tests read every domain app's ``services.py``: a public function is a door
(keyword-only ``actor``), or it is named in ``NOT_A_USERS_CHANGE`` with the reason it is
not one. The registry ``REFUSED`` then calls every door directly, without a page or the
API in front of it, as someone its rule refuses: each raises ``PermissionDenied`` and no
row anywhere changes. A new service without an entry there fails here.

The per-app tests go further for each role (tests/programmes/test_service_access.py,
tests/learning/test_service_actor.py, tests/test_service_roles.py, tests/actions/).
"""

import importlib
import importlib.util
import inspect
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from accounts import services as accounts
from actions import services as actions
from learning import services as learning
from notifications import services as notifications
from people import services as people
from programmes import services as programmes
from webhooks import services as webhooks
from webhooks.models import Webhook

from . import factories as f

# The public functions of the services modules that are not a user's change, and why.
NOT_A_USERS_CHANGE = {
    "programmes.framework_load": "operators load a framework file (load_framework command)",
    "programmes.cycle_open_now": "reads: which cycle is open on a day",
    "programmes.unanswered_items": "reads: an assessment's items still unanswered",
    "programmes.previous_submitted": "reads: the partner's last submitted assessment",
    "programmes.gap_open_work": "reads: the work still open on a gap",
    "actions.owner_refusal": "reads: the sentence refusing an owner, or None",
    "actions.apply_gap_decision": "signal receiver of gap_close: each action changes "
                                  "through action_update with gap_close's actor",
    "accounts.session_forget": "Django's sign-out signal: forgets only the session ending",
    "notifications.use_fast_path": "reads: which database path notify_many takes",
    "notifications.notify_many": "reminder planners and services tell people of a change "
                                 "someone else made (the change's own door checked them)",
    "notifications.notify": "one notification of notify_many, likewise",
    "notifications.preference_for": "reads the user's own settings (the defaults on first read)",
    "notifications.absolute": "reads: a link made absolute for an e-mail",
    "notifications.send_pending_emails": "the e-mail task sends what is due",
    "notifications.emails_waiting": "reads: whether e-mails are due",
    "notifications.queue_weekly_digests": "the weekly digest task",
    "people.accept_url": "reads: the address of an invitation's link",
    "people.invitation_from_token": "reads: the invitation a link names, or why it is dead",
    "people.password_problems": "reads: Django's password validators' findings, in words",
    "people.open_actions_of": "reads: a membership's open actions",
    "people.invitation_accept_new_account": "a person with no account yet: the link's "
                                            "signed one-time token is the permission",
}


def service_modules():
    """Every installed app of this project that has a ``services`` module."""
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.services"
        if config.name.split(".")[0] in {"django", "rest_framework"}:
            continue
        if importlib.util.find_spec(config.name) and importlib.util.find_spec(name):
            found.append(importlib.import_module(name))
    return found


def public_functions():
    """``{"app.name": function}`` for each public function defined in a services module."""
    return {
        f"{module.__name__.split('.')[0]}.{name}": fn
        for module in service_modules()
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if not name.startswith("_") and fn.__module__ == module.__name__
    }


def doors():
    return {name for name in public_functions() if name not in NOT_A_USERS_CHANGE}


def test_the_domain_apps_with_services_are_all_read():
    # Given the installed apps, when their services modules are found
    names = {m.__name__ for m in service_modules()}
    # Then the domain apps are among them
    assert {"programmes.services", "actions.services", "learning.services",
            "accounts.services", "notifications.services", "people.services"} <= names


def test_every_change_takes_a_keyword_only_actor():
    # Given every public service that is not listed as something other than a user's change
    lacking = []
    for name in sorted(doors()):
        parameters = inspect.signature(public_functions()[name]).parameters
        actor = parameters.get("actor")
        # Then it takes the person acting, by keyword only, and nothing by position
        positional = [p for p in parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if actor is None or actor.kind != actor.KEYWORD_ONLY or actor.default is not actor.empty \
                or positional:
            lacking.append(name)
    assert lacking == []


def test_the_list_of_exceptions_names_only_functions_that_exist():
    assert set(NOT_A_USERS_CHANGE) <= set(public_functions())


# Direct calls as a refused person ---------------------------------------------------------


@pytest.fixture
def rows(world):
    """One of everything the services change, belonging to the programme or the manager."""
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a)
    draft_offer = f.TrainingOfferFactory(provider=world.provider, status="draft")
    offer = f.TrainingOfferFactory(provider=world.provider, status="published")
    placement = f.PlacementFactory(learning_need=need, training_offer=offer, places=1)
    stream = f.FundingStreamFactory(programme=world.programme, funder=world.partner_b,
                                    amount=Decimal("1000.00"))
    allocation = f.FundingAllocationFactory(stream=stream, learning_need=need,
                                            amount=Decimal("100.00"))
    gap = programmes.gap_create(actor=world.manager, programme=world.programme,
                                partner=world.partner_a, checklist_item=world.items[0],
                                severity="medium", description="No induction")
    action = f.ActionFactory(programme=world.programme, gap=gap, owner=world.lead_a,
                             owner_partner=world.partner_a)
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    answer = f.ResponseFactory(assessment=assessment, checklist_item=world.items[1],
                               rating="met")
    token, _ = accounts.token_issue(actor=world.manager)
    notification = notifications.notify(
        recipient_id=world.manager.pk, kind="action_assigned", subject_type="action",
        subject_id=action.pk, occurrence=world.cycle.period_start, message="An action")
    inactive = f.UserFactory(username="switched_off", is_active=False)
    invitation = people.invitation_create(actor=world.manager, programme=world.programme,
                                          email="new.lead@example.org", role="partner_lead",
                                          partner=world.partner_a)
    invitation_token = people._new_link(invitation)
    invitation.save(update_fields=["nonce_hash", "expires_at"])
    return {
        "need": need, "draft_offer": draft_offer, "offer": offer, "placement": placement,
        "stream": stream, "allocation": allocation, "gap": gap, "action": action,
        "assessment": assessment, "answer": answer, "token": token,
        "notification": notification, "inactive": inactive,
        "membership": world.programme.memberships.get(user=world.lead_a),
        "new_partner": f.PartnerFactory(name="Delta Care"),
        "invitation": invitation, "invitation_token": invitation_token,
        "webhook": Webhook.objects.create(
            programme=world.programme, owner=world.lead_a, url="https://example.org/in",
            events=["gap.opened"], secret="s" * 40),
        "champion": programmes.champion_create(
            actor=world.manager, programme=world.programme, partner=world.partner_a,
            principle=world.principles[0], name="Ada Lovelace"),
    }


ANONYMOUS = AnonymousUser()

# "app.service": (who is refused, the call). The refused person is from the ``world``
# fixture (or ``rows``), chosen as the one closest to being allowed.
REFUSED = {
    # programmes
    "programmes.programme_create": ("reviewer", lambda w, r, a: programmes.programme_create(
        actor=a, name="New", framework=w.framework)),
    "programmes.programme_update": ("lead_a", lambda w, r, a: programmes.programme_update(
        actor=a, programme=w.programme, name="Renamed")),
    "programmes.programme_delete": ("manager", lambda w, r, a: programmes.programme_delete(
        actor=a, programme=w.programme)),
    "programmes.partner_create": ("lead_a", lambda w, r, a: programmes.partner_create(
        actor=a, name="Epsilon", sector="nhs_trust")),
    "programmes.partner_update": ("lead_a", lambda w, r, a: programmes.partner_update(
        actor=a, partner=w.partner_a, name="Renamed")),
    "programmes.partner_delete": ("manager", lambda w, r, a: programmes.partner_delete(
        actor=a, partner=r["new_partner"])),
    "programmes.programme_partner_add": ("lead_a", lambda w, r, a:
                                         programmes.programme_partner_add(
                                             actor=a, programme=w.programme,
                                             partner=r["new_partner"])),
    "programmes.programme_partner_remove": ("lead_b", lambda w, r, a:
                                            programmes.programme_partner_remove(
                                                actor=a, programme=w.programme,
                                                partner=w.partner_b)),
    "programmes.membership_create": ("lead_a", lambda w, r, a: programmes.membership_create(
        actor=a, programme=w.programme, user=w.outsider, role="reviewer")),
    "programmes.membership_update": ("lead_a", lambda w, r, a: programmes.membership_update(
        actor=a, membership=r["membership"], role="manager")),
    "programmes.membership_delete": ("lead_a", lambda w, r, a: programmes.membership_delete(
        actor=a, membership=r["membership"])),
    "programmes.cycle_create": ("lead_a", lambda w, r, a: programmes.cycle_create(
        actor=a, programme=w.programme, name="Review", period_start=w.cycle.period_start,
        period_end=w.cycle.period_end)),
    "programmes.cycle_update": ("lead_a", lambda w, r, a: programmes.cycle_update(
        actor=a, cycle=w.cycle, name="Renamed")),
    "programmes.cycle_close": ("lead_a", lambda w, r, a: programmes.cycle_close(
        actor=a, cycle=w.cycle)),
    "programmes.cycle_delete": ("lead_a", lambda w, r, a: programmes.cycle_delete(
        actor=a, cycle=w.cycle)),
    "programmes.assessment_create": ("lead_a", lambda w, r, a: programmes.assessment_create(
        actor=a, cycle=w.cycle, partner=w.partner_b)),
    "programmes.assessment_update": ("lead_b", lambda w, r, a: programmes.assessment_update(
        actor=a, assessment=r["assessment"], participants="Us")),
    "programmes.assessment_delete": ("lead_b", lambda w, r, a: programmes.assessment_delete(
        actor=a, assessment=r["assessment"])),
    "programmes.assessment_carry_forward": ("lead_b", lambda w, r, a:
                                            programmes.assessment_carry_forward(
                                                actor=a, assessment=r["assessment"])),
    "programmes.assessment_submit": ("reviewer", lambda w, r, a: programmes.assessment_submit(
        actor=a, assessment=r["assessment"])),
    "programmes.response_create": ("lead_b", lambda w, r, a: programmes.response_create(
        actor=a, assessment=r["assessment"], checklist_item=w.items[2], rating="met")),
    "programmes.response_update": ("lead_b", lambda w, r, a: programmes.response_update(
        actor=a, response=r["answer"], rating="not_met")),
    "programmes.response_delete": ("lead_b", lambda w, r, a: programmes.response_delete(
        actor=a, response=r["answer"])),
    "programmes.responses_save": ("provider_user", lambda w, r, a: programmes.responses_save(
        actor=a, assessment=r["assessment"],
        answers=[{"checklist_item": w.items[2], "rating": "met"}])),
    "programmes.gap_create": ("lead_a", lambda w, r, a: programmes.gap_create(
        actor=a, programme=w.programme, partner=w.partner_a, checklist_item=w.items[3],
        severity="low")),
    "programmes.gap_update": ("lead_b", lambda w, r, a: programmes.gap_update(
        actor=a, gap=r["gap"], description="Ours")),
    "programmes.gap_close": ("lead_a", lambda w, r, a: programmes.gap_close(
        actor=a, gap=r["gap"], note="Done")),
    "programmes.gap_keep_open": ("lead_a", lambda w, r, a: programmes.gap_keep_open(
        actor=a, gap=r["gap"], note="Still open")),
    "programmes.gap_reopen": ("lead_a", lambda w, r, a: programmes.gap_reopen(
        actor=a, gap=r["gap"], note="Again")),
    "programmes.gap_delete": ("lead_a", lambda w, r, a: programmes.gap_delete(
        actor=a, gap=r["gap"])),
    "programmes.champion_create": ("lead_b", lambda w, r, a: programmes.champion_create(
        actor=a, programme=w.programme, partner=w.partner_a, principle=w.principles[0],
        name="Ada")),
    "programmes.champion_update": ("lead_b", lambda w, r, a: programmes.champion_update(
        actor=a, champion=r["champion"], name="Ours")),
    "programmes.champion_delete": ("reviewer", lambda w, r, a: programmes.champion_delete(
        actor=a, champion=r["champion"])),
    # actions
    "actions.action_create": ("reviewer", lambda w, r, a: actions.action_create(
        actor=a, programme=w.programme, title="Mine", due_date=w.cycle.period_end)),
    "actions.action_update": ("lead_b", lambda w, r, a: actions.action_update(
        actor=a, action=r["action"], title="Ours")),
    "actions.actions_bulk_update": ("lead_a", lambda w, r, a: actions.actions_bulk_update(
        actor=a, ids=[r["action"].pk], status="done")),
    "actions.action_delete": ("lead_a", lambda w, r, a: actions.action_delete(
        actor=a, action=r["action"])),
    "actions.action_add_note": ("reviewer", lambda w, r, a: actions.action_add_note(
        actor=a, action=r["action"], text="Seen")),
    # learning
    "learning.need_create": ("lead_b", lambda w, r, a: learning.need_create(
        actor=a, programme=w.programme, partner=w.partner_a, staff_group="Carers",
        topic="Dementia", workers_count=3)),
    "learning.need_update": ("lead_b", lambda w, r, a: learning.need_update(
        actor=a, need=r["need"], topic="Ours")),
    "learning.need_delete": ("lead_b", lambda w, r, a: learning.need_delete(
        actor=a, need=r["need"])),
    "learning.offer_create": ("manager", lambda w, r, a: learning.offer_create(
        actor=a, provider=w.provider, title="A course", format="workshop", capacity=5,
        cost_per_place=Decimal("10.00"))),
    "learning.offer_update": ("manager", lambda w, r, a: learning.offer_update(
        actor=a, offer=r["offer"], title="Ours")),
    "learning.offer_delete": ("manager", lambda w, r, a: learning.offer_delete(
        actor=a, offer=r["draft_offer"])),
    "learning.offer_publish": ("lead_a", lambda w, r, a: learning.offer_publish(
        actor=a, offer=r["draft_offer"])),
    "learning.offer_withdraw": ("lead_a", lambda w, r, a: learning.offer_withdraw(
        actor=a, offer=r["offer"])),
    "learning.offer_propose": ("lead_a", lambda w, r, a: learning.offer_propose(
        actor=a, offer=r["offer"], learning_need=r["need"], message="Ours")),
    "learning.session_create": ("manager", lambda w, r, a: learning.session_create(
        actor=a, offer=r["offer"], capacity=5)),
    "learning.session_update": ("lead_a", lambda w, r, a: learning.session_update(
        actor=a, session=r["offer"].sessions.get(), capacity=50)),
    "learning.session_delete": ("manager", lambda w, r, a: learning.session_delete(
        actor=a, session=r["offer"].sessions.get())),
    "learning.placement_approve": ("provider_user", lambda w, r, a: learning.placement_approve(
        actor=a, placement=r["placement"])),
    "learning.placement_decline": ("lead_b", lambda w, r, a: learning.placement_decline(
        actor=a, placement=r["placement"], reason="Not ours")),
    "learning.placement_record_attendance": (
        "lead_a", lambda w, r, a: learning.placement_record_attendance(
            actor=a, placement=r["placement"], places_attended=1, places_completed=1)),
    "learning.placement_book": ("provider_user", lambda w, r, a: learning.placement_book(
        actor=a, learning_need=r["need"], training_offer=r["offer"], places=1)),
    "learning.placement_update": ("lead_b", lambda w, r, a: learning.placement_update(
        actor=a, placement=r["placement"], places=2)),
    "learning.placement_confirm": ("lead_a", lambda w, r, a: learning.placement_confirm(
        actor=a, placement=r["placement"])),
    "learning.placement_cancel": ("reviewer", lambda w, r, a: learning.placement_cancel(
        actor=a, placement=r["placement"])),
    "learning.placement_delete": ("provider_user", lambda w, r, a: learning.placement_delete(
        actor=a, placement=r["placement"])),
    "learning.stream_create": ("lead_b", lambda w, r, a: learning.stream_create(
        actor=a, programme=w.programme, name="Ours", funder=w.partner_b,
        amount=Decimal("5.00"))),
    "learning.stream_update": ("lead_b", lambda w, r, a: learning.stream_update(
        actor=a, stream=r["stream"], name="Ours")),
    "learning.stream_delete": ("lead_b", lambda w, r, a: learning.stream_delete(
        actor=a, stream=r["stream"])),
    "learning.allocation_create": ("lead_a", lambda w, r, a: learning.allocation_create(
        actor=a, stream=r["stream"], amount=Decimal("5.00"), learning_need=r["need"])),
    "learning.allocation_update": ("lead_a", lambda w, r, a: learning.allocation_update(
        actor=a, allocation=r["allocation"], amount=Decimal("5.00"))),
    "learning.allocation_delete": ("lead_a", lambda w, r, a: learning.allocation_delete(
        actor=a, allocation=r["allocation"])),
    "learning.allocation_commit": ("lead_a", lambda w, r, a: learning.allocation_commit(
        actor=a, allocation=r["allocation"])),
    "learning.allocation_claim": ("lead_a", lambda w, r, a: learning.allocation_claim(
        actor=a, allocation=r["allocation"], evidence="Invoice 1")),
    "learning.allocation_pay": ("reviewer", lambda w, r, a: learning.allocation_pay(
        actor=a, allocation=r["allocation"])),
    "learning.allocation_cancel": ("lead_b", lambda w, r, a: learning.allocation_cancel(
        actor=a, allocation=r["allocation"])),
    # accounts: a person changes only their own account, signed in and active
    "accounts.token_issue": ("inactive", lambda w, r, a: accounts.token_issue(actor=a)),
    "accounts.token_revoke": ("lead_a", lambda w, r, a: accounts.token_revoke(
        actor=a, token=r["token"])),
    "accounts.sign_out_everywhere": ("anonymous", lambda w, r, a:
                                     accounts.sign_out_everywhere(actor=a)),
    "accounts.password_changed": ("inactive", lambda w, r, a: accounts.password_changed(
        actor=a, current_session_key=None)),
    "accounts.session_record": ("inactive", lambda w, r, a: accounts.session_record(
        actor=a, session_key="x" * 32)),
    # notifications: a person reads and sets only their own
    "notifications.notification_mark_read": ("lead_a", lambda w, r, a:
                                             notifications.notification_mark_read(
                                                 actor=a, notification=r["notification"])),
    "notifications.notifications_mark_all_read": ("anonymous", lambda w, r, a:
                                                  notifications.notifications_mark_all_read(
                                                      actor=a)),
    "notifications.preference_update": ("anonymous", lambda w, r, a:
                                        notifications.preference_update(
                                            actor=a, email_enabled=False)),
    # people: managers invite and end memberships; only the invited person accepts
    "people.invitation_create": ("lead_a", lambda w, r, a: people.invitation_create(
        actor=a, programme=w.programme, email="someone@example.org", role="reviewer")),
    "people.invitation_resend": ("lead_a", lambda w, r, a: people.invitation_resend(
        actor=a, invitation=r["invitation"])),
    "people.invitation_revoke": ("reviewer", lambda w, r, a: people.invitation_revoke(
        actor=a, invitation=r["invitation"])),
    "people.invitation_accept": ("lead_b", lambda w, r, a: people.invitation_accept(
        actor=a, token=r["invitation_token"])),
    "people.membership_end": ("lead_a", lambda w, r, a: people.membership_end(
        actor=a, membership=r["membership"])),
    "people.contributor_invite": ("lead_b", lambda w, r, a: people.contributor_invite(
        actor=a, assessment=r["assessment"], email="voice@example.org",
        perspective="carer")),
    # webhooks: members add them; managers and their owner change them
    "webhooks.webhook_create": ("outsider", lambda w, r, a: webhooks.webhook_create(
        actor=a, programme=w.programme, url="https://example.org/x", events=["gap.opened"])),
    "webhooks.webhook_update": ("lead_b", lambda w, r, a: webhooks.webhook_update(
        actor=a, webhook=r["webhook"], active=False)),
    "webhooks.webhook_delete": ("reviewer", lambda w, r, a: webhooks.webhook_delete(
        actor=a, webhook=r["webhook"])),
    "webhooks.webhook_send_test": ("lead_b", lambda w, r, a: webhooks.webhook_send_test(
        actor=a, webhook=r["webhook"])),
}

DOMAIN_APPS = ["accounts", "programmes", "actions", "learning", "notifications", "people",
               "webhooks", "auth"]


def everything():
    """Every row of every model of the domain apps (history tables included)."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for label in DOMAIN_APPS
        for model in apps.get_app_config(label).get_models()
    }


def test_every_door_is_called_directly_as_someone_it_refuses():
    # Given the services that change state, then each has a direct refused call below
    assert set(REFUSED) == doors()


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_the_service_refuses_a_direct_call_and_changes_nothing(world, rows, name):
    # Given someone the service's rule refuses
    who, call = REFUSED[name]
    actor = {"anonymous": ANONYMOUS, "inactive": rows["inactive"]}.get(who) or getattr(world,
                                                                                        who)
    before = everything()
    # When they call the service directly, not through a view
    with pytest.raises(PermissionDenied) as refusal:
        call(world, rows, actor)
    # Then it says why in a sentence, and no row changed
    message = str(refusal.value)
    assert message and message.endswith((".", "\u201d.")) and message[0].isupper()
    assert everything() == before
