# Deleting a parent no longer takes these rows with it; the services decide what goes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('programmes', '0002_progresssnapshot'),
    ]

    operations = [
        migrations.AlterField(
            model_name='assessment',
            name='cycle',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assessments', to='programmes.assessmentcycle'),
        ),
        migrations.AlterField(
            model_name='response',
            name='assessment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='responses', to='programmes.assessment'),
        ),
    ]
