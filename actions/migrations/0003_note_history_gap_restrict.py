"""Progress notes get a history, so deleting their action keeps them; a gap with actions
cannot be deleted on its own. Notes written before this get their "created" history row."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


def record_existing_notes(apps, schema_editor):
    Note = apps.get_model("actions", "ActionNote")
    Historical = apps.get_model("actions", "HistoricalActionNote")
    batch = []
    for note in Note.objects.order_by("pk").iterator(chunk_size=2000):
        batch.append(Historical(
            id=note.pk, action_id=note.action_id, author_id=note.author_id, text=note.text,
            created_at=note.created_at, history_date=note.created_at, history_type="+",
            history_user_id=note.author_id,
        ))
        if len(batch) >= 2000:
            Historical.objects.bulk_create(batch)
            batch = []
    Historical.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('actions', '0002_calendarfeed'),
        ('programmes', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='action',
            name='gap',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='actions', to='programmes.gap'),
        ),
        migrations.CreateModel(
            name='HistoricalActionNote',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('text', models.TextField()),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('action', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='actions.action')),
                ('author', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical action note',
                'verbose_name_plural': 'historical action notes',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(record_existing_notes, migrations.RunPython.noop),
    ]
