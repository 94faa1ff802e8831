from django.db import migrations

TABLES = ("programmes_progresstally", "programmes_openactiontally")


def leave_room(apps, schema_editor):
    # PostgreSQL only: SQLite has no such setting.
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    """Room on each page of the tally for the new versions of its rows: every write to a
    counted row updates a tally row, and with room on its page the new version stays
    there (a heap-only update, no index entry), so a programme's rows stay together."""

    dependencies = [
        ("programmes", "0011_progress_tally_triggers"),
    ]

    operations = [
        migrations.RunPython(leave_room, fill_pages),
    ]
