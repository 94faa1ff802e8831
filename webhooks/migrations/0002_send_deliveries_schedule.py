"""Beat sends due webhook deliveries (retries among them) every minute."""

from django.db import migrations

from notifications.schedule import add_entries, remove_entries

ENTRIES = [("Send due webhook deliveries", "webhooks.tasks.send_due_deliveries", None, 1)]


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: add_entries(apps, ENTRIES),
            lambda apps, schema_editor: remove_entries(apps, ENTRIES),
        )
    ]
