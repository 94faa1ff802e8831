"""Forms rendered in the NHS.UK design system's markup, and the page forms that use it."""

import datetime
import functools
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils import timezone

from actions.models import Action
from actions.services import OWNER_ROLES, owner_refusal
from core.money import PENNY, format_money
from learning.models import FundingStream, LearningNeed, TrainingOffer
from notifications import kinds as notification_kinds
from notifications.models import NotificationPreference
from programmes.models import (
    ESCALATION_MAX_DAYS,
    AssessmentCycle,
    ChecklistItem,
    Framework,
    Gap,
    Membership,
    Partner,
    Principle,
    Programme,
    Rating,
    default_escalation_days,
)

WIDGET_CLASSES = {
    forms.Textarea: "nhsuk-textarea",
    forms.Select: "nhsuk-select",
    forms.SelectMultiple: "nhsuk-select",
}


# The NHS date input -----------------------------------------------------------------

DATE_PARTS = (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))
DATE_HINT = "For example, 31 3 2027"


class DateParts(dict):
    """What a person typed in a date input's day, month and year boxes."""

    def is_empty(self) -> bool:
        return not any(self.values())


class NHSDateInput(forms.Widget):
    """The design system's date input: day, month and year boxes named ``<name>-day``,
    ``<name>-month`` and ``<name>-year``. A single ISO value under ``<name>`` (a link
    or an older form) is accepted too."""

    template_name = "components/date_input.html"

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.error_parts: tuple[str, ...] = ()

    def value_from_datadict(self, data, files, name):
        if any(f"{name}-{part}" in data for part, _, _ in DATE_PARTS):
            return DateParts({part: (data.get(f"{name}-{part}") or "").strip()
                              for part, _, _ in DATE_PARTS})
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and not any(f"{name}-{part}" in data
                                            for part, _, _ in DATE_PARTS)

    def format_value(self, value):
        if isinstance(value, DateParts):
            return dict(value)
        if isinstance(value, str) and value:
            try:
                value = datetime.date.fromisoformat(value)
            except ValueError:
                return {"day": "", "month": "", "year": ""}
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
        return {"day": "", "month": "", "year": ""}

    def id_for_label(self, id_):
        if not id_:
            return id_
        return f"{id_}-{self.error_parts[0] if self.error_parts else 'day'}"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        values = context["widget"]["value"] or {}
        base_id = context["widget"]["attrs"].get("id") or f"id_{name}"
        context["widget"]["parts"] = [
            {"name": f"{name}-{part}", "id": f"{base_id}-{part}", "label": label,
             "width": width, "value": values.get(part, ""),
             "error": part in self.error_parts}
            for part, label, width in DATE_PARTS
        ]
        context["widget"]["base_id"] = base_id
        return context


def _date_name(label: str) -> str:
    """The field's label as a sentence's subject: "Due date (optional)" -> "Due date"."""
    label = label or "Date"
    return label.removesuffix(" (optional)").strip()


class NHSDateField(forms.DateField):
    """A date typed as day, month and year, with the design system's error messages."""

    widget = NHSDateInput
    # The date's name in its error messages when the label does not read well there.
    date_name = ""
    # The boxes in error after cleaning: ("month",) for "must include a month".
    error_parts: tuple[str, ...] = ()

    def _refuse(self, message: str, parts, code: str):
        self.error_parts = tuple(parts)
        raise forms.ValidationError(message, code=code)

    def to_python(self, value):
        self.error_parts = ()
        name = self.date_name or _date_name(str(self.label or ""))
        if isinstance(value, DateParts):
            if value.is_empty():
                self.error_parts = tuple(p for p, _, _ in DATE_PARTS) if self.required else ()
                return None
            missing = [part for part, _, _ in DATE_PARTS if not value[part]]
            if missing:
                words = " and ".join(missing)
                self._refuse(f"{name} must include a {words}", missing, "incomplete")
            not_numbers = [part for part, _, _ in DATE_PARTS if not value[part].isdigit()]
            if not_numbers:
                self._refuse(f"{name} must be a real date", not_numbers, "invalid")
            if len(value["year"]) != 4:
                self._refuse("Year must include 4 numbers", ["year"], "invalid_year")
            try:
                return datetime.date(int(value["year"]), int(value["month"]), int(value["day"]))
            except ValueError:
                wrong = [p for p, limit in (("day", 31), ("month", 12))
                         if not 1 <= int(value[p]) <= limit] or ["day", "month", "year"]
                self._refuse(f"{name} must be a real date", wrong, "invalid")
        try:
            return super().to_python(value)
        except forms.ValidationError:
            self._refuse(f"{name} must be a real date", [p for p, _, _ in DATE_PARTS],
                         "invalid")

    def validate(self, value):
        try:
            super().validate(value)
        except forms.ValidationError:
            self.error_parts = tuple(p for p, _, _ in DATE_PARTS)
            raise


class NHSFormRenderer(TemplatesSetting):
    form_template_name = "components/form.html"
    field_template_name = "components/field.html"


@functools.cache
def _class_defaults(field_class: type[forms.Field]) -> dict:
    """The error messages Django gives a field of this class when the form says none
    (worked out once a class, not for every field of every form built)."""
    messages: dict = {}
    for cls in reversed(field_class.__mro__):
        messages.update(getattr(cls, "default_error_messages", {}))
    return messages


def _subject(label: str) -> str:
    """A label as the start of a sentence: "Number of places (optional)" -> "Number of
    places"."""
    label = (label or "This").removesuffix(" (optional)").strip()
    return label[0].upper() + label[1:]


