"""The highlight report: figures, HTML, PDF, and the weekly digest for managers."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from actions.models import Action
from learning import services as learning_services
from notifications import services as notification_services
from notifications.models import NotificationPreference
from programmes import services as programme_services
from programmes.models import Gap
from programmes.snapshots import snapshot_take

from .. import factories as f

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def busy(world):
    """Submitted answers, gaps, overdue actions, funding and placements."""
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    for item, rating in zip(world.items, ["met", "partly_met", "not_met", "met", "partly_met"],
                            strict=True):
        f.ResponseFactory(assessment=assessment, checklist_item=item, rating=rating)
    snapshot_take(programme=world.programme, day=timezone.localdate() - datetime.timedelta(days=1))
    programme_services.assessment_submit(actor=world.manager, assessment=assessment)
    gap = Gap.objects.filter(principle=world.principles[1]).first()
    today = timezone.localdate()
    for days, partner in [(3, world.partner_a), (10, world.partner_a), (5, world.partner_b)]:
        f.ActionFactory(programme=world.programme, gap=gap, owner_partner=partner,
                        due_date=today - datetime.timedelta(days=days))
    stream = f.FundingStreamFactory(programme=world.programme, funder=world.partner_a,
                                    name="Better Care Fund", amount=Decimal("12000.00"))
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a, gap=gap,
                                 principle=gap.principle, workers_count=8)
    learning_services.allocation_create(actor=world.manager, stream=stream, learning_need=need,
                                        amount=Decimal("2500.50"))
    offer = f.TrainingOfferFactory(provider=world.provider, title="Joint induction course")
    learning_services.placement_book(actor=world.manager, learning_need=need,
                                     training_offer=offer, places=6)
    return world


def test_report_figures_follow_progress_and_the_last_snapshot(api, busy):
    client = api.as_user(busy.reviewer)
    url = f"/api/v1/programmes/{busy.programme.pk}/highlight-report/"
    report = client.get(url).json()
    progress = client.get(f"/api/v1/programmes/{busy.programme.pk}/progress/").json()

    scores = [p["score"] for p in report["principles"]]
    assert scores == [p["score"] for p in progress["principles"]]
    # the snapshot of yesterday had nothing assessed: no score change to show, and 3 gaps opened
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert report["previous_snapshot"] == yesterday.isoformat()
    assert report["principles"][1]["change"]["gaps_open"] == 2
    assert report["gaps"]["opened"] == 3 and report["gaps"]["closed"] == 0
    overdue = report["overdue_actions"]["partners"]
    assert [(r["partner"], r["count"], r["days_late"]) for r in overdue] == [
        ("Alpha Council", 2, 10), ("Beta Trust", 1, 5)]
    assert report["funding"]["allocated"] == "2500.50"
    assert report["funding"]["available"] == "9499.50"
    assert report["placements"]["offers"][0]["requested"] == 6


def test_pdf_shows_each_principles_figures(api, busy):
    client = api.as_user(busy.manager)
    url = f"/api/v1/programmes/{busy.programme.pk}/highlight-report/"
    figures = client.get(url).json()

    response = client.get(url, {"format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "Highlight report" in text and busy.programme.name in text
    for p in figures["principles"]:
        table = text.split("Score and work by principle", 1)[1]
        row = re.search(re.escape(f"{p['number']}. {p['title']}")
                        + r"(.*?)(?=\d\. Principle|All principles)", table)
        assert row, f"no row for principle {p['number']}"
        cells = row.group(1)
        score = "not assessed" if p["score"] is None else f"{p['score']:.1f}"
        for expected in (score, f"{p['assessed']} of {p['items']}", str(p["met"]),
                         str(p["not_met"]), f"{p['actions_done']} of {p['actions']}"):
            assert expected in cells, (p["number"], expected, cells)
    assert "Alpha Council" in text and "£12,000.00" in text and "Joint induction course" in text


def test_html_has_an_inline_chart_and_the_sections(api, busy):
    response = api.as_user(busy.lead_a).get(
        f"/api/v1/programmes/{busy.programme.pk}/highlight-report/", {"format": "html"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<svg" in html and 'role="img"' in html
    for heading in ("Progress by principle", "Gaps opened and closed", "Overdue actions by partner",
                    "Funding allocated against available", "Learning placements"):
        assert heading in html


def test_report_is_for_members_only(api, busy):
    url = f"/api/v1/programmes/{busy.programme.pk}/highlight-report/"
    assert api.as_user(busy.outsider).get(url, {"format": "pdf"}).status_code == 404
    assert api.as_user(busy.outsider).get(url).status_code == 404
    api.logout()
    api.force_authenticate(None)
    assert api.get(url, {"format": "html"}).status_code in (401, 403)


def test_weekly_digest_of_a_manager_carries_the_report(busy, settings):
    # given a manager and a partner lead who both take a weekly digest, with news waiting
    action = Action.objects.filter(programme=busy.programme).first()  # news about a real one
    for user in (busy.manager, busy.lead_a):
        NotificationPreference.objects.create(user=user, email_frequency="weekly_digest")
        notification_services.notify(
            recipient_id=user.pk, kind="action_assigned", subject_type="action",
            subject_id=action.pk,
            occurrence=datetime.date(2026, 6, 1), message="A new action for you.")

    # when the digests are queued and sent
    notification_services.queue_weekly_digests(today=datetime.date(2026, 6, 3))
    notification_services.send_pending_emails()

    # then the manager's digest has the programme's highlight report as a PDF, the lead's none
    by_recipient = {m.to[0]: m for m in mail.outbox}
    manager_mail = by_recipient[busy.manager.email]
    (filename, content, mimetype), = manager_mail.attachments
    assert mimetype == "application/pdf" and filename.startswith("highlight-report-programme-")
    assert busy.programme.name in pdf_text(content)
    assert by_recipient[busy.lead_a.email].attachments == []


def test_report_queries_do_not_grow_with_the_programme(api, busy):
    client = api.as_user(busy.manager)
    url = f"/api/v1/programmes/{busy.programme.pk}/highlight-report/"
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    gap = Gap.objects.first()
    stream = f.FundingStreamFactory(programme=busy.programme, funder=busy.partner_b)
    for i in range(15):
        partner = f.PartnerFactory()
        busy.programme.partners.add(partner)
        f.ActionFactory(programme=busy.programme, gap=gap, owner_partner=partner,
                        due_date=timezone.localdate() - datetime.timedelta(days=i + 1))
        need = f.LearningNeedFactory(programme=busy.programme, partner=partner)
        f.PlacementFactory(learning_need=need,
                           training_offer=f.TrainingOfferFactory(provider=busy.provider))
        f.FundingStreamFactory(programme=busy.programme, funder=busy.partner_b)
    assert stream and count() == before


def test_the_page_sits_in_the_service_with_a_way_back(client, busy):
    # given a partner lead signed in to the web pages
    client.force_login(busy.lead_a)
    name = busy.programme.name

    # when they open the programme's highlight report
    response = client.get(f"/api/v1/programmes/{busy.programme.pk}/highlight-report/",
                          {"format": "html"})

    # then it has the service's header and footer, its own title and one heading
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="nhsuk-header"' in html and 'class="nhsuk-footer"' in html
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()
    assert title == f"Highlight report – {name} – Workforce integration tracker"
    assert html.count("<h1") == 1
    # breadcrumbs to the programmes and the programme, and a link back to it
    crumbs = re.search(r'<nav class="nhsuk-breadcrumb".*?</nav>', html, re.S).group(0)
    dashboard = f'href="/programmes/{busy.programme.pk}/"'
    assert 'href="/">Programmes</a>' in crumbs and f"{dashboard}>{name}</a>" in crumbs
    assert '<span aria-current="page">Highlight report</span>' in crumbs
    assert re.search(rf'class="nhsuk-back-link" {dashboard}>Back to {re.escape(name)}</a>',
                     html.split("</nav>", 2)[-1])
    # the PDF one click away, and money in the service's one format
    assert f'href="/api/v1/programmes/{busy.programme.pk}/highlight-report/?format=pdf"' in html
    assert "Download PDF" in html
    assert "£12,000.00" in html and "£2,500.50" in html and "£9,499.50" in html

