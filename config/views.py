"""Service-level views: the health check."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"; it is reported
        return f"down: {exc.__class__.__name__}"
    return "ok"


def _broker_state() -> str:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return f"down: {exc.__class__.__name__}"
    return "ok"


def healthz(request):
    """200 while the database answers; the broker's state is reported beside it.

    The web side keeps working while the broker is down (work waits in the
    outbox), so a down broker does not fail the check.
    """
    database = _database_state()
    body = {
        "status": "ok" if database == "ok" else "error",
        "database": database,
        "broker": _broker_state(),
        "broker_transport": settings.CELERY_BROKER_URL.split("://", 1)[0],
    }
    return JsonResponse(body, status=200 if database == "ok" else 503)


def _is_api(request) -> bool:
    """An API client reads JSON, not a page."""
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """404 page: JSON under /api/ (an address no route matches, like /api/v1/gaps/0.5/)."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent from an old page, or after signing in again
    elsewhere. The page says what to do, in the service's layout."""
    from django.shortcuts import render

    if _is_api(request):
        return JsonResponse({"detail": "The request could not be checked: sign in again "
                                       "and send it again.", "code": "csrf_failed"},
                            status=403)
    return render(request, "403_csrf.html", status=403)