def _plain_messages(field: forms.Field) -> dict[str, str]:
    """The service's words for each mistake a person can make in ``field``."""
    subject = _subject(str(field.label or ""))
    lower = subject[0].lower() + subject[1:]
    messages: dict[str, str] = {}
    longest = getattr(field, "max_length", None)
    shortest = getattr(field, "min_length", None)
    if isinstance(field, (forms.ChoiceField, forms.ModelMultipleChoiceField)):
        choose = f"Choose the {lower} from the list"
        messages.update(invalid_choice=choose, invalid_list=choose, invalid_pk_value=choose)
    if isinstance(field, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
        low = getattr(field, "min_value", None)
        high = getattr(field, "max_value", None)
        if low is not None and high is not None:
            between = f"{subject} must be between {low:,} and {high:,}"
            messages.update(min_value=between, max_value=between)
        elif low is not None:
            messages["min_value"] = f"{subject} must be {low:,} or more"
        elif high is not None:
            messages["max_value"] = f"{subject} must be {high:,} or less"
        messages["step_size"] = f"Enter the {lower} as a whole number"
    if isinstance(field, forms.DecimalField):
        messages["invalid"] = f"Enter the {lower} as a number, like 250 or 250.50"
        places = field.decimal_places
        if places is not None:
            messages["max_decimal_places"] = (
                f"{subject} can have at most {places} numbers after the decimal point")
        if field.max_digits is not None:
            whole = field.max_digits - (places or 0)
            too_big = f"{subject} must have at most {whole} numbers before the decimal point"
            messages.update(max_digits=too_big, max_whole_digits=too_big)
    elif isinstance(field, forms.IntegerField):
        messages["invalid"] = f"Enter the {lower} as a whole number, like 12"
    elif isinstance(field, forms.FloatField):
        messages["invalid"] = f"Enter the {lower} as a number, like 12 or 12.5"
    if isinstance(field, forms.EmailField):
        messages["invalid"] = "Enter an e-mail address in the right form, like name@example.org"
    elif isinstance(field, forms.URLField):
        messages["invalid"] = ("Enter a web address in the right form, like "
                               "https://www.example.org")
    if isinstance(field, forms.TimeField):
        messages["invalid"] = f"Enter the {lower} as a time, like 09:30"
    if isinstance(field, forms.FileField):
        messages.update(
            invalid="The file could not be read: choose it again",
            missing="The file did not arrive: choose it again",
            empty="The file is empty: choose a file with something in it",
            contradiction="Either choose a new file or tick to remove the old one, not both",
        )
        if longest:
            messages["max_length"] = f"The file's name must be {longest:,} characters or fewer"
        if isinstance(field, forms.ImageField):
            messages["invalid_image"] = "The file must be a picture, like a PNG or JPEG"
    elif longest:
        messages["max_length"] = f"{subject} must be {longest:,} characters or fewer"
    if shortest:
        messages["min_length"] = f"{subject} must be {shortest:,} characters or more"
    messages["null_characters_not_allowed"] = f"{subject} cannot contain null characters"
    return messages


def _plain_unique_errors(form, errors: ValidationError) -> ValidationError:
    """A model's own duplicate messages ("Programme with this Name already exists.") in
    the service's words."""
    if not hasattr(errors, "error_dict"):
        return errors
    name = str(form._meta.model._meta.verbose_name)
    plain: dict[str, list[ValidationError]] = {}
    for field, field_errors in errors.error_dict.items():
        plain[field] = []
        for error in field_errors:
            params = error.params or {}
            if error.code == "unique":
                label = str(params.get("field_label", "details")).lower()
                error = ValidationError(f"There is already a {name} with this {label}",
                                        code="unique")
            elif error.code == "unique_together":
                labels = str(params.get("field_labels", "details")).lower()
                error = ValidationError(f"There is already a {name} with the same {labels}",
                                        code="unique_together")
            elif error.code == "unique_for_date":
                error = ValidationError(f"There is already a {name} like this on that day",
                                        code="unique_for_date")
            plain[field].append(error)
    return ValidationError(plain)


def _use_date_input(field: forms.DateField) -> None:
    """Every date of the service is typed in the design system's date input."""
    if not isinstance(field, NHSDateField):
        field.__class__ = NHSDateField
    if not isinstance(field.widget, NHSDateInput):
        field.widget = NHSDateInput()
    if "For example" not in str(field.help_text or ""):
        field.help_text = f"{field.help_text} {DATE_HINT}" if field.help_text else DATE_HINT


class NHSFormMixin:
    """Adds the design system's classes, hints and error links to every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if field.required and not field.label:
                field.error_messages["required"] = (
                    "Something is missing from the form: reload the page and try again")
            elif field.required and field.label:
                # Say what to do, in the field's own words ("Enter the title").
                verb = "Select" if isinstance(field, forms.ChoiceField) else "Enter"
                label = field.label[0].lower() + field.label[1:]
                field.error_messages["required"] = f"{verb} the {label}"
            defaults = _class_defaults(type(field))
            for code, message in _plain_messages(field).items():
                if field.error_messages.get(code, defaults.get(code)) == defaults.get(code):
                    field.error_messages[code] = message
            if isinstance(field, forms.DateField):
                _use_date_input(field)
                continue
            if isinstance(widget, (forms.RadioSelect, forms.CheckboxInput,
                                   forms.CheckboxSelectMultiple)):
                continue
            css = next((c for w, c in WIDGET_CLASSES.items() if isinstance(widget, w)),
                       "nhsuk-input")
            widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if isinstance(widget, NHSDateInput):
                    widget.error_parts = (getattr(self.fields[name], "error_parts", ())
                                          or tuple(p for p, _, _ in DATE_PARTS))
                    continue
                widget.attrs["aria-invalid"] = "true"
                if "nhsuk-input" in widget.attrs.get("class", ""):
                    widget.attrs["class"] += " nhsuk-input--error"


class Form(NHSFormMixin, forms.Form):
    pass


class ModelForm(NHSFormMixin, forms.ModelForm):
    def _update_errors(self, errors):
        super()._update_errors(_plain_unique_errors(self, errors))


# Page forms -------------------------------------------------------------------


def _days_overdue_field(label: str, hint: str) -> forms.IntegerField:
    words = f"a whole number of days from 1 to {ESCALATION_MAX_DAYS}, for example 7"
    return forms.IntegerField(
        label=label, help_text=hint, required=False, min_value=1,
        max_value=ESCALATION_MAX_DAYS,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false",
                                      "class": "nhsuk-input--width-3"}),
        error_messages={"invalid": f"Enter {words}", "min_value": f"Enter {words}",
                        "max_value": f"Enter {words}"},
    )


class ProgrammeForm(ModelForm):
    """A programme's details, for its creator and its managers.

    The two escalation fields are the programme's ``escalation_days``: both empty means
    overdue actions are not escalated; the managers' number alone is refused (they are
    told after the partner's leads).
    """

    escalate_to_leads = _days_overdue_field(
        "Tell the partner's leads when an action is this many days overdue (optional)",
        "For example, 7. The action's owner is reminded anyway. Leave both numbers empty "
        "for no escalation.")
    escalate_to_managers = _days_overdue_field(
        "Tell the programme's managers when an action is this many days overdue (optional)",
        "For example, 21: more days than for the partner's leads.")

    class Meta:
        model = Programme
        fields = ["name", "description", "framework", "start_date", "end_date"]
        labels = {"name": "Programme name", "description": "Description (optional)",
                  "framework": "Framework", "start_date": "Start date (optional)",
                  "end_date": "End date (optional)"}
        help_texts = {
            "description": "What the programme is for and who takes part.",
            "framework": "The checklist partners assess themselves against. It cannot "
                         "change once the programme has assessment cycles.",
        }
        widgets = {"start_date": NHSDateInput, "end_date": NHSDateInput,
                   "description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["framework"].queryset = Framework.objects.order_by("title")
        self.fields["framework"].empty_label = "Choose a framework"
        self.fields["framework"].error_messages["invalid_choice"] = (
            "Choose a framework from the list")
        days = self.instance.escalation_days if self.instance.pk else default_escalation_days()
        for name, value in zip(("escalate_to_leads", "escalate_to_managers"), days or [],
                               strict=False):
            self.fields[name].initial = value

    def clean(self):
        cleaned = super().clean()
        leads = cleaned.pop("escalate_to_leads", None)
        managers = cleaned.pop("escalate_to_managers", None)
        if "escalate_to_leads" in self.errors or "escalate_to_managers" in self.errors:
            return cleaned
        if managers is not None and leads is None:
            self.add_error("escalate_to_leads", "Enter when the partner's leads are told: "
                                                "the programme's managers are told after them")
        elif leads is not None and managers is not None and managers <= leads:
            self.add_error("escalate_to_managers", "Enter more days than for the partner's "
                                                   "leads: the managers are told after them")
        else:
            cleaned["escalation_days"] = [d for d in (leads, managers) if d is not None]
        return cleaned


class PartnerForm(ModelForm):
    """A new partner organisation, added to the directory and to the programme."""

    class Meta:
        model = Partner
        fields = ["name", "sector", "provides_learning", "contact_email"]
        labels = {"name": "Organisation name", "sector": "Sector",
                  "provides_learning": "This organisation provides learning",
                  "contact_email": "Contact e-mail address (optional)"}
        help_texts = {"provides_learning": "It can publish training offers, and its people "
                                           "can be learning providers in the programme."}
        error_messages = {
            "name": {"unique": "An organisation with this name is already in the directory: "
                               "add it as an existing partner instead"},
            "contact_email": {"invalid": "Enter an e-mail address like name@example.org"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [("", "Choose a sector"), *Partner.Sector.choices]


class PartnerChangeForm(PartnerForm):
    """A partner's details, changed by the managers of a programme it is in."""

    class Meta(PartnerForm.Meta):
        error_messages = {
            **PartnerForm.Meta.error_messages,
            "name": {"unique": "Another organisation in the directory already has this name"},
        }


class AddPartnerForm(Form):
    partner = forms.ModelChoiceField(queryset=Partner.objects.none(), label="Partner",
                                     help_text="Organisations already in the directory that "
                                               "are not in this programme.")

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = choices
        self.fields["partner"].empty_label = "Choose a partner"
        self.fields["partner"].error_messages["invalid_choice"] = (
            "Choose a partner from the list")


class CycleForm(ModelForm):
    class Meta:
        model = AssessmentCycle
        fields = ["name", "period_start", "period_end"]
        labels = {"name": "Cycle name", "period_start": "Opens on", "period_end": "Closes on"}
        help_texts = {"name": "For example, Baseline self-assessment or Six-month review.",
                      "period_end": "Assessments submitted after this day are marked late."}
        widgets = {"period_start": NHSDateInput, "period_end": NHSDateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period_start"].date_name = "The day the cycle opens"
        self.fields["period_end"].date_name = "The day the cycle closes"
        self.fields["period_start"].error_messages["required"] = "Enter the day the cycle opens"
        self.fields["period_end"].error_messages["required"] = "Enter the day the cycle closes"



class OwnerChoiceField(forms.ModelChoiceField):
    """The owner drop-down. Someone who is not in the list is refused with the sentence
    the service gives (``actions.services.owner_refusal``), so the page and the API read
    the same; anything else is refused with the field's own message."""

    programme = None

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            refusal = self._owner_refusal(value) if exc.code == "invalid_choice" else None
            if refusal:
                raise forms.ValidationError(refusal, code="invalid_choice") from None
            raise

    def _owner_refusal(self, value) -> str | None:
        if self.programme is None:
            return None
        try:
            user = get_user_model().objects.get(pk=int(value))
        except (TypeError, ValueError, get_user_model().DoesNotExist):
            return None
        role = (Membership.objects.filter(programme=self.programme, user=user)
                .values_list("role", flat=True).first())
        return owner_refusal(user, role)


def owner_choices(field, programme) -> None:
    """The people who may own the programme's actions (its managers and partner leads),
    each shown as "Name (Organisation, role)", read in one query."""
    memberships = (
        Membership.objects.active().filter(programme=programme, role__in=OWNER_ROLES)
        .select_related("user", "partner").order_by("user__first_name", "user__username")
    )
    labels = {}
    for m in memberships:
        name = m.user.get_full_name() or m.user.username
        where = f"{m.partner.name}, " if m.partner is not None else ""
        labels[m.user_id] = f"{name} ({where}{m.get_role_display().lower()})"
    field.queryset = get_user_model().objects.filter(pk__in=list(labels)).order_by(
        "first_name", "username")
    field.label_from_instance = lambda u: labels.get(u.pk, u.get_full_name() or u.username)
    field.programme = programme
    field.empty_label = "No owner yet"
    field.error_messages["invalid_choice"] = (
        "Choose the owner from the list: only the programme's managers and partner leads "
        "can own actions.")


class ActionForm(ModelForm):
    """A new action. The owning organisation follows the owner; only a manager may choose
    another (partner leads do not see the field: their actions stay their partner's)."""

    class Meta:
        model = Action
        fields = ["title", "description", "owner", "owner_partner", "due_date", "priority"]
        labels = {"owner": "Owner", "owner_partner": "Owning organisation", "due_date": "Due date"}
        help_texts = {
            "owner": "Only the programme's managers and partner leads can own actions.",
            "owner_partner": "Leave empty to use the owner's organisation.",
        }
        widgets = {"due_date": NHSDateInput, "description": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"owner": OwnerChoiceField}

    def __init__(self, *args, programme, manager=True, **kwargs):
        super().__init__(*args, **kwargs)
        owner_choices(self.fields["owner"], programme)
        if manager:
            self.fields["owner_partner"].empty_label = "The owner's organisation"
            self.fields["owner_partner"].queryset = programme.partners.order_by("name")
            self.fields["owner_partner"].error_messages["invalid_choice"] = (
                "Choose an organisation of this programme from the list.")
        else:
            del self.fields["owner_partner"]
        self.fields["priority"].widget = forms.RadioSelect(choices=Action.Priority.choices)
        self.fields["priority"].inline = True

    def changes(self) -> dict:
        """The fields to save: a new owner brings their organisation unless the owning
        organisation was chosen too."""
        data = dict(self.cleaned_data)
        if ("owner" in self.changed_data and "owner_partner" in data
                and "owner_partner" not in self.changed_data):
            data.pop("owner_partner")
        return data


class ActionEditForm(ActionForm):
    """An action's details; moving a set due date needs a reason, kept in the history."""

    due_date_reason = forms.CharField(
        label="Why is the due date moving?", required=False, max_length=100,
        help_text="Needed only when you change the due date. It is kept in the action's "
                  "history.",
        error_messages={"max_length": "Keep the reason to 100 characters or fewer."})

    field_order = ["title", "description", "owner", "owner_partner", "due_date",
                   "due_date_reason", "priority"]


class ActionReassignForm(ModelForm):
    """Give an action to another owner (and, for managers, another organisation)."""

    class Meta:
        model = Action
        fields = ["owner", "owner_partner"]
        labels = {"owner": "New owner", "owner_partner": "Owning organisation"}
        help_texts = {"owner_partner": "Leave as it is to use the new owner's organisation."}
        field_classes = {"owner": OwnerChoiceField}

    def __init__(self, *args, programme, manager=True, **kwargs):
        super().__init__(*args, **kwargs)
        owner_choices(self.fields["owner"], programme)
        if manager:
            self.fields["owner_partner"].empty_label = "The owner's organisation"
            self.fields["owner_partner"].queryset = programme.partners.order_by("name")
            self.fields["owner_partner"].error_messages["invalid_choice"] = (
                "Choose an organisation of this programme from the list.")
        else:
            del self.fields["owner_partner"]

    changes = ActionForm.changes


class ReasonForm(Form):
    """Why a gap is closed or reopened by hand."""

    reason = forms.CharField(label="Reason", max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={
                                 "max_length": "Keep the reason to 2,000 characters or fewer."})

    def __init__(self, *args, label="Reason", hint="", required="Enter the reason", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].help_text = hint
        self.fields["reason"].error_messages["required"] = required


class ActionStatusForm(Form):
    status = forms.ChoiceField(choices=Action.Status.choices, label="Status")


class NoteForm(Form):
    text = forms.CharField(label="Progress note", max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="What has happened since the last update?")


class LearningNeedForm(ModelForm):
    class Meta:
        model = LearningNeed
        fields = ["staff_group", "topic", "workers_count", "needed_by", "notes"]
        labels = {"workers_count": "Number of workers", "needed_by": "Needed by"}
        help_texts = {"staff_group": "For example, home care workers or social workers."}
        error_messages = {"workers_count": {
            "min_value": "A learning need is for at least one worker."}}
        widgets = {"needed_by": NHSDateInput, "notes": forms.Textarea(attrs={"rows": 3})}


class LearningNeedChangeForm(LearningNeedForm):
    """A need's details and where it has got to; the version guards against two edits."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    met_reason = forms.CharField(
        label="Why is the need met? (when you mark it met)", required=False, max_length=500,
        help_text="Needed to mark the need met before its workers have completed training.",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": "Keep the reason to 500 characters or fewer."})

    class Meta(LearningNeedForm.Meta):
        fields = ["staff_group", "topic", "workers_count", "needed_by", "status", "notes"]
        help_texts = {**LearningNeedForm.Meta.help_texts,
                      "status": "Met when its workers have completed the training they "
                                "needed."}

    def __init__(self, *args, manager=True, met_refused="", **kwargs):
        """Only a manager marks a need met by hand, with a reason; others are not offered
        it (a need becomes met when its workers complete their training)."""
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        if manager:
            return
        del self.fields["met_reason"]
        if self.initial.get("status") != LearningNeed.Status.MET:
            status.choices = [c for c in status.choices if c[0] != LearningNeed.Status.MET]
            status.error_messages["invalid_choice"] = met_refused


def _names(text: str) -> list[str]:
    """Learners' names, one a line, blank lines left out."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


LEARNERS_HINT = "One name a line. You can add them later."


class PlacementForm(Form):
    places = forms.IntegerField(label="Number of places", min_value=1, max_value=100_000)
    learners = forms.CharField(label="Learners' names (optional)", required=False,
                               max_length=20_000, help_text=LEARNERS_HINT,
                               widget=forms.Textarea(attrs={"rows": 4}))

    def clean_learners(self) -> list[str]:
        return _names(self.cleaned_data.get("learners", ""))


class BookingForm(Form):
    """Places on one session of an offer for one learning need: the need is chosen here
    when the person arrives from the offer, and fixed when they arrive from the need."""

    learning_need: forms.ModelChoiceField = forms.ModelChoiceField(queryset=None,
                                                                   label="Learning need")
    session: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, label="Session", widget=forms.RadioSelect)
    places = forms.IntegerField(label="Number of places", min_value=1, max_value=100_000)
    learners = forms.CharField(label="Learners' names (optional)", required=False,
                               max_length=20_000, help_text=LEARNERS_HINT,
                               widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, needs=None, sessions, session_label, **kwargs):
        super().__init__(*args, **kwargs)
        if needs is None:
            del self.fields["learning_need"]
        else:
            field = self.fields["learning_need"]
            field.queryset = needs
            field.empty_label = "Choose a learning need"
            field.label_from_instance = lambda n: (
                f"{n.topic}: {n.workers_count} {n.staff_group.lower()} ({n.partner.name})")
            field.error_messages["invalid_choice"] = "Choose a learning need from the list"
        field = self.fields["session"]
        field.queryset = sessions
        field.label_from_instance = session_label
        field.error_messages["invalid_choice"] = "Choose a session from the list"
        self.only_session = sessions[0] if len(sessions) == 1 else None
        if self.only_session is not None:  # nothing to choose: the one session it runs
            field.initial = self.only_session.pk
            field.required = False

    def clean_session(self):
        return self.cleaned_data.get("session") or self.only_session

    def clean_learners(self) -> list[str]:
        return _names(self.cleaned_data.get("learners", ""))


class DeclineForm(Form):
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=500,
                             error_messages={"max_length": "Keep the reason to 500 "
                                                           "characters or fewer."})


