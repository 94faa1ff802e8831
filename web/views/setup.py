"""Setting up a programme without an administrator: the programme, its partners, its
cycles and the list of its people (DESIGN.md, "Setting up a programme and its people").

Each form is shown only to the roles that may use it: anyone else gets a 403 on GET
and on POST, whatever the POST holds (an invalid body must not answer "fix these
fields" to someone who may not make the change at all). The programme's service
checks the role again, so the page refuses exactly what the API refuses.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from core.errors import DomainError
from programmes import access, services
from programmes.models import AssessmentCycle, Partner, Programme

from .. import selectors
from ..forms import AddPartnerForm, CycleForm, PartnerChangeForm, PartnerForm, ProgrammeForm
from .common import attempt, require, role_context, visible_or_404

MANAGERS_ONLY = "Only the programme's managers can change its {what}."


def _show_to(request, allowed: bool, message: str) -> None:
    """A form is shown, and taken, only from those who may use it (a 403 otherwise)."""
    require(allowed, message)


def _form_page(request, template, context, *, bound: bool):
    return render(request, template, context, status=400 if bound else 200)


@login_required
def programme_new(request):
    """Set up a programme (programme creators): its creator becomes its first manager."""
    _show_to(request, access.can_create_programme(request.user),
             "Only programme creators can set up programmes: ask an administrator to add "
             "you to the \u201cProgramme creators\u201d group.")
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        programme = attempt(form, lambda: services.programme_create(actor=request.user, **data))
        if programme:
            messages.success(request, f"\u201c{programme.name}\u201d is set up and you are its "
                                      "manager. Add its partners and its first assessment cycle.")
            return redirect("web:dashboard", programme.pk)
    return _form_page(request, "web/programme_form.html", {"form": form},
                      bound=request.method == "POST")


@login_required
def programme_edit(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    _show_to(request, access.can_manage_programme(request.user, programme.pk),
             "Only the programme's managers can change it.")
    # The form works on its own copy: the service compares the change with the programme.
    form = ProgrammeForm(request.POST or None, instance=Programme.objects.get(pk=programme.pk))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        saved = attempt(form, lambda: services.programme_update(
            actor=request.user, programme=programme, **data))
        if saved:
            messages.success(request, "The programme's details are saved.")
            return redirect("web:dashboard", programme.pk)
    return _form_page(request, "web/programme_form.html",
                      {"form": form, "programme": programme},
                      bound=request.method == "POST")


# Partners ------------------------------------------------------------------------------


@login_required
def partner_new(request, pk):
    """Create a partner organisation and add it to this programme (managers)."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    _show_to(request, access.can_manage_programme(request.user, programme.pk),
             MANAGERS_ONLY.format(what="partners"))
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        partner = attempt(form, lambda: services.partner_create(
            actor=request.user, programme=programme, **data))
        if partner:
            messages.success(request, f"{partner.name} is a partner of the programme.")
            return redirect("web:partners", programme.pk)
    return _form_page(request, "web/partner_form.html",
                      {"form": form, "programme": programme},
                      bound=request.method == "POST")


@login_required
def partner_edit(request, pk, partner_pk):
    """Change a partner's details (the managers of a programme it is in): the API's
    ``PATCH /partners/{id}/`` through ``partner_update``."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    partner = programme.partners.filter(pk=partner_pk).first()
    if partner is None:
        raise Http404("This partner is not in the programme.")
    _show_to(request, access.can_change_partner(request.user, partner),
             "Only the managers of a programme this partner is in can change it.")
    # The form works on its own copy: the partner is changed only by the service.
    form = PartnerChangeForm(request.POST or None, instance=Partner.objects.get(pk=partner.pk))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        saved = attempt(form, lambda: services.partner_update(
            actor=request.user, partner=partner, **data))
        if saved:
            messages.success(request, f"{saved.name}\u2019s details are saved.")
            return redirect("web:partners", programme.pk)
    return _form_page(request, "web/partner_form.html",
                      {"form": form, "programme": programme, "partner": partner},
                      bound=request.method == "POST")


@login_required
def partner_add(request, pk):
    """Add an organisation already in the directory to this programme (managers)."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    _show_to(request, access.can_manage_programme(request.user, programme.pk),
             MANAGERS_ONLY.format(what="partners"))
    choices = selectors.partners_to_add(user=request.user, programme=programme)
    form = AddPartnerForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        partner = form.cleaned_data["partner"]
        added = attempt(form, lambda: services.programme_partner_add(
            actor=request.user, programme=programme, partner=partner))
        if added is not None:
            messages.success(request, f"{partner.name} is a partner of the programme.")
            return redirect("web:partners", programme.pk)
    return _form_page(request, "web/partner_add.html",
                      {"form": form, "programme": programme, "has_choices": choices.exists()},
                      bound=request.method == "POST")


@login_required
def partner_remove(request, pk, partner_pk):
    """Confirm, then take a partner out of the programme (managers); a partner with work
    in the programme stays, and the page says why (409)."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    partner = programme.partners.filter(pk=partner_pk).first()
    if partner is None:
        raise Http404("This partner is not in the programme.")
    _show_to(request, access.can_manage_programme(request.user, programme.pk),
             MANAGERS_ONLY.format(what="partners"))
    refusal = None
    if request.method == "POST":
        try:
            services.programme_partner_remove(actor=request.user, programme=programme,
                                              partner=partner)
        except DomainError as exc:
            refusal = exc
        else:
            messages.success(request, f"{partner.name} is no longer a partner of the programme.")
            return redirect("web:partners", programme.pk)
    return render(request, "web/partner_remove.html",
                  {"programme": programme, "partner": partner, "refusal": refusal},
                  status=refusal.status_code if refusal else 200)


# Cycles ----------------------------------------------------------------------------------


@login_required
def cycle_new(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    _show_to(request, access.can_manage_programme(request.user, programme.pk),
             MANAGERS_ONLY.format(what="assessment cycles"))
    form = CycleForm(request.POST or None, instance=AssessmentCycle(programme=programme))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        cycle = attempt(form, lambda: services.cycle_create(
            actor=request.user, programme=programme, **data))
        if cycle:
            messages.success(request, f"{cycle.name} is added.")
            return redirect("web:cycles", programme.pk)
    return _form_page(request, "web/cycle_form.html", {"form": form, "programme": programme},
                      bound=request.method == "POST")


@login_required
def cycle_edit(request, pk, cycle_pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    cycle = visible_or_404(AssessmentCycle, request.user, pk=cycle_pk, programme=programme)
    _show_to(request, access.can_manage_programme(request.user, programme.pk),
             MANAGERS_ONLY.format(what="assessment cycles"))
    form = CycleForm(request.POST or None, instance=AssessmentCycle.objects.get(pk=cycle.pk))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        saved = attempt(form, lambda: services.cycle_update(actor=request.user, cycle=cycle,
                                                            **data))
        if saved:
            messages.success(request, f"{saved.name} is saved.")
            return redirect("web:cycles", programme.pk)
    return _form_page(request, "web/cycle_form.html",
                      {"form": form, "programme": programme, "cycle": cycle},
                      bound=request.method == "POST")


# People ----------------------------------------------------------------------------------


@login_required
def people(request, pk):
    """Who has which role in the programme; e-mail addresses for managers only."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    return render(request, "web/people.html", {
        "programme": programme,
        "memberships": selectors.programme_people(programme=programme),
        **role_context(request.user, programme.pk),
    })
