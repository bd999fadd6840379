from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class TaxClass(models.Model):
    """What kind of goods a product is for VAT (standard, reduced, zero), as Saleor's tax
    classes. ``code`` is how the code finds a class (``standard`` is the default and
    delivery's); ``name`` is the merchant's label."""

    STANDARD = "standard"

    code = models.SlugField(max_length=40, unique=True, help_text="e.g. standard, reduced, zero")
    name = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = "tax classes"

    def __str__(self) -> str:
        return self.name


class TaxRate(models.Model):
    """The VAT rate of one tax class in one delivery country. A country (or class) without
    a row is taxed at 0 % (the store does not charge that country's tax)."""

    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. GB")
    tax_class = models.ForeignKey(TaxClass, related_name="rates", on_delete=models.CASCADE)
    rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Percent, e.g. 20.00 or 5.50",
    )

    class Meta:
        ordering = ["country", "tax_class__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["country", "tax_class"], name="taxrate_unique"),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=100), name="taxrate_rate_0_to_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.tax_class}: {self.rate} %"
