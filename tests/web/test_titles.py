"""Every page's title says which page it is and what it is about.

A person with many tabs open, or a screen reader user moving between pages, reads the
title first: "Check your answers" alone does not say whose answers or for which
programme. Each title names the page, then the item it is about (a partner, a gap, an
action, an offer...), then the programme; a page showing a form with mistakes starts
with "Error: ".
"""

import html as html_lib
import re
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse

from programmes import services
from webhooks.models import Webhook

from .. import factories as f

pytestmark = pytest.mark.django_db

SUFFIX = " – Workforce integration tracker"


def title_of(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found, "the page has no <title>"
    return html_lib.unescape(" ".join(found.group(1).split()))


@pytest.fixture
def more(site):
    """What the site lacks for a page of each kind: a champion, a webhook, a booking, a
    second partner's draft assessment with an answer."""
    w = site.world
    champion = services.champion_create(actor=w.manager, programme=w.programme,
                                        partner=w.partner_a, principle=w.principles[0],
                                        name="Ada Lovelace", job_title="Care manager")
    webhook = Webhook.objects.create(programme=w.programme, owner=w.manager,
                                     url="https://hooks.example.org/tracker",
                                     events=["gap.opened"], secret="s" * 40)
    placement = f.PlacementFactory(learning_need=site.need, training_offer=site.offer)
    draft = f.AssessmentFactory(cycle=w.cycle, partner=w.partner_b)
    answer = f.ResponseFactory(assessment=draft, checklist_item=w.items[0], rating="not_met")
    allocation = site.stream.allocations.get()
    return {"champion": champion, "webhook": webhook, "placement": placement,
            "draft": draft, "answer": answer, "allocation": allocation}


def manager_pages(site, more) -> dict[str, tuple[str, list[str]]]:
    """Each page the manager can open: its address and the names its title must carry."""
    w = site.world
    pk = w.programme.pk
    prog = w.programme.name
    a, b = w.partner_a, w.partner_b
    gap, action, need, offer, stream = site.gap, site.action, site.need, site.offer, site.stream
    draft, answer = more["draft"], more["answer"]
    allocation = more["allocation"]
    return {
        "home": (reverse("web:home"), []),
        "account": (reverse("web:account"), []),
        "password": (reverse("web:password-change"), []),
        "dashboard": (reverse("web:dashboard", args=[pk]), [prog]),
        "programme edit": (reverse("web:programme-edit", args=[pk]), [prog]),
        "people": (reverse("web:people", args=[pk]), [prog]),
        "invitations": (reverse("web:invitations", args=[pk]), [prog]),
        "webhooks": (reverse("web:webhooks", args=[pk]), [prog]),
        "webhook edit": (reverse("web:webhook-edit", args=[more["webhook"].pk]), [prog]),
        "webhook deliveries": (reverse("web:webhook-deliveries", args=[more["webhook"].pk]),
                               [prog, "hooks.example.org"]),
        "partner new": (reverse("web:partner-new", args=[pk]), [prog]),
        "partner add": (reverse("web:partner-add", args=[pk]), [prog]),
        "partner edit": (reverse("web:partner-edit", args=[pk, b.pk]), [prog, b.name]),
        "partner remove": (reverse("web:partner-remove", args=[pk, b.pk]), [prog, b.name]),
        "partners": (reverse("web:partners", args=[pk]), [prog]),
        "partner a": (reverse("web:partner", args=[pk, a.pk]), [prog, a.name]),
        "partner b": (reverse("web:partner", args=[pk, b.pk]), [prog, b.name]),
        "cycle new": (reverse("web:cycle-new", args=[pk]), [prog]),
        "cycle edit": (reverse("web:cycle-edit", args=[pk, w.cycle.pk]), [prog, w.cycle.name]),
        "cycle close": (reverse("web:cycle-close", args=[pk, w.cycle.pk]),
                        [prog, w.cycle.name]),
        "cycles": (reverse("web:cycles", args=[pk]), [prog]),
        "one cycle": (reverse("web:cycle", args=[pk, w.cycle.pk]), [prog, w.cycle.name]),
        "compare": (reverse("web:compare", args=[pk]), [prog]),
        "principle 1": (reverse("web:principle", args=[pk, 1]), [prog]),
        "principle 2": (reverse("web:principle", args=[pk, 2]), [prog]),
        "gap register": (reverse("web:gaps", args=[pk]), [prog]),
        "gap new": (reverse("web:gap-new", args=[pk]), [prog]),
        "champions": (reverse("web:champions", args=[pk]), [prog]),
        "champion new": (reverse("web:champion-new", args=[pk]), [prog]),
        "champion edit": (reverse("web:champion-edit", args=[more["champion"].pk]),
                          [prog, "Ada Lovelace"]),
        "action board": (reverse("web:action-board", args=[pk]), [prog]),
        "learning needs": (reverse("web:learning-needs", args=[pk]), [prog]),
        "funding": (reverse("web:funding", args=[pk]), [prog]),
        "stream new": (reverse("web:stream-new", args=[pk]), [prog]),
        "stream": (reverse("web:stream", args=[stream.pk]), [prog, stream.name]),
        "stream edit": (reverse("web:stream-edit", args=[stream.pk]), [prog, stream.name]),
        "allocation edit": (reverse("web:allocation-edit", args=[allocation.pk]),
                            [prog, stream.name]),
        "joint commissioning": (reverse("web:joint-commissioning", args=[pk]), [prog]),
        "import": (reverse("web:import", args=[pk]), [prog]),
        "assessment": (reverse("web:assessment", args=[site.assessment.pk]), [prog, a.name]),
        "draft assessment": (reverse("web:assessment", args=[draft.pk]), [prog, b.name]),
        "contributors": (reverse("web:contributors", args=[draft.pk]), [prog, b.name]),
        "section 1": (reverse("web:assessment-section", args=[draft.pk, 1]), [prog, b.name]),
        "section 2": (reverse("web:assessment-section", args=[draft.pk, 2]), [prog, b.name]),
        "submitted section": (reverse("web:assessment-section", args=[site.assessment.pk, 1]),
                              [prog, a.name]),
        "details": (reverse("web:assessment-details", args=[draft.pk]), [prog, b.name]),
        "check answers": (reverse("web:assessment-submit", args=[draft.pk]), [prog, b.name]),
        "evidence new": (reverse("web:evidence-new", args=[answer.pk]), [prog, b.name]),
        "gap": (reverse("web:gap", args=[gap.pk]), [prog, a.name]),
        "gap edit": (reverse("web:gap-edit", args=[gap.pk]), [prog, a.name]),
        "gap close": (reverse("web:gap-close", args=[gap.pk]), [prog, a.name]),
        "action new": (reverse("web:action-new", args=[gap.pk]), [prog, a.name]),
        "need new": (reverse("web:learning-need-new", args=[gap.pk]), [prog, a.name]),
        "my actions": (reverse("web:my-actions"), []),
        "action": (reverse("web:action", args=[action.pk]), [prog, action.title]),
        "action edit": (reverse("web:action-edit", args=[action.pk]), [prog, action.title]),
        "action reassign": (reverse("web:action-reassign", args=[action.pk]),
                            [prog, action.title]),
        "action delete": (reverse("web:action-delete", args=[action.pk]), [prog, action.title]),
        "delete stream": (reverse("web:stream-delete", args=[stream.pk]), [prog, stream.name]),
        "delete need": (reverse("web:learning-need-delete", args=[need.pk]),
                        [prog, need.topic]),
        "delete cycle": (reverse("web:cycle-delete", args=[pk, w.cycle.pk]),
                         [prog, w.cycle.name]),
        "delete draft": (reverse("web:assessment-delete", args=[draft.pk]), [prog, b.name]),
        "clear answer": (reverse("web:response-delete", args=[answer.pk]), [prog, b.name]),
        "delete champion": (reverse("web:champion-delete", args=[more["champion"].pk]),
                            [prog, "Ada Lovelace"]),
        "delete webhook": (reverse("web:webhook-delete", args=[more["webhook"].pk]),
                           [prog, "hooks.example.org"]),
        "delete allocation": (reverse("web:allocation-delete", args=[allocation.pk]),
                              [prog, stream.name]),
        "delete placement": (reverse("web:placement-delete", args=[more["placement"].pk]),
                             [prog, offer.title]),
        "action funding": (reverse("web:action-allocation-new", args=[action.pk]),
                           [prog, action.title]),
        "need": (reverse("web:learning-need", args=[need.pk]), [prog, need.topic]),
        "need edit": (reverse("web:learning-need-edit", args=[need.pk]), [prog, need.topic]),
        "need funding": (reverse("web:allocation-new", args=[need.pk]), [prog, need.topic]),
        "book places": (reverse("web:placement-new", args=[need.pk, offer.pk]),
                        [prog, offer.title]),
        "placement places": (reverse("web:placement-places", args=[more["placement"].pk]),
                             [prog, offer.title]),
        "catalogue": (reverse("web:catalogue"), []),
        "offer": (reverse("web:offer", args=[offer.pk]), [offer.title]),
        "notifications": (reverse("web:notifications"), []),
        "e-mail settings": (reverse("web:notification-settings"), []),
    }


def test_every_page_the_manager_opens_has_its_own_title_naming_programme_and_item(
        site, more, as_user):
    client = as_user(site.world.manager)
    titles: dict[str, str] = {}
    for name, (path, names) in manager_pages(site, more).items():
        response = client.get(path)
        assert response.status_code == 200, f"{name} ({path}): {response.status_code}"
        title = title_of(response.content.decode())
        assert title.endswith(SUFFIX), f"{name}: {title}"
        assert not title.startswith("Error"), f"{name}: {title}"
        for needed in names:
            assert needed in title, f"{name}: “{title}” does not name {needed}"
        titles[name] = title
    assert len(titles) >= 40
    repeated = {t: n for t, n in Counter(titles.values()).items() if n > 1}
    assert not repeated, {t: [k for k, v in titles.items() if v == t] for t in repeated}


def test_the_provider_s_pages_name_the_offer(site, as_user):
    w = site.world
    offer = site.offer
    session = offer.sessions.get()
    placement = f.PlacementFactory(learning_need=site.need, training_offer=offer)
    pages = {
        "my offers": (reverse("web:my-offers"), []),
        "new offer": (reverse("web:offer-new"), []),
        "demand": (reverse("web:demand"), []),
        "offer": (reverse("web:offer", args=[offer.pk]), [offer.title]),
        "bookings": (reverse("web:offer-bookings", args=[offer.pk]), [offer.title]),
        "offer edit": (reverse("web:offer-edit", args=[offer.pk]), [offer.title]),
        "delete offer": (reverse("web:offer-delete", args=[offer.pk]), [offer.title]),
        "delete session": (reverse("web:session-delete", args=[session.pk]), [offer.title]),
        "withdraw": (reverse("web:offer-withdraw", args=[offer.pk]), [offer.title]),
        "session new": (reverse("web:session-new", args=[offer.pk]), [offer.title]),
        "session edit": (reverse("web:session-edit", args=[session.pk]), [offer.title]),
        "attendance": (reverse("web:placement-attendance", args=[placement.pk]),
                       [offer.title, w.partner_a.name]),
    }
    client = as_user(w.provider_user)
    titles = {}
    for name, (path, names) in pages.items():
        response = client.get(path)
        assert response.status_code == 200, f"{name} ({path}): {response.status_code}"
        title = title_of(response.content.decode())
        for needed in names:
            assert needed in title, f"{name}: “{title}” does not name {needed}"
        titles[name] = title
    assert len(set(titles.values())) == len(titles), titles


def test_a_form_sent_back_with_mistakes_has_a_title_starting_with_error(site, as_user):
    w = site.world
    client = as_user(w.manager)
    response = client.post(reverse("web:action-new", args=[site.gap.pk]), {"title": ""})
    assert response.status_code in (200, 400)
    title = title_of(response.content.decode())
    assert title.startswith("Error: Add an action"), title
    assert title.count("Error") == 1, title
    assert w.programme.name in title

    # a form other than the page's main one: a progress note sent empty on the action page
    response = client.post(reverse("web:action-note", args=[site.action.pk]), {"text": ""})
    assert response.status_code == 400
    assert title_of(response.content.decode()).startswith(
        f"Error: {site.action.title} – Action on gap")

    response = Client().post(reverse("web:login"), {"username": "manager", "password": "wrong"})
    assert title_of(response.content.decode()) == "Error: Log in" + SUFFIX


def test_a_page_without_mistakes_has_no_error_in_its_title(site, as_user):
    title = title_of(as_user(site.world.manager).get(
        reverse("web:action-new", args=[site.gap.pk])).content.decode())
    assert "Error" not in title

