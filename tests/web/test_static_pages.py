"""The accessibility statement and the glossary: open to everyone, linked from every
page's footer, and the glossary linked where its words appear."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from web.glossary import TERMS

from .conftest import outline

pytestmark = pytest.mark.django_db

ANCHORS = [
    "gap", "severity", "principle", "joint-commissioning", "highlight-report", "action",
    "learning-need", "partner", "cycle", "self-assessment", "rating", "funding-stream",
    "allocation", "training-offer", "champion", "co-production", "evidence", "webhook",
    "programme-manager", "partner-lead", "reviewer", "person-who-draws-on-care",
]


def footer(html: str) -> str:
    return html[html.index('<footer class="nhsuk-footer"'):html.index("</footer>")]


def test_the_accessibility_statement_is_open_to_anyone_and_says_what_it_should(settings):
    settings.DEFAULT_FROM_EMAIL = "help@tracker.example.org"
    # given someone who has not signed in
    # when they open the statement
    response = Client().get("/accessibility/")
    # then it is the statement, with each part of the model statement
    assert response.status_code == 200
    html = response.content.decode()
    assert outline(html).headings.count(1) == 1
    assert "<title>Accessibility statement – Workforce integration tracker</title>" in html
    for part in ("How accessible this service is",
                 "What to do if you cannot use parts of this service",
                 "Reporting accessibility problems with this service",
                 "Enforcement procedure", "Equality and Human Rights Commission",
                 "Equality Commission for Northern Ireland",
                 "Technical information about this service's accessibility",
                 "Web Content Accessibility Guidelines version 2.2", "AA standard",
                 "How we tested this service", "axe-core", "320 pixels",
                 "using only the keyboard",
                 "This statement was prepared on 3 December 2026"):
        assert part in html, part
    assert 'href="mailto:help@tracker.example.org"' in html
    # what is known not to work is said, with the session's real limit
    assert f"signed out after {settings.SESSION_COOKIE_AGE // 60} minutes" in html


def test_the_glossary_is_open_to_anyone_with_an_anchor_for_each_word():
    response = Client().get(reverse("web:glossary"))
    assert response.status_code == 200
    html = response.content.decode()
    page = outline(html)
    assert page.headings.count(1) == 1
    ids = re.findall(r'<h2 class="nhsuk-heading-m" id="([a-z-]+)">', html)
    assert sorted(ids) == sorted(ANCHORS)
    assert ids == [term.anchor for term in TERMS]
    # each word has a meaning, and ratings are explained in words, not codes
    for term in TERMS:
        assert term.meaning and all(len(p) > 20 for p in term.meaning), term.anchor
    assert "“Partly met” means" in html.replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert "partly_met" not in html and "not_met" not in html


def test_every_page_has_the_statement_and_the_glossary_in_its_footer(site, as_user):
    w = site.world
    pages = [
        (Client(), reverse("web:login")),
        (Client(), reverse("web:accessibility")),
        (as_user(w.manager), reverse("web:home")),
        (as_user(w.manager), reverse("web:dashboard", args=[w.programme.pk])),
        (as_user(w.manager), reverse("web:gap", args=[site.gap.pk])),
        (as_user(w.lead_a), reverse("web:action", args=[site.action.pk])),
        (as_user(w.provider_user), reverse("web:my-offers")),
        (as_user(w.reviewer), reverse("web:gaps", args=[w.programme.pk])),
    ]
    for client, path in pages:
        html = client.get(path).content.decode()
        links = footer(html)
        assert '<a class="nhsuk-footer__list-item-link" href="/accessibility/">' \
               "Accessibility statement</a>" in links, path
        assert '<a class="nhsuk-footer__list-item-link" href="/glossary/">Glossary</a>' \
               in links, path


def test_the_gap_register_links_its_words_to_the_glossary(site, as_user):
    html = as_user(site.world.reviewer).get(
        reverse("web:gaps", args=[site.world.programme.pk])).content.decode()
    main = html[html.index("<main"):html.index("</main>")]
    assert '<a href="/glossary/#gap">gap</a>' in main
    assert '<a href="/glossary/#severity">severity</a>' in main


def test_the_dashboard_and_joint_commissioning_link_their_words_to_the_glossary(site, as_user):
    client = as_user(site.world.manager)
    pk = site.world.programme.pk
    dashboard = client.get(reverse("web:dashboard", args=[pk])).content.decode()
    assert 'href="/glossary/#highlight-report"' in dashboard
    assert '<a href="/glossary/#principle">principle</a>' in dashboard
    joint = client.get(reverse("web:joint-commissioning", args=[pk])).content.decode()
    assert 'href="/glossary/#joint-commissioning"' in joint


def test_a_glossary_link_to_a_word_the_glossary_lacks_fails_loudly():
    from django.template import Context, Template, TemplateSyntaxError

    assert Template('{% glossary "cycle" %}').render(Context()) == (
        '<a href="/glossary/#cycle">cycle</a>')
    with pytest.raises(TemplateSyntaxError):
        Template('{% glossary "gaps" %}').render(Context())
