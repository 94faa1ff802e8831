"""Champion pages: a programme's champions (filtered, downloadable), and naming,
changing and removing a champion.

Members see them; ``programmes.access.can_change_champion`` decides who may change
them (the programme's managers for every partner, a partner's leads for their own).
A form a person may not use is a 403; every write goes through the same service as
the API's ``/api/v1/champions/``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from programmes import access, services, sheets
from programmes.filters import ChampionFilter
from programmes.models import Champion, Membership, Programme

from ..forms import ChampionForm
from .common import (
    attempt,
    download,
    download_format,
    page_query,
    partner_choices,
    principle_choices,
    require,
    role_context,
    visible_or_404,
)
from .deletes import _confirm

PAGE_SIZE = 50


def changeable_partners(user, programme):
    """The partners of the programme whose champions this person may name."""
    if access.is_manager(user, programme.pk):
        return programme.partners.order_by("name")
    partner_id = access.partner_in(user, programme.pk)
    if access.role_in(user, programme.pk) == Membership.Role.PARTNER_LEAD and partner_id:
        return programme.partners.filter(pk=partner_id)
    return programme.partners.none()


def may_name_any(user, programme) -> bool:
    return access.is_manager(user, programme.pk) or (
        access.role_in(user, programme.pk) == Membership.Role.PARTNER_LEAD
        and access.partner_in(user, programme.pk) is not None)


def with_changes(user, champions):
    """The champions, each marked with whether this person may change it (no query)."""
    rows = list(champions)
    for champion in rows:
        champion.can_change = access.can_change_champion(user, champion.programme_id,
                                                         champion.partner_id)
    return rows


def _next(request, default: str) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return wanted
    return default


@login_required
def champions(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    rows = Champion.objects.filter(programme=programme).select_related(
        "partner", "principle", "user").order_by("principle__number", "partner__name", "name",
                                                 "pk")
    filterset = ChampionFilter(request.GET, queryset=rows)
    partner_choices(filterset.form.fields["partner"], programme)
    principle_choices(filterset.form.fields["principle"], programme)
    rows = filterset.qs if filterset.is_valid() else rows.none()
    fmt = download_format(request)
    if fmt is not None:
        return download(fmt, columns=sheets.CHAMPION_COLUMNS,
                        rows=rows, name="champions",
                        count=rows.count)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/champions.html", {
        "programme": programme,
        "filter": filterset,
        "page": page,
        "champions": with_changes(request.user, page.object_list),
        "query": page_query(request),
        "can_add": may_name_any(request.user, programme),
        "here": request.get_full_path(),
        **role_context(request.user, programme.pk),
    })


@login_required
def champion_new(request, pk):
    """Name a champion; ``?partner=`` and ``?principle=`` choose them in advance."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    require(may_name_any(request.user, programme), access.CHAMPION_REFUSED)
    partners = changeable_partners(request.user, programme)
    initial = {key: request.GET.get(key) for key in ("partner", "principle")
               if (request.GET.get(key) or "").isdigit()}
    if "partner" not in initial and len(partners) == 1:
        initial["partner"] = partners[0].pk
    form = ChampionForm(request.POST or None, programme=programme, partners=partners,
                        initial=initial)
    back = _next(request, reverse("web:champions", args=[programme.pk]))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        champion = attempt(form, lambda: services.champion_create(
            actor=request.user, programme=programme, **data))
        if champion:
            messages.success(request, f"{champion.name} is now a champion of principle "
                                      f"{champion.principle.number} for "
                                      f"{champion.partner.name}.")
            return redirect(back)
    return render(request, "web/champion_form.html", {
        "form": form, "programme": programme, "champion": None, "back": back,
    }, status=400 if request.method == "POST" else 200)


@login_required
def champion_edit(request, pk):
    champion = visible_or_404(Champion, request.user, pk=pk)
    programme = champion.programme
    require(access.can_change_champion(request.user, programme.pk, champion.partner_id),
            access.CHAMPION_REFUSED)
    partners = changeable_partners(request.user, programme)
    form = ChampionForm(request.POST or None, programme=programme, partners=partners,
                        initial={"partner": champion.partner_id,
                                 "principle": champion.principle_id,
                                 "user": champion.user_id, "name": champion.name,
                                 "job_title": champion.job_title, "email": champion.email})
    back = _next(request, reverse("web:champions", args=[programme.pk]))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        saved = attempt(form, lambda: services.champion_update(
            actor=request.user, champion=champion, **data))
        if saved:
            messages.success(request, f"{saved.name}\u2019s details are saved.")
            return redirect(back)
    return render(request, "web/champion_form.html", {
        "form": form, "programme": programme, "champion": champion, "back": back,
    }, status=400 if request.method == "POST" else 200)


@login_required
def champion_delete(request, pk):
    champion = visible_or_404(Champion, request.user, pk=pk)
    require(access.can_change_champion(request.user, champion.programme_id,
                                       champion.partner_id), access.CHAMPION_REFUSED)
    back = _next(request, reverse("web:champions", args=[champion.programme_id]))
    principle = champion.principle
    return _confirm(
        request,
        delete=lambda: services.champion_delete(actor=request.user, champion=champion),
        done=back,
        done_message=f"{champion.name} is no longer a champion of principle "
                     f"{principle.number} for {champion.partner.name}.",
        page={
            "subject": f"{champion.name}, principle {principle.number}",
            "programme": champion.programme,
            "caption": f"Champion · {champion.partner.name}",
            "question": f"Are you sure you want to remove {champion.name} as a champion of "
                        f"principle {principle.number}, \u201c{principle.title}\u201d?",
            "kept": "They are no longer listed on the principle and partner pages. The "
                    "history keeps a record of who they were, who removed them and when.",
            "button": "Remove the champion",
            "back": back,
            "back_label": "Keep the champion",
        })
