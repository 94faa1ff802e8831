"""The "Compare cycles" page: two cycles side by side, for the programme or one partner.

A GET form (the query string is the API's: ``?from=&to=&partner=``), read by the same
selector as ``GET /programmes/{id}/progress/compare/``; its refusals are the API's too.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core.errors import DomainError
from programmes.compare import compare_scope, cycles_compare
from programmes.models import Programme, Rating

from ..forms import Form
from .common import role_context, visible_or_404
from .partners import change_words

RATING_WORDS = dict(Rating.choices)


def _cycle_field(label, hint):
    return forms.TypedChoiceField(
        label=label, help_text=hint, coerce=int,
        error_messages={"invalid_choice": "Select a cycle of this programme"})


# ``from`` is a Python keyword: the form's fields are given by name.
CompareForm = type("CompareForm", (Form,), {
    "from": _cycle_field("Earlier cycle", "The cycle to compare from."),
    "to": _cycle_field("Later cycle", "The cycle to compare with it."),
    "partner": forms.TypedChoiceField(
        label="Partner (optional)", required=False, coerce=int, empty_value=None,
        help_text="Leave as “All partners” to compare the whole programme.",
        error_messages={"invalid_choice": "Select a partner of this programme"}),
})


def _with_words(figures: dict) -> dict:
    return {**figures, "change_words": change_words(figures["change"])}


def _items(entries, one_partner: bool) -> list[dict]:
    for entry in entries:
        if one_partner:
            entry["from_words"] = RATING_WORDS.get(entry["from_rating"], "")
            entry["to_words"] = RATING_WORDS.get(entry["to_rating"], "")
    return entries


@login_required
def compare(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    cycles = list(programme.cycles.order_by("-period_end", "-period_start", "-pk")
                  .values_list("pk", "name"))
    partners = list(programme.partners.order_by("name").values_list("pk", "name"))
    data = request.GET.copy()
    if len(cycles) >= 2:  # by default the latest cycle against the one before it
        data.setdefault("from", str(cycles[1][0]))
        data.setdefault("to", str(cycles[0][0]))
    form = CompareForm(data if {"from", "to"} & set(data) else None)
    form.fields["from"].choices = [("", "Choose a cycle"), *cycles]
    form.fields["to"].choices = [("", "Choose a cycle"), *cycles]
    form.fields["partner"].choices = [("", "All partners"), *partners]

    result = None
    if form.is_bound and form.is_valid():
        try:
            scope = compare_scope(programme=programme,
                                  from_cycle_id=form.cleaned_data["from"],
                                  to_cycle_id=form.cleaned_data["to"],
                                  partner_id=form.cleaned_data["partner"])
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            result = cycles_compare(scope=scope)
            one = result["partner"] is not None
            result["principles"] = [_with_words(p) for p in result["principles"]]
            result["overall"] = _with_words(result["overall"])
            result["items"] = {way: _items(entries, one)
                               for way, entries in result["items"].items()}
    return render(
        request, "web/compare.html",
        {"programme": programme, "form": form, "result": result, "enough_cycles": len(cycles) >= 2,
         "cycle_count": len(cycles), **role_context(request.user, programme.pk)},
        status=400 if form.errors else 200,
    )
