"""Webhook pages: a programme's webhooks with a form to add one, changing, deleting,
the delivery log and "Send a test event".

Members see the programme's webhooks and may add one (they own it); the programme's
managers change any, others only their own (``webhooks.access``). Every write goes
through the same service as the API's ``/api/v1/webhooks/``. The secret is shown once,
on the page after adding, and never again.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from programmes.models import Programme
from webhooks import access, services
from webhooks.kinds import EVENTS
from webhooks.models import Webhook, WebhookDelivery

from ..forms import Form
from .common import attempt, require, role_context, visible_or_404
from .deletes import _confirm

PAGE_SIZE = 25
SECRET_KEY = "webhook_secret_once"


class WebhookForm(Form):
    url = forms.URLField(
        max_length=500, label="Web address",
        help_text="Where the events are sent, for example https://example.org/tracker-events",
        error_messages={"invalid": "Enter a web address like https://example.org/webhook"},
        assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=list(EVENTS.items()), widget=forms.CheckboxSelectMultiple,
        label="Events to send")
    active = forms.BooleanField(required=False, initial=True, label="Send events now",
                                help_text="Untick to add it turned off.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].error_messages.update({
            "required": "Choose at least one event to send.",
            "invalid_choice": "Choose events from the list."})


def _rows(user, webhooks):
    rows = list(webhooks)
    for hook in rows:
        hook.can_change = access.can_change_webhook(user, hook)
    return rows


@login_required
def webhooks(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    can_add = access.can_add_webhook(request.user, programme.pk)
    form = WebhookForm(request.POST or None) if can_add else None
    if request.method == "POST":
        require(can_add, services.ADD_REFUSED)
        if form.is_valid():
            data = form.cleaned_data
            hook = attempt(form, lambda: services.webhook_create(
                actor=request.user, programme=programme, url=data["url"],
                events=data["events"], active=data["active"]))
            if hook:
                request.session[SECRET_KEY] = {"id": hook.pk, "secret": hook.secret}
                return redirect("web:webhooks", pk=programme.pk)
    secret = request.session.pop(SECRET_KEY, None)
    hooks = Webhook.objects.filter(programme=programme).select_related("owner").order_by(
        "created_at", "pk")
    return render(request, "web/webhooks/list.html", {
        "programme": programme, "form": form, "can_add": can_add,
        "webhooks": _rows(request.user, hooks), "secret": secret, "events": EVENTS,
        **role_context(request.user, programme.pk),
    }, status=400 if request.method == "POST" else 200)


@login_required
def webhook_edit(request, pk):
    hook = visible_or_404(Webhook, request.user, pk=pk)
    require(access.can_change_webhook(request.user, hook), services.CHANGE_REFUSED)
    form = WebhookForm(request.POST or None, initial={
        "url": hook.url, "events": hook.events, "active": hook.active})
    form.fields["active"].label = "Send events"
    form.fields["active"].help_text = ("Tick to turn it on again after it was turned off: "
                                       "its count of failures starts afresh.")
    if request.method == "POST" and form.is_valid():
        saved = attempt(form, lambda: services.webhook_update(
            actor=request.user, webhook=hook, **form.cleaned_data))
        if saved:
            messages.success(request, f"The webhook to {saved.url} is saved.")
            return redirect("web:webhooks", pk=hook.programme_id)
    return render(request, "web/webhooks/form.html", {
        "form": form, "programme": hook.programme, "webhook": hook,
    }, status=400 if request.method == "POST" else 200)


@login_required
def webhook_delete(request, pk):
    hook = visible_or_404(Webhook, request.user, pk=pk)
    require(access.can_change_webhook(request.user, hook), services.CHANGE_REFUSED)
    back = reverse("web:webhooks", args=[hook.programme_id])
    return _confirm(
        request,
        delete=lambda: services.webhook_delete(actor=request.user, webhook=hook),
        done=back,
        done_message=f"The webhook to {hook.url} is deleted.",
        page={
            "subject": hook.url,
            "programme": hook.programme, "caption": f"Webhooks · {hook.programme.name}",
            "question": f"Are you sure you want to delete the webhook to {hook.url}?",
            "kept": "No more events are sent to it, and its delivery log is deleted with it.",
            "button": "Delete the webhook", "back": back, "back_label": "Keep the webhook",
        })


@login_required
def webhook_deliveries(request, pk):
    hook = visible_or_404(Webhook, request.user, pk=pk)
    rows = WebhookDelivery.objects.filter(webhook=hook).prefetch_related("log")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/webhooks/deliveries.html", {
        "programme": hook.programme, "webhook": hook, "page": page,
        "deliveries": page.object_list, "query": "",
        "can_change": access.can_change_webhook(request.user, hook),
    })


@login_required
@require_POST
def webhook_test(request, pk):
    hook = visible_or_404(Webhook, request.user, pk=pk)
    require(access.can_change_webhook(request.user, hook), services.CHANGE_REFUSED)
    try:
        services.webhook_send_test(actor=request.user, webhook=hook)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "A test event is on its way. Its delivery is logged "
                                  "below.")
    return redirect("web:webhook-deliveries", pk=hook.pk)
