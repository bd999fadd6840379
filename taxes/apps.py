from django.apps import AppConfig


class TaxesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "taxes"
    verbose_name = "Taxes (VAT)"
