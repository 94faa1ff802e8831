"""Importing actions, learning needs and partners from a spreadsheet: a dry run, then a
commit; and each kind's template (its columns and one example row).

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
from django.http import Http404
from django.shortcuts import redirect, render

from actions.sheets import ActionSheet
from exchange import importing, tabular
from exchange.api import import_upload
from learning.sheets import LearningNeedSheet
from people.sheets import InvitationSheet
from programmes import access
from programmes.models import Programme
from programmes.sheets import PartnerSheet

from ..forms import ImportForm
from .common import download, require, visible_or_404

SHEETS = {"actions": ActionSheet(), "learning_needs": LearningNeedSheet(),
          "partners": PartnerSheet(), "memberships": InvitationSheet()}
NAMES = {"actions": ("action", "actions"), "learning_needs": ("learning need", "learning needs"),
         "partners": ("partner", "partners"), "memberships": ("invitation", "invitations")}
LIST_PAGES = {"actions": "web:action-board", "learning_needs": "web:learning-needs",
              "partners": "web:partners", "memberships": "web:invitations"}
# What the rows of a file do, before and after the import: new records, records of the
# programme the rows change, and rows that change nothing.
OUTCOMES = {
    "partners": {
        "check": ("{n} new to the directory", "{n} from the directory to join the programme",
                  "{n} already in the programme"),
        "done": ("{n} new to the directory", "{n} joined from the directory",
                 "{n} already in the programme"),
    },
}
DEFAULT_OUTCOMES = {
    "check": ("{n} new {noun} to add", "{n} {noun} to change", "{n} that change nothing"),
    "done": ("{n} {noun} added", "{n} {noun} changed", "{n} unchanged"),
}
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


def outcomes(kind: str, report, *, done: bool) -> list[str]:
    """What the rows do, in words (``["2 new actions to add", "1 action to change"]``)."""
    phrases = OUTCOMES.get(kind, DEFAULT_OUTCOMES)["done" if done else "check"]
    counts = (report.created, report.updated, report.unchanged)
    return [phrase.format(n=n, noun=NAMES[kind][n != 1])
            for phrase, n in zip(phrases, counts, strict=True) if n]


def _errors_on(form, exc: importing.FileRefused) -> None:
    form.add_error("file" if exc.field == "file" else None, exc.message)


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
        except importing.FileRefused as exc:
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
                "token": token, "outcomes": outcomes(kind, report, done=False),
            }, status=200 if report.valid else 400)
    templates = [(kind, label, NAMES[kind][1]) for kind, label in ImportForm.KINDS]
    return render(request, "web/import_form.html", {
        "programme": programme, "form": form, "templates": templates,
    }, status=400 if form.errors else 200)


@login_required
def import_template(request, pk, kind, fmt):
    """A file to start an import from: the kind's columns and one example row."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    if kind not in SHEETS or fmt not in tabular.FORMATS:
        raise Http404
    require(access.can_manage_programme(request.user, programme.pk),
            "Only the programme's managers can import into it.")
    sheet = SHEETS[kind]
    context = sheet.prepare(user=request.user, programme_id=programme.pk)
    return download(fmt, columns=sheet.template_columns(), rows=[sheet.example(context)],
                    name=f"{kind.replace('_', '-')}-template")


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
    except (importing.FileRefused, PermissionDenied):
        report = None
    del request.session[PENDING]
    if report is None or not report.committed:
        # Something changed since the check (a gap closed, a partner left): nothing written.
        messages.error(request, "The file no longer passes its checks, so nothing was "
                                "imported. Upload it again to see why.")
        return redirect("web:import", programme.pk)
    count = len(report.ids)
    what = outcomes(kind, report, done=True)
    detail = f": {', '.join(what)}" if report.updated or report.unchanged else ""
    done = "sent" if kind == "memberships" else "imported"
    messages.success(request, f"{count} {NAMES[kind][count != 1]} {done} "
                              f"from {pending['name']}{detail}.")
    return redirect(LIST_PAGES[kind], programme.pk)
