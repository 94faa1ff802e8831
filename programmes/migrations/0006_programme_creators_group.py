"""The "Programme creators" group: its members may set up programmes (DESIGN.md,
"Setting up a programme and its people"). Staff add people to it in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Programme creators"


def create_group(apps, schema_editor):
    # Permissions are made after all migrations ran; make this app's now.
    config = apps.get_app_config("programmes")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="programmes", codename="add_programme"))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("programmes", "0005_constraint_messages"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
