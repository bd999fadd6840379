from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from taxes.models import TaxClass, TaxRate


class TaxRateInline(admin.TabularInline):
    model = TaxRate
    extra = 0
    fields = ["country", "rate"]


@admin.register(TaxClass)
class TaxClassAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "position"]
    list_editable = ["position"]
    inlines = [TaxRateInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # checkout finds the standard class by its code: renaming the code would untax delivery
        return ["code"] if obj is not None else []


class TaxRateForm(forms.ModelForm):
    class Meta:
        model = TaxRate
        fields = ["country", "tax_class", "rate"]

    def clean_country(self) -> str:
        country = str(self.cleaned_data["country"]).strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise forms.ValidationError("Two letters, as ISO 3166-1 alpha-2 (e.g. GB).")
        return country


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    form = TaxRateForm
    list_display = ["country", "tax_class", "rate"]
    list_filter = ["tax_class", "country"]
    list_editable = ["rate"]
    list_select_related = ["tax_class"]
    search_fields = ["country"]
