"""Every page form answers bad input in the service's own words: no sentence of Django's
defaults reaches a page."""

import inspect

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse

from learning.models import LearningNeed, TrainingSession
from programmes.models import Partner
from web import forms as web_forms

pytestmark = pytest.mark.django_db

DJANGO_DEFAULTS = [
    "This field is required.",
    "Ensure this value",
    "Enter a valid",
    "Select a valid choice",
    "Please enter a correct username and password",
    "Enter a whole number.",
    "Enter a number.",
    "already exists.",
    "is not a valid value",
    "Enter a list of values",
    "The submitted file is empty",
    "No file was submitted",
    "Constraint “",
]


def page_forms():
    return sorted((cls for cls in vars(web_forms).values()
                   if isinstance(cls, type) and issubclass(cls, (web_forms.Form,
                                                                 web_forms.ModelForm))
                   and cls not in (web_forms.Form, web_forms.ModelForm)),
                  key=lambda cls: cls.__name__)


def build(form_class, world, data, files=None):
    """The form as a page makes it, with the arguments its ``__init__`` asks for."""
    arguments = {
        "programme": world.programme, "choices": Partner.objects.all(),
        "needs": LearningNeed.objects.all(), "sessions": TrainingSession.objects.all(),
        "session_label": str,
        "partners": Partner.objects.all(), "framework_id": world.programme.framework_id,
    }
    wanted = {name for cls in form_class.__mro__ if "__init__" in vars(cls)
              for name in inspect.signature(cls.__init__).parameters}
    kwargs = {name: value for name, value in arguments.items() if name in wanted}
    return form_class(data=data, files=files, **kwargs)


def bad_value(name, field):
    """Something a person might type that the field refuses."""
    if isinstance(field, forms.DateField):
        return {f"{name}-day": "31", f"{name}-month": "2", f"{name}-year": "2027"}
    if isinstance(field, (forms.ChoiceField, forms.ModelMultipleChoiceField)):
        return {name: ["not-a-choice"]} if isinstance(
            field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField) else \
            {name: "not-a-choice"}
    if isinstance(field, forms.DecimalField):
        return {name: "12.3456789"} if field.decimal_places else {name: "lots"}
    if isinstance(field, forms.IntegerField):
        return {name: "-100000000"} if field.min_value is not None else {name: "lots"}
    if isinstance(field, forms.EmailField):
        return {name: "not an address"}
    if isinstance(field, forms.URLField):
        return {name: "not a web address"}
    if isinstance(field, forms.TimeField):
        return {name: "half past"}
    if isinstance(field, forms.CharField) and field.max_length:
        return {name: "x" * (field.max_length + 1)}
    return {}


def rendered(form):
    return str(form) + render_to_string("components/error_summary.html", {"form": form})


def assert_plain(html, where):
    for sentence in DJANGO_DEFAULTS:
        assert sentence not in html, f"{where}: {sentence!r}"


@pytest.mark.parametrize("form_class", page_forms(), ids=lambda cls: cls.__name__)
def test_a_page_form_refuses_bad_input_in_plain_english(world, form_class):
    # when the form is sent empty, then with a bad value in every field
    empty = build(form_class, world, {})
    empty.is_valid()
    assert_plain(rendered(empty), "empty")

    data, files = {}, {}
    for name, field in build(form_class, world, None).fields.items():
        data.update(bad_value(name, field))
        if isinstance(field, forms.FileField):
            files[name] = SimpleUploadedFile("empty.pdf", b"")
    bad = build(form_class, world, data, files)
    assert not bad.is_valid() or not data
    # then no message is one of Django's
    assert_plain(rendered(bad), "bad")


def test_a_number_below_the_lowest_says_the_limit_with_the_label():
    form = web_forms.SessionForm(data={"capacity": "0"})
    assert not form.is_valid()
    assert form.errors["capacity"] == ["Number of places must be between 1 and 100,000"]


def test_a_wrong_amount_says_how_to_write_it(world):
    form = build(web_forms.AllocationForm, world, {"amount": "lots"})
    assert not form.is_valid()
    assert "like" in form.errors["amount"][0] and "number" in form.errors["amount"][0]


def test_a_duplicate_cycle_name_is_refused_in_plain_english(world, as_user):
    response = as_user(world.manager).post(
        reverse("web:cycle-new", args=[world.programme.pk]),
        {"name": world.cycle.name, "period_start": "2027-01-04", "period_end": "2027-02-26"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert_plain(html, "cycle")


# Signing in and passwords ----------------------------------------------------------------


def test_the_sign_in_page_uses_the_design_systems_inputs_and_plain_words(world, client):
    page = client.get(reverse("web:login")).content.decode()
    assert 'class="nhsuk-input"' in page and 'class="nhsuk-label" for="id_username"' in page
    assert "Usually your e-mail address." in page

    empty = client.post(reverse("web:login"), {"username": "", "password": ""})
    html = empty.content.decode()
    assert "There is a problem" in html
    assert '<a href="#id_username">Enter your username</a>' in html
    assert '<a href="#id_password">Enter your password</a>' in html
    assert "nhsuk-input--error" in html

    wrong = client.post(reverse("web:login"),
                        {"username": world.manager.username, "password": "not it at all"})
    html = wrong.content.decode()
    assert "The username or password is not right. Check them and try again." in html
    assert_plain(html, "sign-in")


@pytest.mark.parametrize("password, message", [
    ("short", "Your password must be at least 8 characters long."),
    ("password123", "This password is too common and easy to guess: choose another."),
    ("83749265019283", "Your password cannot be only numbers."),
])
def test_the_password_rules_speak_plainly(world, password, message):
    from django.contrib.auth.password_validation import (
        password_validators_help_texts,
        validate_password,
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        validate_password(password, world.manager)
    assert message in refused.value.messages
    for sentence in refused.value.messages + password_validators_help_texts():
        assert "This password is too" not in sentence or sentence == message
        assert "must contain at least" not in sentence


def test_a_password_like_the_username_is_refused_plainly(world):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    world.manager.username = "margaretwhitfield"
    with pytest.raises(ValidationError) as refused:
        validate_password("margaretwhitfield", world.manager)
    assert refused.value.messages == [
        "Your password is too like your name or e-mail address: choose another."]


def test_a_model_forms_duplicate_is_refused_in_the_services_words(world):
    from programmes.models import Partner as PartnerModel

    class PartnerNameForm(web_forms.ModelForm):
        class Meta:
            model = PartnerModel
            fields = ["name"]

    form = PartnerNameForm(data={"name": world.partner_a.name})
    assert not form.is_valid()
    assert form.errors["name"] == ["There is already a partner with this name"]
