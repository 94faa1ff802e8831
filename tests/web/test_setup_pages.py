"""Setting up a programme from the pages (DESIGN.md, "Setting up a programme and its
people"): a programme creator sets one up, its managers change it, add and remove its
partners and its cycles; every member sees its people, managers with their e-mails.

Each form is linked only for the roles that may use it; anyone else gets a 403 on GET
and on POST (the service's refusal) and nothing changes.
"""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from programmes.models import AssessmentCycle, Membership, Partner, Programme

from .. import factories as f
from .test_pages import assert_well_formed

pytestmark = pytest.mark.django_db

NOT_MANAGERS = ["lead_a", "provider_user", "reviewer"]


def count_rows():
    return (Programme.objects.count(), Partner.objects.count(),
            AssessmentCycle.objects.count(), Programme.partners.through.objects.count())


def programme_body(world, **change):
    return {"name": "Care at home workforce", "description": "Three boroughs together.",
            "framework": world.framework.pk, "start_date": "2027-01-04",
            "end_date": "2027-12-31", **change}


def cycle_body(**change):
    return {"name": "Six-month review", "period_start": "2027-01-04",
            "period_end": "2027-02-26", **change}


def partner_body(**change):
    return {"name": "Delta Housing", "sector": "housing", "contact_email": "hello@delta.org",
            **change}


def urls(world):
    pk = world.programme.pk
    return {
        "edit programme": reverse("web:programme-edit", args=[pk]),
        "create partner": reverse("web:partner-new", args=[pk]),
        "add partner": reverse("web:partner-add", args=[pk]),
        "remove partner": reverse("web:partner-remove", args=[pk, world.partner_b.pk]),
        "new cycle": reverse("web:cycle-new", args=[pk]),
        "edit cycle": reverse("web:cycle-edit", args=[pk, world.cycle.pk]),
    }


def bodies(world, spare):
    return {
        "edit programme": programme_body(world),
        "create partner": partner_body(),
        "add partner": {"partner": spare.pk},
        "remove partner": {},
        "new cycle": cycle_body(),
        "edit cycle": cycle_body(name="Renamed"),
    }


@pytest.fixture
def spare():
    """An organisation in the directory, in no programme yet."""
    return f.PartnerFactory(name="Epsilon Carers", sector="voluntary_community")


@pytest.fixture
def creator():
    """Someone an administrator added to the "Programme creators" group (the migration's)."""
    user = f.UserFactory(username="creator")
    user.groups.add(Group.objects.get(name="Programme creators"))
    return user


# Set up a programme -----------------------------------------------------------------------


def test_a_programme_creator_sets_up_a_programme_and_becomes_its_manager(world, creator,
                                                                         as_user):
    client = as_user(creator)
    # given the home page shows the creator the way in
    home = client.get(reverse("web:home")).content.decode()
    assert reverse("web:programme-new") in home
    page = client.get(reverse("web:programme-new"))
    assert page.status_code == 200
    assert_well_formed(page, "programme-new")

    # when they set up a programme
    response = client.post(reverse("web:programme-new"), programme_body(world))

    # then it is written, with them as its manager, and they land on its dashboard
    programme = Programme.objects.get(name="Care at home workforce")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:dashboard", args=[programme.pk])
    assert programme.framework == world.framework
    assert programme.end_date == datetime.date(2027, 12, 31)
    assert Membership.objects.get(programme=programme).user == creator
    assert Membership.objects.get(programme=programme).role == "manager"
    assert "is set up and you are its manager" in client.get(
        response["Location"]).content.decode()


@pytest.mark.parametrize("role", ["manager", *NOT_MANAGERS])
def test_someone_who_is_not_a_programme_creator_gets_no_link_and_a_403(world, as_user, role):
    client = as_user(getattr(world, role))
    before = count_rows()
    assert reverse("web:programme-new") not in client.get(reverse("web:home")).content.decode()
    assert client.get(reverse("web:programme-new")).status_code == 403
    response = client.post(reverse("web:programme-new"), programme_body(world))
    assert response.status_code == 403
    assert "Programme creators" in response.content.decode()
    assert count_rows() == before


