"""A change made in place with htmx that the service refuses shows its error in place."""

from actions.models import Action


def test_a_refused_status_change_on_my_actions_shows_the_error_in_its_row(visitor):
    page = visitor.page
    # given the partner lead on their actions, one of them still open
    visitor.log_in("lead")
    visitor.goto("/actions/mine/")
    action = Action.objects.filter(owner__username="lead").exclude(
        status__in=["done", "cancelled"]).order_by("due_date", "pk").first()
    row = page.locator(f"#action-{action.pk}")
    before = action.status

    # when a status the service does not know reaches it (as a stale or altered page would)
    row.locator("select").evaluate(
        "select => { const o = new Option('Finished', 'finished'); select.add(o);"
        " select.value = 'finished'; }")
    with page.expect_response(lambda r: f"/actions/{action.pk}/status/" in r.url) as answer:
        row.get_by_role("button").click()

    # then the row is replaced in place with the error, the rest of the page kept
    assert answer.value.status == 400
    page.locator(f"#action-{action.pk} .nhsuk-error-message").wait_for()
    assert page.get_by_role("heading", level=1).count() == 1
    action.refresh_from_db()
    assert action.status == before
