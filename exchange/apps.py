from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """Spreadsheets in and out: CSV and XLSX files for any list of the API.

    A toolkit at the bottom of the project, like ``notifications``: it knows nothing
    of gaps or actions. Each domain app declares its columns and how a row becomes a
    call to its own services (``<app>/sheets.py``).
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "exchange"
