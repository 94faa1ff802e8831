"""Cycle windows, late submissions, carried-forward answers and proposed gap closures.

A gap whose closure is proposed still counts as open, so the partial unique index of
open gaps is rebuilt to cover both statuses. The old index is dropped and the new one
made in the same migration, which runs in one transaction on PostgreSQL: no writer
can slip a second open gap in between. No row is ``closure_proposed`` before this
migration, so every existing open gap still satisfies the new index.
"""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('programmes', '0003_assessments_protected'),
    ]

    operations = [
        migrations.AddField(
            model_name='assessment',
            name='late',
            field=models.BooleanField(default=False, help_text="Submitted after the end of the cycle's period."),
        ),
        migrations.AddField(
            model_name='assessmentcycle',
            name='closed_at',
            field=models.DateTimeField(blank=True, help_text='When a manager closed the cycle to changes.', null=True),
        ),
        migrations.AddField(
            model_name='historicalassessment',
            name='late',
            field=models.BooleanField(default=False, help_text="Submitted after the end of the cycle's period."),
        ),
        migrations.AddField(
            model_name='historicalresponse',
            name='carried_forward',
            field=models.BooleanField(default=False, help_text="Copied from the partner's previous submitted assessment and not changed since."),
        ),
        migrations.AddField(
            model_name='response',
            name='carried_forward',
            field=models.BooleanField(default=False, help_text="Copied from the partner's previous submitted assessment and not changed since."),
        ),
        migrations.AlterField(
            model_name='gap',
            name='status',
            field=models.CharField(choices=[('open', 'Open'), ('closure_proposed', 'Closure proposed'), ('closed', 'Closed')], default='open', max_length=20),
        ),
        migrations.AlterField(
            model_name='historicalgap',
            name='status',
            field=models.CharField(choices=[('open', 'Open'), ('closure_proposed', 'Closure proposed'), ('closed', 'Closed')], default='open', max_length=20),
        ),
        migrations.RemoveConstraint(
            model_name='gap',
            name='programmes_gap_one_open_per_item',
        ),
        migrations.AddConstraint(
            model_name='gap',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['open', 'closure_proposed'])), fields=('programme', 'partner', 'checklist_item'), name='programmes_gap_one_open_per_item', violation_error_message='This partner already has an open gap for this item.'),
        ),
        migrations.RemoveConstraint(
            model_name='gap',
            name='programmes_gap_closed_has_reason',
        ),
        migrations.AddConstraint(
            model_name='gap',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('closed_at__isnull', True), ('closed_reason', ''), ('status__in', ['open', 'closure_proposed'])), models.Q(('closed_at__isnull', False), ('status', 'closed'), models.Q(('closed_reason', ''), _negated=True)), _connector='OR'), name='programmes_gap_closed_has_reason'),
        ),
    ]
