"""The programme action board (``/programmes/{id}/actions/``) and bulk changes of actions,
on the page and through ``POST /api/v1/actions/bulk/``."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import Action
from notifications.models import Notification
from programmes.models import Gap, Membership

from .. import factories as f

Role = Membership.Role

pytestmark = pytest.mark.django_db

BULK = "/api/v1/actions/bulk/"


def board_url(programme, query=""):
    return reverse("web:action-board", args=[programme.pk]) + (f"?{query}" if query else "")


def titles(response):
    assert response.status_code == 200
    return re.findall(r'<a href="/actions/\d+/">([^<]+)</a>', response.content.decode())


@pytest.fixture
def board(world):
    """Four actions of the programme (one unowned, one overdue, one done) and one of
    another programme."""
    w = world
    gap = Gap.objects.create(programme=w.programme, partner=w.partner_b,
                             checklist_item=w.items[2], principle=w.principles[1],
                             severity="high", opened_at=timezone.now())
    make = f.ActionFactory
    actions = {
        "late": make(programme=w.programme, title="Late induction", owner=w.lead_a,
                     owner_partner=w.partner_a, due_date=datetime.date(2020, 1, 1),
                     priority="low"),
        "unowned": make(programme=w.programme, title="Unowned rota review",
                        due_date=datetime.date(2099, 3, 1), priority="high"),
        "beta": make(programme=w.programme, title="Beta shared training", owner=w.lead_b,
                     owner_partner=w.partner_b, gap=gap, due_date=datetime.date(2099, 1, 1),
                     priority="medium", status="in_progress"),
        "done": make(programme=w.programme, title="Done already", owner=w.lead_a,
                     owner_partner=w.partner_a, due_date=datetime.date(2019, 1, 1),
                     status="done", completed_at=timezone.now()),
    }
    make(title="Somebody else's programme")
    return actions


@pytest.mark.parametrize("role", ["manager", "lead_a", "reviewer"])
def test_the_board_lists_every_action_of_the_programme_the_role_may_see(world, board, as_user,
                                                                        role):
    shown = titles(as_user(getattr(world, role)).get(board_url(world.programme)))
    # sorted by due date, soonest first; the other programme's action is not there
    assert shown == ["Done already", "Late induction", "Beta shared training",
                     "Unowned rota review"]


def test_someone_outside_the_programme_gets_404(world, board, as_user):
    assert as_user(world.outsider).get(board_url(world.programme)).status_code == 404


@pytest.mark.parametrize("query, expected", [
    ("overdue=true", ["Late induction"]),
    ("no_owner=true", ["Unowned rota review"]),
    ("open=true", ["Late induction", "Beta shared training", "Unowned rota review"]),
    ("status=in_progress", ["Beta shared training"]),
    ("search=ROTA", ["Unowned rota review"]),
    ("sort=priority&open=true", ["Unowned rota review", "Beta shared training",
                                 "Late induction"]),
    ("sort=status", ["Late induction", "Unowned rota review", "Beta shared training",
                     "Done already"]),
])
def test_the_board_filters_searches_and_sorts(world, board, as_user, query, expected):
    assert titles(as_user(world.manager).get(board_url(world.programme, query))) == expected


def test_the_board_filters_by_partner_owner_and_principle(world, board, as_user):
    client = as_user(world.manager)
    w = world
    assert titles(client.get(board_url(w.programme, f"owner_partner={w.partner_b.pk}"))) == [
        "Beta shared training"]
    assert titles(client.get(board_url(w.programme, f"owner={w.lead_a.pk}"))) == [
        "Done already", "Late induction"]
    principle = w.principles[1].pk
    assert titles(client.get(board_url(w.programme, f"principle={principle}"))) == [
        "Beta shared training"]


def test_the_download_has_the_filtered_actions(world, board, as_user):
    response = as_user(world.lead_a).get(board_url(world.programme, "overdue=true&download=csv"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content if response.streaming else [response.content])
    text = body.decode("utf-8-sig")
    assert "Late induction" in text and "Unowned rota review" not in text


def test_the_board_pages_by_fifty(world, as_user):
    f.ActionFactory.create_batch(51, programme=world.programme)
    client = as_user(world.manager)
    assert len(titles(client.get(board_url(world.programme)))) == 50
    assert len(titles(client.get(board_url(world.programme, "page=2")))) == 1


def test_the_dashboard_links_its_action_counts_to_the_filtered_board(world, board, as_user):
    html = as_user(world.manager).get(reverse("web:dashboard", args=[world.programme.pk]))
    html = html.content.decode()
    assert f'href="{board_url(world.programme)}?overdue=true"' in html
    assert f'href="{board_url(world.programme)}?open=true"' in html


def test_the_boards_query_count_does_not_grow_with_the_page(world, as_user,
                                                            django_assert_num_queries):
    client = as_user(world.manager)
    gap = Gap.objects.create(programme=world.programme, partner=world.partner_a,
                             checklist_item=world.items[0], principle=world.principles[0],
                             severity="high", opened_at=timezone.now())

    def count_for(n):
        Action.objects.all().delete()
        for i in range(n):
            partner = [world.partner_a, world.partner_b][i % 2]
            owner = [world.lead_a, world.lead_b][i % 2]
            f.ActionFactory(programme=world.programme, owner=owner, owner_partner=partner,
                            gap=gap)
        client.get(board_url(world.programme))  # warm what is cached per process
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(board_url(world.programme))
        assert len(titles(response)) == n
        return len(ctx.captured_queries)

    five = count_for(5)
    fifty_count = count_for(50)
    with django_assert_num_queries(five):
        assert len(titles(client.get(board_url(world.programme)))) == 50
    assert fifty_count == five


# Bulk changes -----------------------------------------------------------------------


def test_bulk_reassign_of_200_actions_is_one_request_and_writes_200_history_rows(
        world, api):
    actions = f.ActionFactory.create_batch(200, programme=world.programme, owner=world.lead_a,
                                           owner_partner=world.partner_a)
    history = Action.history.count()
    response = api.as_user(world.manager).post(
        BULK, {"ids": [a.pk for a in actions], "owner": world.lead_b.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"changed": 200}
    assert Action.objects.filter(owner=world.lead_b, owner_partner=world.partner_b).count() == 200
    assert Action.history.count() == history + 200
    f.deliver_events()
    assert Notification.objects.filter(recipient=world.lead_b).count() == 200


def test_bulk_status_change_leaves_alone_what_already_has_it(world, api):
    a, b = f.ActionFactory.create_batch(2, programme=world.programme)
    Action.objects.filter(pk=b.pk).update(status="blocked")
    history = Action.history.count()
    response = api.as_user(world.manager).post(
        BULK, {"ids": [a.pk, b.pk], "status": "blocked"}, format="json")
    assert response.status_code == 200 and response.json() == {"changed": 1}
    assert Action.history.count() == history + 1


def test_a_refusal_in_the_middle_changes_nothing_and_names_the_action(world, api):
    # given 199 actions in the programme and, in the middle, one of a second programme
    # the manager also manages, where the new owner is not a member
    other = f.ProgrammeFactory(framework=world.framework, partners=[world.partner_a])
    f.MembershipFactory(programme=other, user=world.manager, role=Role.MANAGER)
    ours = f.ActionFactory.create_batch(199, programme=world.programme)
    theirs = f.ActionFactory(programme=other, title="Across the border")
    ids = [a.pk for a in ours[:100]] + [theirs.pk] + [a.pk for a in ours[100:]]
    history = Action.history.count()
    response = api.as_user(world.manager).post(
        BULK, {"ids": ids, "owner": world.lead_b.pk, "status": "in_progress"}, format="json")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert f"Action {theirs.pk}" in detail and "Across the border" in detail
    assert "member of the programme" in detail
    assert Action.objects.filter(owner__isnull=False).count() == 0
    assert Action.objects.filter(status="in_progress").count() == 0
    assert Action.history.count() == history
    assert Notification.objects.count() == 0


def test_an_action_the_user_cannot_see_is_refused_and_nothing_changes(world, api):
    mine = f.ActionFactory(programme=world.programme)
    hidden = f.ActionFactory(title="Elsewhere")
    response = api.as_user(world.manager).post(
        BULK, {"ids": [mine.pk, hidden.pk], "status": "done"}, format="json")
    assert response.status_code == 400 and str(hidden.pk) in response.json()["detail"]
    assert Action.objects.get(pk=mine.pk).status == "not_started"


@pytest.mark.parametrize("role", ["lead_a", "reviewer", "provider_user"])
def test_non_managers_get_403_from_the_bulk_endpoint_and_no_bulk_form(world, board, api,
                                                                     as_user, role):
    user = getattr(world, role)
    response = api.as_user(user).post(
        BULK, {"ids": [board["late"].pk], "status": "done"}, format="json")
    assert response.status_code == 403
    assert Action.objects.get(pk=board["late"].pk).status == "not_started"
    html = as_user(user).get(board_url(world.programme)).content.decode()
    assert 'data-testid="bulk-form"' not in html and 'name="ids"' not in html
    page = as_user(user).post(reverse("web:action-board-bulk", args=[world.programme.pk]),
                              {"ids": [board["late"].pk], "status": "done"})
    assert page.status_code == 403
    assert Action.objects.get(pk=board["late"].pk).status == "not_started"


def test_a_manager_of_another_programme_is_refused_403_naming_the_action(world, board, api):
    other = f.ProgrammeFactory(framework=world.framework)
    boss = f.UserFactory(username="boss")
    f.MembershipFactory(programme=other, user=boss, role=Role.MANAGER)
    f.MembershipFactory(programme=world.programme, user=boss, role=Role.REVIEWER)
    response = api.as_user(boss).post(
        BULK, {"ids": [board["late"].pk], "status": "done"}, format="json")
    assert response.status_code == 403 and f"Action {board['late'].pk}" in response.json()[
        "detail"]


def test_a_manager_changes_the_chosen_actions_on_the_page(world, board, as_user):
    client = as_user(world.manager)
    html = client.get(board_url(world.programme)).content.decode()
    assert 'data-testid="bulk-form"' in html and f'value="{board["late"].pk}"' in html
    response = client.post(
        reverse("web:action-board-bulk", args=[world.programme.pk]),
        {"ids": [board["late"].pk, board["unowned"].pk], "owner": world.lead_b.pk,
         "status": "blocked", "query": "open=true"})
    assert response.status_code == 302
    assert response["Location"] == board_url(world.programme, "open=true")
    for key in ("late", "unowned"):
        action = Action.objects.get(pk=board[key].pk)
        assert (action.owner, action.status) == (world.lead_b, "blocked")
    page = client.get(response["Location"]).content.decode()
    assert "2 actions changed." in page


def test_a_refused_page_change_says_so_and_changes_nothing(world, board, as_user):
    client = as_user(world.manager)
    response = client.post(
        reverse("web:action-board-bulk", args=[world.programme.pk]),
        {"ids": [board["late"].pk], "owner": world.reviewer.pk}, follow=True)
    assert "Nothing was changed. Choose the new owner from the list." in (
        response.content.decode())
    assert Action.objects.get(pk=board["late"].pk).owner == world.lead_a
    response = client.post(reverse("web:action-board-bulk", args=[world.programme.pk]),
                           {"status": "done"}, follow=True)
    assert "Nothing was changed. Choose at least one action." in response.content.decode()


def test_the_bulk_endpoint_is_in_the_openapi_schema_with_its_request_body():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    post = schema["paths"]["/api/v1/actions/bulk/"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"ids", "owner", "status"} <= set(body["properties"]) and body["required"] == ["ids"]
