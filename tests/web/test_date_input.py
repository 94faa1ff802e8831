"""Every date is typed in the NHS date input: day, month and year boxes, with the design
system's error messages for each part and the error summary linking to the part."""

import datetime
import re

import pytest
from django.urls import reverse

from actions.models import Action
from web import forms as web_forms

pytestmark = pytest.mark.django_db


def action_body(**due):
    return {"title": "Run a joint team day", "priority": "high", **due}


def parts(day, month, year):
    return {"due_date-day": day, "due_date-month": month, "due_date-year": year}


def test_the_add_action_page_shows_day_month_and_year_boxes_in_a_fieldset(site, as_user):
    html = as_user(site.world.manager).get(
        reverse("web:action-new", args=[site.gap.pk])).content.decode()
    assert 'type="date"' not in html
    fieldset = re.search(r'<fieldset class="nhsuk-fieldset" role="group"[^>]*>(.*?)</fieldset>',
                         html, re.S).group(0)
    assert re.search(r'<legend[^>]*>\s*Due date', fieldset)
    assert 'class="nhsuk-hint"' in fieldset and "For example, 31 3 2027" in fieldset
    for part, label, width in (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4)):
        assert f'<label class="nhsuk-label nhsuk-date-input__label" for="id_due_date-{part}">' \
               f'{label}</label>' in fieldset
        box = re.search(rf'<input[^>]*id="id_due_date-{part}"[^>]*>', fieldset).group(0)
        assert f'name="due_date-{part}"' in box and 'inputmode="numeric"' in box
        assert f"nhsuk-date-input__input nhsuk-input--width-{width}" in box


def test_typing_31_3_2027_saves_the_31st_of_march(site, as_user):
    response = as_user(site.world.manager).post(
        reverse("web:action-new", args=[site.gap.pk]), action_body(**parts("31", "03", "2027")))
    assert response.status_code == 302
    assert Action.objects.get(title="Run a joint team day").due_date == datetime.date(2027, 3, 31)


def test_a_single_iso_value_is_still_accepted(site, as_user):
    response = as_user(site.world.manager).post(
        reverse("web:action-new", args=[site.gap.pk]), action_body(due_date="2027-03-31"))
    assert response.status_code == 302
    assert Action.objects.get(title="Run a joint team day").due_date == datetime.date(2027, 3, 31)


@pytest.mark.parametrize("typed, message, link, in_error", [
    (("", "3", "2027"), "Due date must include a day", "day", {"day"}),
    (("31", "", "2027"), "Due date must include a month", "month", {"month"}),
    (("31", "3", ""), "Due date must include a year", "year", {"year"}),
    (("", "", "2027"), "Due date must include a day and month", "day", {"day", "month"}),
    (("31", "2", "2027"), "Due date must be a real date", "day", {"day", "month", "year"}),
    (("12", "13", "2027"), "Due date must be a real date", "month", {"month"}),
    (("1", "3", "27"), "Year must include 4 numbers", "year", {"year"}),
    (("1", "March", "2027"), "Due date must be a real date", "month", {"month"}),
])
def test_a_wrong_date_says_what_is_wrong_and_links_to_the_part(site, as_user, typed, message,
                                                              link, in_error):
    response = as_user(site.world.manager).post(
        reverse("web:action-new", args=[site.gap.pk]), action_body(**parts(*typed)))
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    start = html.index("nhsuk-error-summary")
    summary = html[start:html.index("</ul>", start)]
    assert f'<a href="#id_due_date-{link}">{message}</a>' in summary
    for part in ("day", "month", "year"):
        box = re.search(rf'<input[^>]*id="id_due_date-{part}"[^>]*>', html).group(0)
        assert ("nhsuk-input--error" in box) is (part in in_error), part
    # what was typed is kept
    for part, value in zip(("day", "month", "year"), typed, strict=True):
        box = re.search(rf'<input[^>]*id="id_due_date-{part}"[^>]*>', html).group(0)
        assert (f'value="{value}"' in box) is bool(value)
    assert not Action.objects.filter(title="Run a joint team day").exists()


def test_a_required_date_left_empty_says_enter_the_date():
    form = web_forms.CycleForm(data={"name": "Review", "period_start-day": "",
                                     "period_start-month": "", "period_start-year": "",
                                     "period_end": "2027-03-31"})
    assert not form.is_valid()
    assert form.errors["period_start"] == ["Enter the day the cycle opens"]
    html = str(form["period_start"])
    assert html.count("nhsuk-input--error") == 3


def test_a_saved_date_is_shown_in_the_three_boxes(site, as_user):
    site.action.due_date = datetime.date(2027, 4, 9)
    site.action.save()
    html = as_user(site.world.manager).get(
        reverse("web:action-edit", args=[site.action.pk])).content.decode()
    for part, value in (("day", "9"), ("month", "4"), ("year", "2027")):
        box = re.search(rf'<input[^>]*id="id_due_date-{part}"[^>]*>', html).group(0)
        assert f'value="{value}"' in box


def test_every_date_of_every_page_form_uses_the_date_input():
    found = []
    for form_class in vars(web_forms).values():
        if not (isinstance(form_class, type) and issubclass(form_class, web_forms.NHSFormMixin)):
            continue
        for name, field in getattr(form_class, "base_fields", {}).items():
            if isinstance(field, web_forms.forms.DateField):
                found.append(name)
                assert isinstance(field.widget, web_forms.NHSDateInput), name
    assert len(found) >= 15


def test_the_successes_period_accepts_typed_dates(site, as_user):
    url = reverse("web:dashboard", args=[site.world.programme.pk])
    html = as_user(site.world.manager).get(url, {
        "period": "dates", "start-day": "1", "start-month": "1", "start-year": "2026",
        "end-day": "31", "end-month": "2", "end-year": "2026"}).content.decode()
    assert '<a href="#id_end-day">Last day must be a real date</a>' in html
