"""The 403, 404, 500 and CSRF pages: the service's layout, plain words and a way back,
as a person sees them with DEBUG off."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory, override_settings
from django.urls import path

import config.urls
from core.api import rest

pytestmark = pytest.mark.django_db

NHS_HEADER = '<header class="nhsuk-header"'
WAY_BACK = '<a href="/">Go to your programmes</a>'


def broken(request):
    raise RuntimeError("the database fell over")


def refused(request):
    raise PermissionDenied


urlpatterns = [
    path("test-broken/", broken),
    path("test-refused/", refused),
    *config.urls.urlpatterns,
]
handler404 = config.urls.handler404
handler500 = config.urls.handler500


def page(response):
    return response.content.decode()


def visit_as(user, address):
    """What ``user`` sees at ``address``, the error pages rendered as in production."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.get(address)
    return response, page(response)


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_server_error_shows_the_service_page_not_djangos(world):
    response, html = visit_as(world.manager, "/test-broken/")
    assert response.status_code == 500
    assert NHS_HEADER in html and WAY_BACK in html
    assert "<h1>Sorry, there is a problem with the service</h1>" in html
    assert "Server Error (500)" not in html and "the database fell over" not in html


def test_the_server_error_page_needs_no_database(django_assert_num_queries):
    request = RequestFactory().get("/programmes/1/")
    with django_assert_num_queries(0):
        response = rest.server_error(request)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page(response)


def test_an_api_server_error_is_json():
    response = rest.server_error(RequestFactory().get("/api/v1/gaps/"))
    assert response.status_code == 500 and b'"code": "server_error"' in response.content


@override_settings(DEBUG=False)
def test_a_missing_page_says_what_to_check_and_offers_a_way_back(world):
    response, html = visit_as(world.manager, "/no-such-page/")
    assert response.status_code == 404
    assert NHS_HEADER in html and WAY_BACK in html
    assert "<h1>Page not found</h1>" in html and "check it is correct" in html
    assert "The requested resource was not found" not in html


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_refusal_says_so_plainly(world):
    response, html = visit_as(world.manager, "/test-refused/")
    assert response.status_code == 403
    assert NHS_HEADER in html and WAY_BACK in html
    assert "<h1>You cannot do this</h1>" in html
    assert "Your role in this programme does not allow it." in html


@override_settings(DEBUG=False)
def test_a_form_sent_without_its_check_gets_the_services_page(world):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = client.post("/login/", {"username": "someone", "password": "something"})
    html = page(response)
    assert response.status_code == 403
    assert NHS_HEADER in html and WAY_BACK in html
    assert "<h1>Your form could not be sent</h1>" in html
    assert "CSRF" not in html and "Forbidden" not in html
