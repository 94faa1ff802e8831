"""Forms rendered in the NHS.UK design system's markup, and the page forms that use it."""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.forms.renderers import TemplatesSetting

from actions.models import Action
from learning.models import LearningNeed, TrainingOffer
from notifications.models import NotificationPreference
from programmes.models import Membership, Partner, Rating

WIDGET_CLASSES = {
    forms.Textarea: "nhsuk-textarea",
    forms.Select: "nhsuk-select",
    forms.SelectMultiple: "nhsuk-select",
}


class NHSFormRenderer(TemplatesSetting):
    form_template_name = "components/form.html"
    field_template_name = "components/field.html"


class NHSFormMixin:
    """Adds the design system's classes, hints and error links to every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if field.required and field.label:
                # Say what to do, in the field's own words ("Enter the title").
                verb = "Select" if isinstance(field, forms.ChoiceField) else "Enter"
                label = field.label[0].lower() + field.label[1:]
                field.error_messages["required"] = f"{verb} the {label}"
            if isinstance(widget, (forms.RadioSelect, forms.CheckboxInput,
                                   forms.CheckboxSelectMultiple)):
                continue
            css = next((c for w, c in WIDGET_CLASSES.items() if isinstance(widget, w)),
                       "nhsuk-input")
            widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()
            if isinstance(widget, forms.DateInput):
                widget.input_type = "date"
                widget.attrs["class"] += " nhsuk-input--width-10"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                if "nhsuk-input" in widget.attrs.get("class", ""):
                    widget.attrs["class"] += " nhsuk-input--error"


class Form(NHSFormMixin, forms.Form):
    pass


class ModelForm(NHSFormMixin, forms.ModelForm):
    pass


# Page forms -------------------------------------------------------------------



class ActionForm(ModelForm):
    class Meta:
        model = Action
        fields = ["title", "description", "owner", "owner_partner", "due_date", "priority"]
        labels = {"owner": "Owner", "owner_partner": "Owning organisation", "due_date": "Due date"}
        help_texts = {"owner_partner": "Leave empty to use the owner's organisation."}
        widgets = {"due_date": forms.DateInput, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        members = Membership.objects.active().filter(programme=programme).values("user_id")
        self.fields["owner"].queryset = get_user_model().objects.filter(pk__in=members).order_by(
            "first_name", "username")
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["owner"].empty_label = "No owner yet"
        self.fields["owner_partner"].empty_label = "The owner's organisation"
        self.fields["owner_partner"].queryset = programme.partners.order_by("name")
        self.fields["priority"].widget = forms.RadioSelect(choices=Action.Priority.choices)
        self.fields["priority"].inline = True


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
        widgets = {"needed_by": forms.DateInput, "notes": forms.Textarea(attrs={"rows": 3})}


class PlacementForm(Form):
    places = forms.IntegerField(label="Number of places", min_value=1, max_value=100_000)


class AllocationForm(Form):
    stream = forms.ModelChoiceField(queryset=None, label="Funding stream")
    amount = forms.DecimalField(label="Amount in pounds", min_value=Decimal("0.01"),
                                max_digits=12, decimal_places=2)

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stream"].queryset = programme.funding_streams.order_by("name")
        self.fields["stream"].empty_label = "Choose a funding stream"
        self.fields["stream"].label_from_instance = (
            lambda s: f"{s.name} (£{s.available:,.2f} of £{s.amount:,.2f} available)")


class TrainingOfferForm(ModelForm):
    class Meta:
        model = TrainingOffer
        fields = ["title", "description", "topics", "staff_groups", "format", "principles",
                  "start_date", "end_date", "capacity", "cost_per_place", "location", "online"]
        labels = {"cost_per_place": "Cost per place in pounds", "online": "Online"}
        widgets = {
            "start_date": forms.DateInput, "end_date": forms.DateInput,
            "description": forms.Textarea(attrs={"rows": 4}),
            "principles": forms.CheckboxSelectMultiple,
        }


class AnswerForm(Form):
    """One checklist item's answer on the assessment page."""

    rating = forms.ChoiceField(choices=Rating.choices, required=False, widget=forms.RadioSelect)
    evidence = forms.CharField(required=False, max_length=20_000, label="Evidence (optional)",
                               widget=forms.Textarea(attrs={"rows": 2}))


class PreferenceForm(ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email_enabled", "email_frequency"]
        labels = {"email_enabled": "Send me e-mails", "email_frequency": "How often"}
        widgets = {"email_frequency": forms.RadioSelect}


class ImportForm(Form):
    KINDS = [("actions", "Actions"), ("learning_needs", "Learning needs"),
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


class InviteForm(Form):
    email = forms.EmailField(label="E-mail address", max_length=254,
                             error_messages={"invalid": "Enter an e-mail address in the right "
                                                        "form, like name@example.org"})
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
