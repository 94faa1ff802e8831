"""Importing actions and learning needs from a spreadsheet: a dry run, then a commit.

The rows go through ``exchange``'s import runner and the domain's sheets, as the API's
``POST .../import/``. Between the check and the commit the file waits in the user's
session (one pending file per person), so the commit reads exactly the file that was
checked, and checks it again inside the same all-or-nothing transaction.
"""

import base64
import io
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from rest_framework.exceptions import ValidationError

from actions.sheets import ActionSheet
from exchange.api import import_upload
from learning.sheets import LearningNeedSheet
from people.sheets import InvitationSheet
from programmes import access
from programmes.models import Programme

from ..forms import ImportForm
from .common import require, visible_or_404

SHEETS = {"actions": ActionSheet(), "learning_needs": LearningNeedSheet(),
          "memberships": InvitationSheet()}
NAMES = {"actions": ("action", "actions"), "learning_needs": ("learning need", "learning needs"),
         "memberships": ("invitation", "invitations")}
LIST_PAGES = {"actions": "web:dashboard", "learning_needs": "web:learning-needs",
              "memberships": "web:invitations"}
PENDING = "pending_import"


class _Upload(io.BytesIO):
    """The pending file read back from the session, with its name for the reader."""

    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name = name
        self.size = len(data)


def _run(request, programme, kind, upload, *, dry_run):
    return import_upload(SHEETS[kind], user=request.user, programme_id=programme.pk,
                         upload=upload, dry_run=dry_run)


def _errors_on(form, exc: ValidationError) -> None:
    detail = exc.detail if isinstance(exc.detail, dict) else {None: exc.detail}
    for name, errors in detail.items():
        for error in errors if isinstance(errors, list) else [errors]:
            form.add_error("file" if name == "file" else None, str(error))


@login_required
def import_file(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    require(access.can_manage_programme(request.user, programme.pk),
            "Only the programme's managers can import into it.")
    if request.method == "POST" and request.POST.get("confirm"):
        return _commit(request, programme)

    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        kind, upload = form.cleaned_data["kind"], form.cleaned_data["file"]
        # One byte past the limit is enough for the reader to refuse a file too large.
        data = upload.read(settings.IMPORT_MAX_BYTES + 1)
        try:
            report = _run(request, programme, kind, _Upload(data, upload.name), dry_run=True)
        except ValidationError as exc:
            _errors_on(form, exc)
        else:
            token = secrets.token_urlsafe(16)
            if report.valid:
                request.session[PENDING] = {
                    "token": token, "programme": programme.pk, "kind": kind,
                    "name": upload.name, "data": base64.b64encode(data).decode("ascii"),
                }
            else:
                request.session.pop(PENDING, None)
            return render(request, "web/import_report.html", {
                "programme": programme, "report": report, "kind": kind,
                "kind_label": NAMES[kind][report.rows != 1], "file_name": upload.name,
                "token": token,
            }, status=200 if report.valid else 400)
    return render(request, "web/import_form.html", {"programme": programme, "form": form},
                  status=400 if form.errors else 200)


def _commit(request, programme):
    pending = request.session.get(PENDING)
    if (not pending or pending.get("token") != request.POST.get("confirm")
            or pending.get("programme") != programme.pk):
        messages.error(request, "That check has expired or was replaced by another one. "
                                "Upload the file again.")
        return redirect("web:import", programme.pk)
    kind = pending["kind"]
    upload = _Upload(base64.b64decode(pending["data"]), pending["name"])
    try:
        report = _run(request, programme, kind, upload, dry_run=False)
    except (ValidationError, PermissionDenied):
        report = None
    del request.session[PENDING]
    if report is None or not report.committed:
        # Something changed since the check (a gap closed, a partner left): nothing written.
        messages.error(request, "The file no longer passes its checks, so nothing was "
                                "imported. Upload it again to see why.")
        return redirect("web:import", programme.pk)
    count = len(report.ids)
    done = "sent" if kind == "memberships" else "imported"
    messages.success(request, f"{count} {NAMES[kind][count != 1]} {done} "
                              f"from {pending['name']}.")
    return redirect(LIST_PAGES[kind], programme.pk)
