"""Forms rendered in the NHS.UK design system's markup, and the page forms that use it."""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.forms.renderers import TemplatesSetting

from actions.models import Action
from learning.models import FundingStream, LearningNeed, TrainingOffer
from notifications.models import NotificationPreference
from programmes.models import Membership, Rating

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
                widget.format = "%Y-%m-%d"  # what a date input shows and sends back
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
        members = Membership.objects.filter(programme=programme).values("user_id")
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
        error_messages = {"workers_count": {
            "min_value": "A learning need is for at least one worker."}}
        widgets = {"needed_by": forms.DateInput, "notes": forms.Textarea(attrs={"rows": 3})}


class LearningNeedChangeForm(LearningNeedForm):
    """A need's details and where it has got to; the version guards against two edits."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta(LearningNeedForm.Meta):
        fields = ["staff_group", "topic", "workers_count", "needed_by", "status", "notes"]
        help_texts = {**LearningNeedForm.Meta.help_texts,
                      "status": "Met when the workers have had the training they needed."}


class PlacementForm(Form):
    places = forms.IntegerField(label="Number of places", min_value=1, max_value=100_000)


MONEY_ERRORS = {
    "invalid": "Enter the amount in pounds, like 1020.00.",
    "min_value": "The amount must be at least £0.01.",
    "max_digits": "The amount must be less than £10,000,000,000.",
    "max_whole_digits": "The amount must be less than £10,000,000,000.",
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
            lambda s: f"{s.name} (£{s.available:,.2f} of £{s.amount:,.2f} available)")


class FundingStreamForm(ModelForm):
    amount = money_field()

    class Meta:
        model = FundingStream
        fields = ["name", "funder", "amount", "description"]
        labels = {"funder": "Funder", "amount": "Amount in pounds"}
        help_texts = {"funder": "The partner the money comes from."}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funder"].queryset = programme.partners.order_by("name")
        self.fields["funder"].empty_label = "Choose a partner"


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
    KINDS = [("actions", "Actions"), ("learning_needs", "Learning needs")]

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
