"""A partner lead who uses only a keyboard: signs in, answers an assessment section and adds
an action with the NHS date input. Nothing is clicked or filled by the test: every step
is a key press (Tab, Shift+Tab, the arrow keys, Space, Enter) or typing, and at every
stop the focused element must show that it has focus."""

import datetime

from actions.models import Action
from programmes.models import Assessment, Gap, Principle, Response

from .conftest import PASSWORD

LEAD = "lead.homecare"  # Meadowbank Home Care's lead: their review is still a draft
PARTNER = "Meadowbank Home Care"
MAX_TABS = 250

# What the focused element is, and whether its focus can be seen: an outline that is
# not transparent (the design system's yellow one, or the browser's own ring), or the
# design system's focus colour (yellow, #ffeb3b) in a box-shadow or the background; on
# radios and checkboxes (the input itself is hidden) the ring drawn on the label. A
# box-shadow of another colour is not enough: buttons have one at rest.
FOCUSED = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const yellow = "rgb(255, 235, 59)";
  const seen = (style) => (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
                           && style.outlineColor !== "rgba(0, 0, 0, 0)")
    || (style.boxShadow || "").includes(yellow) || style.backgroundColor === yellow;
  let visible = seen(getComputedStyle(el));
  if (!visible && (el.type === "radio" || el.type === "checkbox") && el.labels.length) {
    visible = seen(getComputedStyle(el.labels[0], "::before"));
  }
  return {
    tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name") || "",
    type: el.type || "", value: el.value || "", checked: !!el.checked,
    text: (el.innerText || el.getAttribute("aria-label") || "").trim(),
    visible,
  };
}
"""


class Keyboard:
    def __init__(self, page):
        self.page = page
        self.unseen = []  # focus stops where the focus could not be seen

    def focused(self):
        info = self.page.evaluate(FOCUSED)
        if info and not info["visible"]:
            self.unseen.append(f"{info['tag']}#{info['id']} “{info['text'][:40]}” "
                               f"on {self.page.url}")
        return info

    def press(self, key):
        self.page.keyboard.press(key)
        return self.focused()

    def tab_to(self, what, matches, *, backwards=False):
        """Tab (or Shift+Tab) until the focused element matches; fail after MAX_TABS."""
        for _ in range(MAX_TABS):
            info = self.press("Shift+Tab" if backwards else "Tab")
            if info and matches(info):
                return info
        raise AssertionError(f"never reached {what} by Tab on {self.page.url}")

    def type(self, text):
        self.page.keyboard.type(text)

    def enter_and_wait(self):
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        self.page.wait_for_load_state()


def test_a_lead_answers_a_section_and_adds_an_action_by_keyboard_alone(
        browser_context, live_server, demo):
    page = browser_context.new_page()
    page.set_default_timeout(15_000)
    keys = Keyboard(page)
    assessment = Assessment.objects.get(partner__name=PARTNER, status="draft")
    principle = Principle.objects.get(framework=assessment.cycle.programme.framework, number=1)
    items = list(principle.items.filter(is_active=True).order_by("order"))

    # given the partner lead signing in with the keyboard
    page.goto(live_server.url + "/login/")
    keys.tab_to("the username", lambda f: f["name"] == "username")
    keys.type(LEAD)
    keys.tab_to("the password", lambda f: f["name"] == "password")
    keys.type(PASSWORD)
    keys.enter_and_wait()
    assert "/login/" not in page.url

    # when they open their draft review and principle 1's section
    page.goto(f"{live_server.url}/assessments/{assessment.pk}/")
    keys.tab_to("principle 1's link", lambda f: f["tag"] == "a" and f["text"].startswith("1."))
    keys.enter_and_wait()
    assert f"/assessments/{assessment.pk}/principles/1/" in page.url

    # and answer every statement "Partly met": Tab into each group of radios, Space to
    # choose the one with focus, then the arrow keys to move the choice along
    for item in items:
        group = f"item-{item.pk}-rating"
        focus = keys.tab_to(group, lambda f, group=group: f["name"] == group)
        if not focus["checked"]:
            focus = keys.press("Space")
        for _ in range(6):
            if focus["value"] == "partly_met" and focus["checked"]:
                break
            focus = keys.press("ArrowRight")
        assert focus["value"] == "partly_met" and focus["checked"], item.code
    keys.tab_to("the save button",
                lambda f: f["tag"] == "button" and f["text"] == "Save and continue")
    keys.enter_and_wait()

    # then the answers are saved
    assert "Answers to principle 1 saved" in page.inner_text("body")
    ratings = set(Response.objects.filter(assessment=assessment, checklist_item__in=items)
                  .values_list("rating", flat=True))
    assert ratings == {"partly_met"}
    assert not keys.unseen, "focus not visible:\n" + "\n".join(keys.unseen)

    # when they add an action to one of their open gaps, the due date in the NHS date input
    gap = Gap.objects.filter(partner__name=PARTNER, status="open").order_by("pk").first()
    page.goto(f"{live_server.url}/gaps/{gap.pk}/")
    keys.tab_to("Add an action", lambda f: f["tag"] == "a" and f["text"] == "Add an action")
    keys.enter_and_wait()
    keys.tab_to("the title", lambda f: f["name"] == "title")
    keys.type("Pair new home care staff with a hospital buddy")
    keys.tab_to("the due date's day (the NHS date input)",
                lambda f: f["id"] == "id_due_date-day")
    keys.type("31")
    assert keys.press("Tab")["id"] == "id_due_date-month"
    keys.type("3")
    assert keys.press("Tab")["id"] == "id_due_date-year"
    keys.type("2027")
    # a step back and forth keeps what was typed
    assert keys.press("Shift+Tab")["value"] == "3"
    assert keys.press("Tab")["value"] == "2027"
    keys.tab_to("the add button",
                lambda f: f["tag"] == "button" and f["text"] == "Add the action")
    keys.enter_and_wait()

    # then the action is on the gap, due on 31 March 2027
    action = Action.objects.get(title="Pair new home care staff with a hospital buddy")
    assert action.gap == gap
    assert action.due_date == datetime.date(2027, 3, 31)
    assert "Pair new home care staff with a hospital buddy" in page.inner_text("body")
    # and the focus could be seen at every stop on the way
    assert not keys.unseen, "focus not visible:\n" + "\n".join(keys.unseen)
