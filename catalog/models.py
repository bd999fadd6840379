from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Category(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, related_name="children", on_delete=models.PROTECT
    )
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    # VAT class of its products that have none of their own; empty: standard
    tax_class = models.ForeignKey(
        "taxes.TaxClass", null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Supplier(models.Model):
    name = models.CharField(max_length=160, unique=True)
    lead_time_days = models.PositiveIntegerField(default=7)
    min_order_qty = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    sku = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, related_name="products", on_delete=models.PROTECT)
    brand = models.ForeignKey(
        Brand, null=True, blank=True, related_name="products", on_delete=models.SET_NULL
    )
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, related_name="products", on_delete=models.SET_NULL
    )
    attributes = models.JSONField(default=dict, blank=True)
    # list_price is the undiscounted price; price is what the shopper pays now.
    list_price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    cost = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    is_active = models.BooleanField(default=True)
    is_consumable = models.BooleanField(
        default=False, help_text="Bought again and again (re-buy candidates)."
    )
    tax_class = models.ForeignKey(
        "taxes.TaxClass",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
        help_text="VAT class; empty: the category's, else standard",
    )
    image_hue = models.PositiveSmallIntegerField(default=210)
    popularity = models.FloatField(default=0, help_text="Recent sales signal, refreshed in batch.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["category", "is_active"]),
            models.Index(fields=["is_active", "price"]),
            models.Index(fields=["-popularity"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="product_price_positive"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="product_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    @property
    def is_discounted(self) -> bool:
        return self.price < self.list_price


class Stock(models.Model):
    product = models.OneToOneField(Product, related_name="stock", on_delete=models.CASCADE)
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    reorder_point = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # The database itself refuses an oversell, whatever the application does.
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="stock_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_le_on_hand"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.on_hand} on hand"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(models.Model):
    class Reason(models.TextChoices):
        SALE = "sale"
        RESTOCK = "restock"
        RETURN = "return"
        ADJUSTMENT = "adjustment"
        CANCELLATION = "cancellation"

    product = models.ForeignKey(Product, related_name="movements", on_delete=models.CASCADE)
    quantity = models.IntegerField(help_text="Signed change of on-hand units.")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["product", "created_at"])]


class PriceHistory(models.Model):
    """Every price a product has had; the EU Omnibus 'was' price is computed from it."""

    product = models.ForeignKey(Product, related_name="price_history", on_delete=models.CASCADE)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=40, default="manual")  # manual, pricing, import, demo
    reason = models.CharField(max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who set or approved the price; empty for automatic changes.",
    )

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name_plural = "price history"
        indexes = [models.Index(fields=["product", "changed_at"])]


class Review(models.Model):
    product = models.ForeignKey(Product, related_name="reviews", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        related_name="reviews",
        on_delete=models.SET_NULL,
    )
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["product", "is_published", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5"
            )
        ]


class PurchaseOrder(models.Model):
    """Units ordered from one supplier; receiving them adds to stock (StockMovement restock)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        SENT = "sent", "sent"
        PARTIALLY_RECEIVED = "partially_received", "partially received"
        RECEIVED = "received", "received"
        CANCELLED = "cancelled", "cancelled"

    # what is still coming in: a draft counts too, so a merchant who has started an order
    # is not told to order the same units again
    OPEN_STATUSES = (Status.DRAFT, Status.SENT, Status.PARTIALLY_RECEIVED)

    supplier = models.ForeignKey(Supplier, related_name="purchase_orders", on_delete=models.PROTECT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    expected_date = models.DateField(help_text="today (or the day sent) + supplier lead time")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who created it; empty when created by a job.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "supplier"])]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"PO-{self.pk:05d}" if self.pk else "PO (unsaved)"


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, related_name="lines", on_delete=models.CASCADE
    )
    product = models.ForeignKey(
        Product, related_name="purchase_order_lines", on_delete=models.PROTECT
    )
    quantity_ordered = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    quantity_received = models.PositiveIntegerField(default=0)
    unit_cost = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["purchase_order_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["purchase_order", "product"], name="po_line_product_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity_ordered__gte=1), name="po_line_ordered_positive"
            ),
            # the database refuses an over-receipt too, whatever the application does
            models.CheckConstraint(
                condition=Q(quantity_received__lte=F("quantity_ordered")),
                name="po_line_received_le_ordered",
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0), name="po_line_unit_cost_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} x {self.quantity_ordered}"

    @property
    def outstanding(self) -> int:
        return self.quantity_ordered - self.quantity_received


def _stock_alert_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class StockAlert(models.Model):
    """A shopper waiting for a sold-out product ("e-mail me when it's back").

    A signed-in shopper is reached at their account's e-mail (read at send time, so a
    changed address is used); a visitor leaves ``email``. ``token`` is the secret of the
    unsubscribe link; it is never shown in the admin or the API."""

    class Status(models.TextChoices):
        WAITING = "waiting", "waiting"
        SENT = "sent", "sent"
        CANCELLED = "cancelled", "cancelled"

    product = models.ForeignKey(Product, related_name="stock_alerts", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        related_name="stock_alerts",
        on_delete=models.SET_NULL,
    )
    email = models.EmailField(blank=True, help_text="A visitor's address, lower-cased.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    token = models.CharField(max_length=64, unique=True, default=_stock_alert_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["product", "status", "created_at"])]
        constraints = [
            # one waiting alert per product and person; a sent or cancelled one may repeat
            models.UniqueConstraint(
                fields=["product", "customer"],
                condition=Q(status="waiting", customer__isnull=False),
                name="stock_alert_waiting_customer_unique",
            ),
            models.UniqueConstraint(
                fields=["product", "email"],
                condition=Q(status="waiting") & ~Q(email=""),
                name="stock_alert_waiting_email_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"stock alert {self.pk} for product {self.product_id} ({self.status})"
