"""Giving your views on a partner's self-assessment when you were asked to contribute."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from programmes import contributions
from programmes.models import Contribution, Contributor


@login_required
def contribute(request, pk):
    """The items the signed-in person is asked about, each with their rating so far."""
    contributor = get_object_or_404(
        Contributor.objects.select_related("assessment__cycle__programme",
                                           "assessment__partner"),
        pk=pk, user_id=request.user.pk, removed_at__isnull=True)
    given = {c.checklist_item_id: c for c in Contribution.objects.filter(
        assessment_id=contributor.assessment_id, contributor=request.user)}
    items = [(item, given.get(item.pk)) for item in contributions.asked_items(contributor)]
    return render(request, "web/contribute.html", {
        "contributor": contributor, "assessment": contributor.assessment,
        "programme": contributor.assessment.cycle.programme, "items": items})
