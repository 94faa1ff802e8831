"""A programme's actions in the list's order: (programme, due date, id)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("actions", "0005_escalation_schedule"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="action",
            index=models.Index(fields=["programme", "due_date", "id"],
                               name="action_programme_due"),
        ),
    ]
