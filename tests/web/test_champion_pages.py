"""The champion pages: naming, changing and removing a champion, the list and its
download, and the champions on the principle and partner pages."""

import pytest
from django.test import Client

from programmes import services
from programmes.models import Champion

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _champion(world, name="Ada Lovelace", partner=None):
    return services.champion_create(actor=world.manager, programme=world.programme,
                                    partner=partner or world.partner_a,
                                    principle=world.principles[0], name=name,
                                    job_title="Care manager")


@pytest.mark.parametrize("who", ["manager", "lead_a"])
def test_a_manager_or_the_partners_lead_names_a_champion_from_the_partner_page(world, who):
    client = _client(getattr(world, who))
    partner_page = f"/programmes/{world.programme.pk}/partners/{world.partner_a.pk}/"
    page = client.get(partner_page).content.decode()
    assert "Name a champion for Alpha Council" in page
    new = f"/programmes/{world.programme.pk}/champions/new/?partner={world.partner_a.pk}"
    form = client.get(new)
    assert form.status_code == 200
    answer = client.post(new + f"&next={partner_page}", {
        "partner": world.partner_a.pk, "principle": world.principles[0].pk,
        "name": "Ada Lovelace", "job_title": "Care manager"})
    assert answer.status_code == 302 and answer["Location"] == partner_page
    page = client.get(partner_page).content.decode()
    assert "Ada Lovelace" in page and "Care manager" in page


def test_change_and_remove_through_the_pages(world):
    champion = _champion(world)
    client = _client(world.lead_a)
    edit = client.post(f"/champions/{champion.pk}/edit/", {
        "partner": world.partner_a.pk, "principle": world.principles[1].pk,
        "name": "Ada King", "job_title": ""})
    assert edit.status_code == 302
    champion.refresh_from_db()
    assert (champion.name, champion.principle_id) == ("Ada King", world.principles[1].pk)
    confirm = client.get(f"/champions/{champion.pk}/delete/")
    assert "Are you sure you want to remove Ada King" in confirm.content.decode()
    assert client.post(f"/champions/{champion.pk}/delete/").status_code == 302
    assert not Champion.objects.filter(pk=champion.pk).exists()


@pytest.mark.parametrize("who", ["lead_b", "reviewer"])
def test_others_get_no_form_and_no_link(world, who):
    champion = _champion(world)
    client = _client(getattr(world, who))
    assert client.get(f"/champions/{champion.pk}/edit/").status_code == 403
    assert client.post(f"/champions/{champion.pk}/delete/").status_code == 403
    page = client.get(f"/programmes/{world.programme.pk}/partners/{world.partner_a.pk}/")
    assert f"/champions/{champion.pk}/edit/" not in page.content.decode()
    assert Champion.objects.filter(pk=champion.pk).exists()


def test_a_non_member_gets_404(world):
    champion = _champion(world)
    client = _client(world.outsider)
    assert client.get(f"/champions/{champion.pk}/edit/").status_code == 404
    assert client.get(f"/programmes/{world.programme.pk}/champions/").status_code == 404


def test_a_duplicate_is_refused_on_the_form(world):
    _champion(world)
    answer = _client(world.manager).post(f"/programmes/{world.programme.pk}/champions/new/", {
        "partner": world.partner_a.pk, "principle": world.principles[0].pk,
        "name": "Ada Lovelace"})
    assert answer.status_code == 400
    assert "already a champion of this principle" in answer.content.decode()


def test_champions_show_on_the_principle_page_by_partner(world):
    _champion(world)
    _champion(world, name="Bea Smith", partner=world.partner_b)
    page = _client(world.reviewer).get(
        f"/programmes/{world.programme.pk}/principles/1/").content.decode()
    assert "Ada Lovelace" in page and "Bea Smith" in page and "Beta Trust" in page


def test_the_list_filters_and_downloads_as_csv(world):
    _champion(world)
    _champion(world, name="Bea Smith", partner=world.partner_b)
    client = _client(world.reviewer)
    url = f"/programmes/{world.programme.pk}/champions/"
    page = client.get(url, {"partner": world.partner_b.pk}).content.decode()
    assert "Bea Smith" in page and "Ada Lovelace" not in page
    answer = client.get(url, {"download": "csv"})
    text = (b"".join(answer.streaming_content) if answer.streaming else answer.content).decode()
    assert "Ada Lovelace" in text and "Bea Smith" in text


def test_the_list_page_reads_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for n in range(12):
        _champion(world, name=f"Person {n}")
    client = _client(world.manager)
    with django_assert_max_num_queries(20):
        assert client.get(f"/programmes/{world.programme.pk}/champions/").status_code == 200
