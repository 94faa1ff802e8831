"""Links in notifications and e-mails are the pages' own routes, reversed, not copies."""

from django.urls import resolve

from actions.reminders import action_link


def test_an_action_link_opens_the_action_page():
    # given an action's id
    # when its link is built
    link = action_link(42)

    # then it is the address of the action's page
    match = resolve(link)
    assert match.view_name == "web:action"
    assert match.kwargs == {"pk": 42}
