from django.db import migrations


def install_and_count(apps, schema_editor):
    # The triggers as programmes/tally.py writes them today; a later change to them
    # comes with a migration of its own that installs them again.
    from programmes import tally

    tally.install(schema_editor.connection)
    tally.rebuild(connection=schema_editor.connection)


def uninstall(apps, schema_editor):
    from programmes import tally

    tally.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    """The triggers that keep the progress tally, and the tally counted once from the
    rows already there (the table and its unique keys exist by now: PostgreSQL adds the
    keys at the end of the migration that creates the table)."""

    dependencies = [
        ('programmes', '0010_progress_tally'),
        ('actions', '0005_escalation_schedule'),
        ('learning', '0008_need_met_at'),
    ]

    operations = [
        migrations.RunPython(install_and_count, uninstall),
    ]
