"""The shipped frameworks load from their data files, idempotently."""

import copy

import pytest
import yaml
from django.core.management import call_command

from programmes import services
from programmes.management.commands.load_framework import shipped_framework_files
from programmes.models import ChecklistItem, Framework, Principle, Response

from .. import factories as f

pytestmark = pytest.mark.django_db


def load(slug):
    path = next(p for p in shipped_framework_files() if p.stem == slug)
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def items_per_principle(slug):
    return [
        p.items.count()
        for p in Principle.objects.filter(framework__slug=slug).order_by("number")
    ]


def test_load_framework_loads_both_shipped_frameworks(capsys):
    call_command("load_framework")

    assert Framework.objects.count() == 2
    assert Principle.objects.count() == 9
    assert ChecklistItem.objects.count() == 56
    assert items_per_principle("skills-for-care-2021") == [5, 10, 8, 10, 8, 5]
    assert items_per_principle("aqua-system-leadership") == [7, 2, 1]
    sfc = Principle.objects.get(framework__slug="skills-for-care-2021", number=1)
    assert sfc.title.startswith("Successful workforce integration focuses on better outcomes")
    first = ChecklistItem.objects.get(principle=sfc, code="1.1")
    assert first.text.startswith("Does the strategic workforce commissioning strategy reflect")
    duplication = ChecklistItem.objects.get(principle__framework__slug="skills-for-care-2021",
                                            code="2.9")
    assert "duplication" in duplication.text
    aqua = Principle.objects.get(framework__slug="aqua-system-leadership", number=3)
    assert aqua.title == "Measurement"
    assert "skills-for-care-2021" in capsys.readouterr().out


def test_loading_again_changes_nothing():
    call_command("load_framework")
    before = list(ChecklistItem.objects.values_list("pk", "code", "text").order_by("pk"))

    call_command("load_framework")

    after = list(ChecklistItem.objects.values_list("pk", "code", "text").order_by("pk"))
    assert before == after


def test_a_newer_file_updates_wording_and_retires_dropped_items_keeping_answers():
    # given the framework loaded and one of its items answered
    data = load("skills-for-care-2021")
    services.framework_load(data=data)
    item = ChecklistItem.objects.get(principle__framework__slug="skills-for-care-2021", code="1.5")
    framework = item.principle.framework
    programme = f.ProgrammeFactory(framework=framework)
    response = f.ResponseFactory(
        assessment=f.AssessmentFactory(cycle=f.CycleFactory(programme=programme)),
        checklist_item=item,
    )

    # when a newer version drops that item and rewords another
    newer = copy.deepcopy(data)
    newer["version"] = "2022"
    del newer["principles"][0]["items"][4]
    newer["principles"][0]["items"][0]["text"] = "Reworded question?"
    result = services.framework_load(data=newer)

    # then the answered item is kept (inactive) with its answer, and the wording changed
    assert result.retired == 1 and result.updated == 1 and result.created == 0
    item.refresh_from_db()
    assert item.is_active is False
    assert Response.objects.filter(pk=response.pk).exists()
    assert ChecklistItem.objects.get(principle__framework=framework, code="1.1").text == (
        "Reworded question?"
    )
    assert Framework.objects.get(slug="skills-for-care-2021").version == "2022"


def test_the_api_lists_the_frameworks(api, world):
    call_command("load_framework")
    client = api.as_user(world.reviewer)
    frameworks = client.get("/api/v1/frameworks/").json()
    assert {fw["slug"] for fw in frameworks["results"]} >= {
        "skills-for-care-2021", "aqua-system-leadership"}
    sfc = Framework.objects.get(slug="skills-for-care-2021")
    items = client.get("/api/v1/checklist-items/", {"framework": sfc.pk, "page_size": 100}).json()
    assert items["count"] == 46
    assert client.post("/api/v1/frameworks/", {"slug": "x"}, format="json").status_code == 405
