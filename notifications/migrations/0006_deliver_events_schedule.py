"""Beat delivers waiting events every minute, besides the task each transaction asks for."""

from django.db import migrations

from notifications.schedule import add_entries, remove_entries

ENTRIES = [("Deliver waiting events", "notifications.tasks.deliver_events", None, 1)]


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_events"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: add_entries(apps, ENTRIES),
            lambda apps, schema_editor: remove_entries(apps, ENTRIES),
        )
    ]
