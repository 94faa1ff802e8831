"""The Content-Security-Policy: on every kind of answer, strict for scripts, and kept by
the templates (no inline script, handler or style that the policy would refuse)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def policy(answer) -> dict[str, list[str]]:
    header = answer.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {answer.request['PATH_INFO']}"
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.parametrize("path", ["/login/", "/admin/login/", "/healthz", "/no-such-page/"])
def test_pages_anyone_can_reach_carry_the_policy(client, path):
    rules = policy(client.get(path))
    assert rules["default-src"] == ["'self'"]
    assert rules["script-src"] == ["'self'"]
    assert rules["style-src"] == ["'self'"]
    assert rules["frame-ancestors"] == ["'none'"]
    assert rules["form-action"] == ["'self'"]
    assert rules["object-src"] == ["'none'"]
    assert rules["img-src"] == ["'self'", "data:"]


@pytest.mark.parametrize("path", [
    "/", "/actions/mine/", "/api/v1/programmes/", "/api/schema/", "/api/docs/",
    "/admin/",
])
def test_signed_in_pages_the_api_and_its_docs_carry_the_policy(client, world, path):
    client.force_login(world.staff if path == "/admin/" else world.manager)
    answer = client.get(path)
    assert answer.status_code == 200, path
    rules = policy(answer)
    assert rules["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in rules.get("style-src", [])
    assert rules["frame-ancestors"] == ["'none'"]


def test_only_redoc_may_style_inline_and_no_page_may_run_inline_script(client, world):
    client.force_login(world.manager)
    rules = policy(client.get("/api/redoc/"))
    assert rules["style-src"] == ["'self'", "'unsafe-inline'"]
    assert rules["script-src"] == ["'self'"]
    assert rules["worker-src"] == ["'self'", "blob:"]


def test_the_highlight_report_page_needs_no_inline_style(client, world):
    client.force_login(world.manager)
    answer = client.get(f"/api/v1/programmes/{world.programme.pk}/highlight-report/?format=html")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert policy(answer)["style-src"] == ["'self'"]
    assert "<style" not in html and "style=" not in html
    assert 'href="/static/css/highlight-report.css"' in html


# The templates themselves ---------------------------------------------------------------

TEMPLATES = sorted(
    path for pattern in ("templates/**/*.html", "*/templates/**/*.html")
    for path in ROOT.glob(pattern)
    # E-mails are read in mail programs, not under the service's policy: they need
    # inline styles, and they carry no script.
    if "/email/" not in str(path)
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.S)


def test_the_templates_are_found():
    names = {str(p.relative_to(ROOT)) for p in TEMPLATES}
    assert {"templates/base.html", "web/templates/web/dashboard.html",
            "reports/templates/reports/highlight_report.html"} <= names


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_inline_script_handler_or_style(template):
    text = COMMENT.sub("", template.read_text(encoding="utf-8"))
    if template.name == "highlight_report.html":
        # The PDF (never served to a browser) gets its own copy of the style sheet.
        text = text.replace("{% if for_pdf %}<style>{{ stylesheet }}</style>", "")
    assert not INLINE_SCRIPT.search(text), "an inline script"
    assert not HANDLER.search(text), "an on...= handler"
    assert not INLINE_STYLE.search(text), "an inline style"