class AttendanceForm(Form):
    places_attended = forms.IntegerField(label="Number who attended", min_value=0)
    places_completed = forms.IntegerField(label="Number who completed the training",
                                          min_value=0)
    learners = forms.CharField(label="Learners' names (optional)", required=False,
                               max_length=20_000, help_text="One name a line.",
                               widget=forms.Textarea(attrs={"rows": 4}))

    def clean_learners(self) -> list[str]:
        return _names(self.cleaned_data.get("learners", ""))


class MetForm(Form):
    met_reason = forms.CharField(
        label="Why is the need met?", max_length=500,
        help_text="For example, the workers were trained by another programme.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Keep the reason to 500 characters or fewer."})
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["met_reason"].error_messages["required"] = (
            "Say why the need is met before its workers have completed training")


TIME_ERRORS = {"invalid": "Enter a time, for example 09:30"}


class SessionForm(Form):
    """A session's day and times, place and places; the times become ``starts_at`` and
    ``ends_at`` in the service's time zone."""

    start_date = NHSDateField(label="Start date (optional)", required=False,
                              help_text="Leave empty for e-learning done at any time.")
    start_time = forms.TimeField(label="Start time", required=False, error_messages=TIME_ERRORS,
                                 widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_date = NHSDateField(label="End date (optional)", required=False,
                            help_text="Leave empty for a session on one day.")
    end_time = forms.TimeField(label="End time", required=False, error_messages=TIME_ERRORS,
                               widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    location = forms.CharField(label="Place (optional)", required=False, max_length=300)
    online = forms.BooleanField(label="Online", required=False)
    capacity = forms.IntegerField(label="Number of places", min_value=1, max_value=100_000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start_time", "end_time"):
            self.fields[name].widget.attrs["class"] += " nhsuk-input--width-5"

    @staticmethod
    def initial_of(session) -> dict:
        def part(moment, fmt):
            return timezone.localtime(moment).strftime(fmt) if moment else ""
        return {"start_date": part(session.starts_at, "%Y-%m-%d"),
                "start_time": part(session.starts_at, "%H:%M"),
                "end_date": part(session.ends_at, "%Y-%m-%d"),
                "end_time": part(session.ends_at, "%H:%M"),
                "location": session.location, "online": session.online,
                "capacity": session.capacity}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("start_time") and not data.get("start_date"):
            self.add_error("start_date", "Enter the start date, or leave the time empty")
        if (data.get("end_date") or data.get("end_time")) and not data.get("start_date"):
            self.add_error("start_date", "Enter the start date of a session that has an end")
        return data

    def session_fields(self) -> dict:
        """What ``session_create`` and ``session_update`` take."""
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        starts = ends = None
        if data.get("start_date"):
            starts = datetime.datetime.combine(
                data["start_date"], data.get("start_time") or datetime.time(9, 30), tzinfo=zone)
            end_day = data.get("end_date") or data["start_date"]
            ends = datetime.datetime.combine(
                end_day, data.get("end_time") or datetime.time(16, 30), tzinfo=zone)
        return {"starts_at": starts, "ends_at": ends, "location": data.get("location", ""),
                "online": bool(data.get("online")), "capacity": data["capacity"]}


MONEY_ERRORS = {
    "invalid": "Enter the amount as a number, like 250 or 250.50",
    "min_value": f"The amount must be at least {format_money(PENNY)}.",
    "max_digits": f"The amount must be less than {format_money(10 ** 10)}.",
    "max_whole_digits": f"The amount must be less than {format_money(10 ** 10)}.",
    "max_decimal_places": "Give the amount in pounds and pence, like 1020.50.",
}


def money_field(label: str = "Amount in pounds") -> forms.DecimalField:
    return forms.DecimalField(label=label, min_value=Decimal("0.01"), max_digits=12,
                              decimal_places=2, error_messages=MONEY_ERRORS)


class AllocationForm(Form):
    stream = forms.ModelChoiceField(queryset=None, label="Funding stream")
    amount = money_field()

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stream"].queryset = programme.funding_streams.order_by("name")
        self.fields["stream"].empty_label = "Choose a funding stream"
        self.fields["stream"].label_from_instance = (
            lambda s: f"{s.name} ({format_money(s.available)} of {format_money(s.amount)} "
                      "available)")


class AllocationChangeForm(Form):
    """An allocation's amount and note (the stream and what it funds stay)."""

    amount = money_field()
    note = forms.CharField(label="Note (optional)", required=False, max_length=500,
                           error_messages={"max_length": "Keep the note to 500 characters."})


class FundingStreamForm(ModelForm):
    """A stream and its rules; each rule left empty allows everything."""

    amount = money_field()
    eligible_principles: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        label="Principles it pays for (optional)",
        help_text="Leave all unticked to pay for any principle.")
    eligible_staff_groups = forms.CharField(
        label="Staff groups it pays for (optional)", required=False,
        widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
        help_text="One staff group a line, for example Care workers. Leave empty to pay for "
                  "any staff group; a stream that names staff groups pays for learning "
                  "needs only.",
        error_messages={"max_length": "Keep the staff groups to 5,000 characters."})
    cap_per_partner = forms.DecimalField(
        label="Cap per partner in pounds (optional)", required=False,
        min_value=Decimal("0.01"), max_digits=12, decimal_places=2,
        help_text="The most one partner may draw from this stream. Leave empty for no cap.",
        error_messages={**MONEY_ERRORS,
                        "min_value": f"The cap must be at least {format_money(PENNY)}."})

    class Meta:
        model = FundingStream
        fields = ["name", "funder", "amount", "description", "eligible_principles",
                  "eligible_staff_groups", "cap_per_partner", "claims_open", "claims_close"]
        labels = {"funder": "Funder", "amount": "Amount in pounds",
                  "claims_open": "Claims open on (optional)",
                  "claims_close": "Claims close on (optional)"}
        help_texts = {"funder": "The partner the money comes from.",
                      "claims_open": "The first day money may be claimed.",
                      "claims_close": "The last day money may be claimed. After it the stream "
                                      "takes no new allocations."}
        widgets = {"description": forms.Textarea(attrs={"rows": 3}),
                   "claims_open": NHSDateInput, "claims_close": NHSDateInput}

    def __init__(self, *args, programme, **kwargs):
        initial = kwargs.get("initial")
        if initial and isinstance(initial.get("eligible_staff_groups"), list):
            initial["eligible_staff_groups"] = "\n".join(initial["eligible_staff_groups"])
        super().__init__(*args, **kwargs)
        self.fields["funder"].queryset = programme.partners.order_by("name")
        self.fields["funder"].empty_label = "Choose a partner"
        self.fields["eligible_principles"].queryset = Principle.objects.filter(
            framework_id=programme.framework_id).order_by("number")

    def clean_eligible_staff_groups(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["eligible_staff_groups"].splitlines()
                if line.strip()]


class AllocationClaimForm(Form):
    evidence = forms.CharField(
        label="Evidence", widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000,
        help_text="What shows the money was spent as agreed: invoices, attendance records, "
                  "where the documents are kept.",
        error_messages={"max_length": "Keep the evidence to 20,000 characters."})
    claimed_on = NHSDateField(
        label="Claimed on (optional)", required=False, help_text="Leave empty for today.")
    claimed_on.date_name = "The day of the claim"


class AllocationPayForm(Form):
    paid_on = NHSDateField(
        label="Paid on (optional)", required=False, help_text="Leave empty for today.")
    paid_on.date_name = "The day of the payment"


class TrainingOfferForm(ModelForm):
    class Meta:
        model = TrainingOffer
        fields = ["title", "description", "topics", "staff_groups", "format", "principles",
                  "start_date", "end_date", "capacity", "cost_per_place", "location", "online"]
        labels = {"cost_per_place": "Cost per place in pounds", "online": "Online"}
        widgets = {
            "start_date": NHSDateInput, "end_date": NHSDateInput,
            "description": forms.Textarea(attrs={"rows": 4}),
            "principles": forms.CheckboxSelectMultiple,
        }


class AnswerForm(Form):
    """One checklist item's answer on the assessment page."""

    rating = forms.ChoiceField(choices=Rating.choices, required=False, widget=forms.RadioSelect)
    evidence = forms.CharField(required=False, max_length=20_000, label="Evidence (optional)",
                               widget=forms.Textarea(attrs={"rows": 2}))
    consensus_note = forms.CharField(
        required=False, max_length=20_000, label="How you agreed the rating",
        help_text="Views split on this statement. Say how you reached the rating, for "
                  "example what you heard from the people who draw on care.",
        widget=forms.Textarea(attrs={"rows": 2}))


class PreferenceForm(ModelForm):
    """The general e-mail settings, then one inline choice per kind of notification, in
    the catalogue's groups (notifications/kinds.py). "Usual setting" leaves the kind to
    the general settings."""

    USUAL = ""

    class Meta:
        model = NotificationPreference
        fields = ["email_enabled", "email_frequency"]
        labels = {"email_enabled": "Send me e-mails", "email_frequency": "How often"}
        help_texts = {"email_enabled": "Your usual setting, for anything you do not choose "
                                       "below."}
        widgets = {"email_frequency": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = (self.instance.kinds or {}) if self.instance else {}
        choices = [(self.USUAL, "Usual setting"), *notification_kinds.CHOICES]
        for kind, label in notification_kinds.KINDS.items():
            field = forms.ChoiceField(
                label=label, choices=choices, required=False, widget=forms.RadioSelect,
                initial=chosen.get(kind, self.USUAL),
                error_messages={"invalid_choice": f"Choose how we e-mail you when "
                                                  f"{label[0].lower()}{label[1:]}"})
            field.inline = True
            self.fields[f"kind_{kind}"] = field

    def general_fields(self):
        return [self[name] for name in self.Meta.fields]

    def groups(self):
        """``[(heading, [bound field, ...])]`` in the catalogue's order."""
        return [(heading, [self[f"kind_{kind}"] for kind, _ in items])
                for heading, items in notification_kinds.GROUPS.items()]

    def settings(self) -> dict:
        """What ``preference_update`` is given: the general settings and ``kinds``."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["kinds"] = {kind: self.cleaned_data[f"kind_{kind}"]
                         for kind in notification_kinds.KINDS
                         if self.cleaned_data.get(f"kind_{kind}")}
        return data


class ImportForm(Form):
    KINDS = [("actions", "Actions"), ("learning_needs", "Learning needs"),
             ("partners", "Partners"),
             ("memberships", "People to invite (columns Email, Role and Partner)")]

    kind = forms.ChoiceField(choices=KINDS, label="What are you importing?",
                             widget=forms.RadioSelect)
    file = forms.FileField(
        label="Spreadsheet file",
        help_text="A CSV or Excel (.xlsx) file with the columns of this list's download. "
                  "The first row holds the column headers.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].error_messages["required"] = "Select what you are importing"
        self.fields["file"].error_messages.update({
            "required": "Choose a CSV or Excel file to import",
            "empty": "The chosen file is empty",
        })


# People: invitations and accepting them ---------------------------------------


class RoleAndPartnerForm(Form):
    """A role in the programme and, for partner leads and learning providers, the partner
    they act for, chosen from the programme's partners."""

    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices,
                             widget=forms.RadioSelect)
    partner = forms.ModelChoiceField(
        label="Partner", queryset=Partner.objects.none(), required=False,
        empty_label="No partner",
        help_text="Needed for partner leads and learning providers; leave empty for "
                  "programme managers and reviewers.")

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = programme.partners.order_by("name")
        self.fields["partner"].error_messages["invalid_choice"] = (
            "Choose one of the programme's partners")


class InviteForm(RoleAndPartnerForm):
    field_order = ["email", "role", "partner"]

    email = forms.EmailField(label="E-mail address", max_length=254,
                             error_messages={"invalid": "Enter an e-mail address in the right "
                                                        "form, like name@example.org"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "off"


class AcceptInvitationForm(Form):
    """A new account from an invitation: a name and a password (Django's validators)."""

    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    password1 = forms.CharField(
        label="Choose a password", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters. Not only numbers, not a common password and not "
                  "like your name or e-mail address. A few words strung together are easy "
                  "to remember and hard to guess.")
    password2 = forms.CharField(
        label="Type the password again", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].error_messages["required"] = "Choose a password"
        self.fields["password2"].error_messages["required"] = "Type the password again"

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and \
                data["password1"] != data["password2"]:
            self.add_error("password2", "The passwords do not match. Type the same "
                                        "password twice.")
        return data


# Gaps, assessments and memberships: the changes the API makes, on their pages ------------


def _gap_notes() -> forms.CharField:
    return forms.CharField(
        label="Notes (optional)", required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the gap is about, as the partner and the programme see it.",
        error_messages={"max_length": "Keep the notes to 20,000 characters or fewer."})


class GapChangeForm(Form):
    """A gap's severity and notes (managers, and the partner's leads); its status changes
    only by closing or reopening it. The version guards against two edits at once."""

    severity = forms.ChoiceField(label="Severity", choices=Gap.Severity.choices,
                                 widget=forms.RadioSelect)
    description = _gap_notes()
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class GapNewForm(Form):
    """A gap opened by hand (managers), without an assessment."""

    partner = forms.ModelChoiceField(queryset=Partner.objects.none(), label="Partner")
    checklist_item = forms.ModelChoiceField(queryset=ChecklistItem.objects.none(),
                                            label="Checklist item")
    severity = forms.ChoiceField(label="Severity", choices=Gap.Severity.choices,
                                 widget=forms.RadioSelect,
                                 help_text="High for an item not met, medium for one "
                                           "partly met.")
    description = _gap_notes()

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = programme.partners.order_by("name")
        self.fields["partner"].empty_label = "Choose a partner"
        self.fields["partner"].error_messages["invalid_choice"] = (
            "Choose one of the programme's partners")
        items = self.fields["checklist_item"]
        items.queryset = ChecklistItem.objects.filter(
            principle__framework_id=programme.framework_id, is_active=True,
        ).order_by("principle__number", "order")
        items.empty_label = "Choose a checklist item"
        items.label_from_instance = lambda item: f"{item.code} {item.text[:90]}"
        items.error_messages["invalid_choice"] = (
            "Choose a checklist item of the programme's framework")


class AssessmentDetailsForm(Form):
    """Who took part in a draft self-assessment."""

    participants = forms.CharField(
        label="Who took part (optional)", required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Names, roles or teams of the people who answered the assessment together.",
        error_messages={"max_length": "Keep this to 20,000 characters or fewer."})
    includes_people_supported = forms.BooleanField(
        label="People who draw on care and support, or their carers, took part",
        required=False)


class MembershipChangeForm(RoleAndPartnerForm):
    """A person's role in the programme, and the partner they act for (managers)."""


class ChampionForm(Form):
    """A champion of a principle for a partner: the partners are those the person may
    name champions for, the accounts the programme's active members."""

    partner = forms.ModelChoiceField(queryset=Partner.objects.none(), label="Partner",
                                     empty_label="Choose a partner")
    principle = forms.ModelChoiceField(queryset=Principle.objects.none(), label="Principle",
                                       empty_label="Choose a principle")
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False,
        label="Their account (optional)", empty_label="They have no account here",
        help_text="A member of the programme. Leave the name empty to use the account's name.")
    name = forms.CharField(max_length=200, required=False, label="Name")
    job_title = forms.CharField(max_length=200, required=False, label="Job title (optional)")
    email = forms.EmailField(required=False, label="E-mail address (optional)",
                             error_messages={"invalid": "Enter an e-mail address like "
                                                        "name@example.org"})

    def __init__(self, *args, programme, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners
        self.fields["partner"].error_messages["invalid_choice"] = (
            "Choose a partner from the list: you can name champions only for these.")
        self.fields["principle"].queryset = Principle.objects.filter(
            framework_id=programme.framework_id).order_by("number")
        members = (Membership.objects.active().filter(programme=programme)
                   .select_related("user", "partner")
                   .order_by("user__first_name", "user__last_name", "user__username"))
        labels = {}
        for m in members:
            name = m.user.get_full_name() or m.user.username
            labels.setdefault(m.user_id, f"{name} ({m.partner.name})" if m.partner else name)
        user = self.fields["user"]
        user.queryset = get_user_model().objects.filter(pk__in=list(labels)).order_by(
            "first_name", "last_name", "username")
        user.label_from_instance = lambda u: labels.get(u.pk, u.get_full_name() or u.username)
        user.error_messages["invalid_choice"] = (
            "Choose an account from the list: only the programme's members are in it.")

    def clean(self):
        data = super().clean()
        if not (data.get("name") or "").strip() and not data.get("user"):
            self.add_error("name", "Enter the champion's name, or choose their account")


# Successes to celebrate: the dashboard's period ----------------------------------------

SUCCESS_PERIODS = [("7", "Last 7 days"), ("30", "Last 30 days"), ("cycle", "This cycle"),
                   ("dates", "Between two dates")]


class SuccessesPeriodForm(Form):
    """The period of the dashboard's "Successes to celebrate" (a GET form)."""

    period = forms.ChoiceField(choices=SUCCESS_PERIODS, required=False,
                               widget=forms.RadioSelect, label="Period")
    start = NHSDateField(required=False, label="First day",
                         help_text="For “Between two dates”. For example, 1 11 2026")
    end = NHSDateField(required=False, label="Last day",
                       help_text="For “Between two dates”. For example, 30 11 2026")

    def clean(self):
        data = super().clean()
        if data.get("period") == "dates":
            if not data.get("start") and "start" not in self.errors:
                self.add_error("start", "Enter the first day of the period")
            if not data.get("end") and "end" not in self.errors:
                self.add_error("end", "Enter the last day of the period")
            if data.get("start") and data.get("end") and data["start"] > data["end"]:
                self.add_error("start", "The first day must be on or before the last day")
        return data


# Several voices on an assessment ----------------------------------------------------------

PERSPECTIVE_CHOICES = [
    ("person_supported", "A person who draws on care and support"),
    ("carer", "A carer or family member"),
    ("staff", "A member of staff"),
    ("manager", "A manager"),
    ("partner_organisation", "Someone from a partner organisation"),
    ("other", "Someone else"),
]


class ContributorAskForm(Form):
    """Ask a person, by e-mail address, for their views on some or all principles."""

    email = forms.EmailField(label="Their e-mail address", max_length=254,
                             error_messages={"invalid": "Enter an e-mail address in the right "
                                             "form, like name@example.org"})
    perspective = forms.ChoiceField(label="Whose point of view will they give?",
                                    choices=PERSPECTIVE_CHOICES, widget=forms.RadioSelect)
    principles = forms.ModelMultipleChoiceField(
        label="Which principles should they give their views on?", required=False,
        queryset=Principle.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to ask about every principle.")

    def __init__(self, *args, framework_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].error_messages["required"] = "Enter their e-mail address"
        self.fields["perspective"].error_messages["required"] = (
            "Select whose point of view they will give")
        field = self.fields["principles"]
        field.queryset = Principle.objects.filter(framework_id=framework_id).order_by("number")
        field.label_from_instance = lambda p: f"{p.number}. {p.title}"
        field.error_messages["invalid_choice"] = "Choose principles from the list"
        self.fields["email"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})


CONTRIBUTION_CHOICES = [
    ("met", "Yes, this happens", "It happens now, for everyone it should."),
    ("partly_met", "Partly", "It happens sometimes, or for some people but not others."),
    ("not_met", "No, not yet", "It does not happen, or only by chance."),
    ("not_applicable", "I do not know, or it does not apply to me", "That is a fine answer."),
]


class ContributionForm(Form):
    """One person's view of one statement: a rating and an optional comment."""

    rating = forms.ChoiceField(choices=[(v, label) for v, label, _ in CONTRIBUTION_CHOICES],
                               widget=forms.RadioSelect, label="Your answer")
    comment = forms.CharField(required=False, max_length=5000, label="Tell us more (optional)",
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="For example, what happened to you or what would "
                                        "make it better.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].error_messages["required"] = "Choose an answer"
        self.fields["rating"].error_messages["invalid_choice"] = "Choose an answer"
        self.fields["comment"].error_messages["max_length"] = (
            "Your comment must be 5,000 characters or fewer")


class EvidenceForm(Form):
    """A link or a file behind an answer, with a title and the date it is from."""

    title = forms.CharField(max_length=300, required=False, label="Title (optional)",
                            help_text="For example, “Joint induction policy”. Left empty, "
                                      "the file's name or the link is used.")
    url = forms.CharField(max_length=1000, required=False, label="Link (optional)",
                          help_text="An address starting with https://")
    file = forms.FileField(required=False, label="Or a file (optional)",
                           help_text="At most 10 MB: PDF, Word, Excel, PowerPoint, CSV, text, "
                                     "PNG or JPEG.")
    evidence_date = NHSDateField(required=False, label="Date of the evidence (optional)")

    def clean(self):
        data = super().clean()
        if not self.errors and bool(data.get("url")) == bool(data.get("file")):
            self.add_error("url", "Give a link or choose a file: one of the two")
        return data
