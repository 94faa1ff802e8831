# Deleting a parent no longer takes these rows with it; the services decide what goes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('learning', '0001_initial'),
        ('programmes', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='learningneed',
            name='gap',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='learning_needs', to='programmes.gap'),
        ),
        migrations.AlterField(
            model_name='placement',
            name='learning_need',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='placements', to='learning.learningneed'),
        ),
    ]