def test_a_programme_ending_before_it_starts_gets_the_error_summary(world, creator, as_user):
    client = as_user(creator)
    response = client.post(reverse("web:programme-new"),
                           programme_body(world, name="", end_date="2026-01-01",
                                          start_date="not a date"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert "Enter the programme name" in html
    assert "Start date must be a real date" in html
    assert not Programme.objects.filter(memberships__user=creator).exists()

    response = client.post(reverse("web:programme-new"),
                           programme_body(world, end_date="2026-01-01"))
    assert response.status_code == 400
    assert "end date cannot be before its start date" in response.content.decode()
    assert not Programme.objects.filter(memberships__user=creator).exists()


# Change a programme -----------------------------------------------------------------------


def test_a_manager_changes_the_programmes_details(world, as_user):
    client = as_user(world.manager)
    dashboard = client.get(reverse("web:dashboard", args=[world.programme.pk])).content.decode()
    assert urls(world)["edit programme"] in dashboard
    page = client.get(urls(world)["edit programme"])
    assert page.status_code == 200
    assert world.programme.name in page.content.decode()
    assert_well_formed(page, "programme-edit")

    response = client.post(urls(world)["edit programme"],
                           programme_body(world, name="Renamed programme"))

    assert response.status_code == 302
    world.programme.refresh_from_db()
    assert world.programme.name == "Renamed programme"
    assert world.programme.start_date == datetime.date(2027, 1, 4)


def test_the_framework_cannot_change_once_the_programme_has_cycles(world, as_user):
    other = f.FrameworkFactory(slug="other-framework", title="Other framework")
    response = as_user(world.manager).post(urls(world)["edit programme"],
                                           programme_body(world, framework=other.pk))
    assert response.status_code == 400
    assert "framework cannot change once the programme has assessment cycles" in (
        response.content.decode())
    world.programme.refresh_from_db()
    assert world.programme.framework == world.framework
    assert world.programme.name != "Care at home workforce"


# Partners ---------------------------------------------------------------------------------


def test_a_manager_creates_a_partner_in_the_programme(world, as_user):
    client = as_user(world.manager)
    partners = client.get(reverse("web:partners", args=[world.programme.pk])).content.decode()
    assert urls(world)["create partner"] in partners
    assert urls(world)["add partner"] in partners
    assert urls(world)["remove partner"] in partners
    assert_well_formed(client.get(urls(world)["create partner"]), "partner-new")

    response = client.post(urls(world)["create partner"], partner_body())

    assert response.status_code == 302
    partner = Partner.objects.get(name="Delta Housing")
    assert (partner.sector, partner.contact_email) == ("housing", "hello@delta.org")
    assert world.programme.partners.filter(pk=partner.pk).exists()


def test_a_partner_with_a_name_already_in_the_directory_is_refused_in_plain_english(
        world, as_user):
    before = count_rows()
    response = as_user(world.manager).post(
        urls(world)["create partner"], partner_body(name="Alpha Council", sector=""))
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert "already in the directory" in html
    assert "Select the sector" in html
    assert "already exists" not in html  # never Django's own wording
    assert count_rows() == before


def test_a_manager_adds_an_existing_partner(world, spare, as_user):
    client = as_user(world.manager)
    page = client.get(urls(world)["add partner"])
    html = page.content.decode()
    assert_well_formed(page, "partner-add")
    assert "Epsilon Carers" in html
    assert ">Alpha Council<" not in html  # already in the programme

    response = client.post(urls(world)["add partner"], {"partner": spare.pk})

    assert response.status_code == 302
    assert world.programme.partners.filter(pk=spare.pk).exists()


def test_adding_a_partner_not_offered_gets_the_error_summary(world, as_user):
    hidden = f.PartnerFactory(name="Zeta Trust")
    other = f.ProgrammeFactory(framework=world.framework, partners=[hidden])
    before = count_rows()
    for choice in (hidden.pk, "", "junk"):
        response = as_user(world.manager).post(urls(world)["add partner"], {"partner": choice})
        assert response.status_code == 400, choice
        assert "There is a problem" in response.content.decode()
    assert count_rows() == before
    assert not world.programme.partners.filter(pk=hidden.pk).exists()
    assert other.partners.count() == 1


def test_a_manager_removes_a_partner_with_nothing_recorded(world, as_user):
    # given partner B's lead has left, so nothing is recorded for partner B
    Membership.objects.filter(user=world.lead_b).delete()
    client = as_user(world.manager)
    page = client.get(urls(world)["remove partner"])
    assert page.status_code == 200
    assert_well_formed(page, "partner-remove")

    response = client.post(urls(world)["remove partner"])

    assert response.status_code == 302
    assert not world.programme.partners.filter(pk=world.partner_b.pk).exists()
    assert Partner.objects.filter(pk=world.partner_b.pk).exists()  # still in the directory


def test_a_partner_with_an_assessment_in_the_programme_stays_and_the_page_says_why(
        world, as_user):
    f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    Membership.objects.filter(partner=world.partner_a).delete()
    url = reverse("web:partner-remove", args=[world.programme.pk, world.partner_a.pk])

    response = as_user(world.manager).post(url)

    html = response.content.decode()
    assert response.status_code == 409
    assert "There is a problem" in html
    assert "Alpha Council cannot leave the programme: it has 1 assessment in it" in html
    assert world.programme.partners.filter(pk=world.partner_a.pk).exists()


# Cycles -----------------------------------------------------------------------------------


def test_a_manager_adds_and_changes_a_cycle(world, as_user):
    client = as_user(world.manager)
    cycles = client.get(reverse("web:cycles", args=[world.programme.pk])).content.decode()
    assert urls(world)["new cycle"] in cycles
    assert urls(world)["edit cycle"] in cycles
    assert_well_formed(client.get(urls(world)["new cycle"]), "cycle-new")
    assert_well_formed(client.get(urls(world)["edit cycle"]), "cycle-edit")

    created = client.post(urls(world)["new cycle"], cycle_body())
    changed = client.post(urls(world)["edit cycle"],
                          cycle_body(name="Baseline, extended", period_end="2027-03-31"))

    assert (created.status_code, changed.status_code) == (302, 302)
    cycle = AssessmentCycle.objects.get(programme=world.programme, name="Six-month review")
    assert cycle.period_end == datetime.date(2027, 2, 26)
    world.cycle.refresh_from_db()
    assert (world.cycle.name, world.cycle.period_end) == ("Baseline, extended",
                                                          datetime.date(2027, 3, 31))


@pytest.mark.parametrize("body, message", [
    (cycle_body(period_end="2026-12-01"), "cannot end before it starts"),
    (cycle_body(name="Baseline"), "already has a cycle with this name"),
    (cycle_body(name="", period_start=""), "Enter the cycle name"),
    (cycle_body(period_start="31/02/2027"), "The day the cycle opens must be a real date"),
])
def test_a_bad_cycle_gets_the_error_summary_and_changes_nothing(world, as_user, body, message):
    before = count_rows()
    response = as_user(world.manager).post(urls(world)["new cycle"], body)
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert message in html
    assert count_rows() == before


# Who may use the forms --------------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_the_managers_forms_are_not_linked_for_other_roles(world, as_user, role):
    client = as_user(getattr(world, role))
    pk = world.programme.pk
    shown = "".join(client.get(reverse(name, args=[pk])).content.decode()
                    for name in ("web:dashboard", "web:partners", "web:cycles"))
    for name, url in urls(world).items():
        assert url not in shown, name


@pytest.mark.parametrize("role", NOT_MANAGERS)
@pytest.mark.parametrize("page", ["edit programme", "create partner", "add partner",
                                  "remove partner", "new cycle", "edit cycle"])
def test_other_roles_get_a_403_on_get_and_post_and_nothing_changes(world, spare, as_user, role,
                                                                   page):
    client = as_user(getattr(world, role))
    url = urls(world)[page]
    before = count_rows()
    names = (world.programme.name, world.cycle.name)

    assert client.get(url).status_code == 403
    assert client.post(url, bodies(world, spare)[page]).status_code == 403

    assert count_rows() == before
    world.programme.refresh_from_db()
    world.cycle.refresh_from_db()
    assert (world.programme.name, world.cycle.name) == names


def test_the_forms_of_a_programme_are_404_for_someone_outside_it(world, spare, as_user):
    client = as_user(world.outsider)
    before = count_rows()
    for name, url in urls(world).items():
        assert client.get(url).status_code == 404, name
        assert client.post(url, bodies(world, spare)[name]).status_code == 404, name
    assert count_rows() == before


# People -----------------------------------------------------------------------------------


def test_the_people_page_lists_each_member_with_e_mail_addresses_for_managers(world, as_user):
    client = as_user(world.manager)
    dashboard = client.get(reverse("web:dashboard", args=[world.programme.pk])).content.decode()
    assert reverse("web:people", args=[world.programme.pk]) in dashboard

    html = client.get(reverse("web:people", args=[world.programme.pk])).content.decode()

    for username in ("manager", "lead_a", "lead_b", "provider", "reviewer"):
        assert f"{username}@example.org" in html
    assert "Partner lead" in html and "Alpha Council" in html and "Gamma College" in html
    assert "outsider" not in html


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_other_members_see_names_roles_and_organisations_but_no_e_mail(world, as_user, role):
    client = as_user(getattr(world, role))
    assert reverse("web:people", args=[world.programme.pk]) in client.get(
        reverse("web:dashboard", args=[world.programme.pk])).content.decode()

    html = client.get(reverse("web:people", args=[world.programme.pk])).content.decode()

    assert "lead_b" in html and "Beta Trust" in html and "Reviewer" in html
    assert "@example.org" not in html
    assert "E-mail addresses are shown to the programme's managers only" in html


def test_the_people_page_costs_the_same_queries_however_many_members(world, as_user,
                                                                     django_assert_num_queries):
    client = as_user(world.manager)
    url = reverse("web:people", args=[world.programme.pk])
    client.get(url)  # warm the session
    # session, user, programme, the manager's memberships (which the header's "your
    # offers" link reads too), the people, and the header's unread count
    with django_assert_num_queries(6):
        client.get(url)
    for n in range(20):
        f.MembershipFactory(programme=world.programme, user=f.UserFactory(username=f"extra{n}"),
                            role="partner_lead", partner=world.partner_b)
    with django_assert_num_queries(6):
        response = client.get(url)
    assert response.content.decode().count("<tr class=\"nhsuk-table__row\">") == 26
