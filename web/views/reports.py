"""Programme reports on the pages: joint commissioning proposals."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from programmes.models import Programme
from reports import selectors

from .common import role_context, visible_or_404


@login_required
def joint_commissioning(request, pk):
    """Learning needs that two or more partners could meet together (``reports``' selector,
    as the API's ``joint-commissioning`` endpoint); everyone who sees the programme."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    proposals = selectors.joint_commissioning(programme=programme)
    return render(
        request,
        "web/joint_commissioning.html",
        {
            "programme": programme,
            "proposals": proposals,
            "window_days": selectors.WINDOW_DAYS,
            **role_context(request.user, programme.pk),
        },
    )
