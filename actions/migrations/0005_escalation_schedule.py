"""Beat escalates overdue actions every morning, after the reminders of 07:00."""

from django.db import migrations

from notifications.schedule import add_entries, remove_entries

ENTRIES = [
    ("Escalate overdue actions", "actions.tasks.escalate_overdue_actions", ("15", "7", "*"), None),
]


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0004_constraint_messages"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: add_entries(apps, ENTRIES),
            lambda apps, schema_editor: remove_entries(apps, ENTRIES),
        )
    ]
