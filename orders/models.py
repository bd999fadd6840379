import uuid
from datetime import date

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone


class Voucher(models.Model):
    """A discount code off the goods (never shipping), validated by ``orders.services``."""

    class Kind(models.TextChoices):
        PERCENTAGE = "percentage"
        FIXED = "fixed", "Fixed amount"

    code = models.CharField(max_length=32, help_text="What shoppers type; case does not matter")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PERCENTAGE)
    value = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Percent off the subtotal (1-100), or an amount in the store currency",
    )
    min_subtotal = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Goods subtotal (before the discount) the cart must reach",
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Not valid from this time on")
    usage_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Orders it may discount in all; empty for no limit"
    )
    once_per_customer = models.BooleanField(
        default=False, help_text="One order per customer account or e-mail address"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # "SAVE10" and "save10" are one code: shoppers type either
            models.UniqueConstraint(
                Lower("code"),
                name="voucher_unique_code_ci",
                violation_error_message="A voucher with this code exists (codes ignore case).",
            ),
            models.CheckConstraint(
                condition=Q(value__gt=0),
                name="voucher_value_positive",
                violation_error_message="The value must be more than 0.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="percentage") | Q(value__lte=100),
                name="voucher_percentage_at_most_100",
                violation_error_message="A percentage is at most 100.",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="voucher_ends_after_start",
                violation_error_message="The end must be after the start.",
            ),
        ]

    def __str__(self) -> str:
        return self.code


def delivery_window_text(earliest: date | None, latest: date | None) -> str:
    """'Tue 8 – Wed 9 Dec' (working days, in the store's time zone); '' when unknown."""
    if earliest is None or latest is None:
        return ""
    last = f"{latest:%a} {latest.day} {latest:%b}"
    if earliest == latest:
        return last
    first = f"{earliest:%a} {earliest.day}"
    if (earliest.year, earliest.month) != (latest.year, latest.month):
        first += f" {earliest:%b}"
    return f"{first} – {last}"


class ShippingMethod(models.Model):
    """A way to deliver an order (as Saleor's shipping methods): its price in the store
    currency, free from a goods amount after the discount, and the working days it takes."""

    name = models.CharField(max_length=80, help_text="What shoppers see, e.g. Express delivery")
    price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text="Charged per order, in the store currency",
    )
    free_from = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Free when the goods after the discount reach this; empty for never free",
    )
    min_days = models.PositiveSmallIntegerField(default=2, help_text="Working days, at least")
    max_days = models.PositiveSmallIntegerField(default=4, help_text="Working days, at most")
    countries = models.JSONField(
        default=list,
        blank=True,
        help_text='ISO 3166-1 alpha-2 codes it delivers to, e.g. ["GB", "IE"]; empty for everywhere',
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_days__gte=F("min_days")),
                name="shippingmethod_max_days_at_least_min",
                violation_error_message="The most days must be at least the fewest.",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="shippingmethod_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Cart(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        MERGED = "merged"
        ORDERED = "ordered"
        ABANDONED = "abandoned"

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, related_name="carts", on_delete=models.CASCADE
    )
    session_id = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    # the code the shopper applied; checkout validates it again (it may have run out since)
    voucher = models.ForeignKey(
        Voucher, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    # the shopper's choice; checkout checks it again against the address's country
    shipping_method = models.ForeignKey(
        ShippingMethod, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"Cart {self.token}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, related_name="lines", on_delete=models.CASCADE)
    product = models.ForeignKey("catalog.Product", related_name="+", on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cartline_unique_product"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cartline_quantity_positive"),
        ]


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        PAID = "paid"
        ON_HOLD = "on_hold", "On hold (fraud review)"
        CANCELLED = "cancelled"
        FULFILLED = "fulfilled"
        REFUNDED = "refunded"

    number = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        related_name="orders",
        on_delete=models.SET_NULL,
    )
    cart = models.ForeignKey(
        Cart, null=True, blank=True, related_name="orders", on_delete=models.SET_NULL
    )
    idempotency_key = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    email = models.EmailField()
    currency = models.CharField(max_length=3, default="GBP")
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    # off the goods only: total = subtotal - discount + shipping, what the card is charged
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    voucher_code = models.CharField(max_length=32, blank=True)  # as it was at checkout
    shipping = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # snapshots of the method as it was at checkout ('' and null on orders placed before
    # shipping methods existed); the FK only links to the admin's row while it exists
    shipping_method = models.ForeignKey(
        ShippingMethod, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    shipping_method_name = models.CharField(max_length=80, blank=True)
    delivery_earliest = models.DateField(null=True, blank=True)
    delivery_latest = models.DateField(null=True, blank=True)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    # VAT contained in the tax-inclusive total, by the delivery country's rates at checkout
    # (null on orders placed before taxes were recorded): total_net + total_tax == total
    tax_country = models.CharField(max_length=2, blank=True)
    total_net = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    total_tax = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    shipping_tax_rate = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Percent"
    )
    shipping_net = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    shipping_tax = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    shipping_address = models.JSONField(default=dict)
    billing_address = models.JSONField(default=dict)
    placed_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            # A retried checkout with the same key finds this order instead of making another.
            models.UniqueConstraint(
                fields=["cart", "idempotency_key"], name="order_unique_cart_idempotency_key"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(discount__lte=F("subtotal")),
                name="order_discount_within_subtotal",
            ),
        ]
        indexes = [models.Index(fields=["customer", "placed_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def delivery_window(self) -> str:
        return delivery_window_text(self.delivery_earliest, self.delivery_latest)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, related_name="lines", on_delete=models.CASCADE)
    product = models.ForeignKey(
        "catalog.Product", null=True, related_name="+", on_delete=models.SET_NULL
    )
    # Snapshots: the order keeps what was sold even if the product changes later.
    sku = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    # the line's share of the order's discount, and the VAT in what was paid for it
    # (line_total - discount == net + tax); null on orders from before taxes were recorded
    discount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    tax_rate = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Percent"
    )
    net = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    tax = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["product", "order"])]

    def __str__(self) -> str:  # the order page's inline rows ("OrderLine object (6603)")
        return f"{self.quantity} × {self.name}"


class Payment(models.Model):
    """Simulated gateway result, carrying what fraud scoring needs (no raw card number)."""

    class Status(models.TextChoices):
        AUTHORIZED = "authorized"
        CAPTURED = "captured"
        DECLINED = "declined"
        REFUNDED = "refunded"
        VOIDED = "voided"

    order = models.ForeignKey(Order, related_name="payments", on_delete=models.CASCADE)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=12, choices=Status.choices)
    card_fingerprint = models.CharField(max_length=64, db_index=True)
    card_last4 = models.CharField(max_length=4)
    card_brand = models.CharField(max_length=20)
    bin_country = models.CharField(max_length=2)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    ip_country = models.CharField(max_length=2, blank=True)
    device_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.amount}"


class Refund(models.Model):
    order = models.ForeignKey(Order, related_name="refunds", on_delete=models.CASCADE)
    payment = models.ForeignKey(
        Payment, null=True, related_name="refunds", on_delete=models.SET_NULL
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=200, blank=True)
    # the API client's Idempotency-Key ('' from the admin and cancellations)
    idempotency_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # a retried refund request finds this refund instead of paying out twice
            models.UniqueConstraint(
                fields=["order", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="refund_unique_order_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"refund {self.amount}"


class Chargeback(models.Model):
    """A disputed payment reported by the card network, usually days or weeks later."""

    order = models.ForeignKey(Order, related_name="chargebacks", on_delete=models.CASCADE)
    payment = models.ForeignKey(
        Payment, null=True, related_name="chargebacks", on_delete=models.SET_NULL
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason_code = models.CharField(max_length=20, default="fraud")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)


class Fulfilment(models.Model):
    """A parcel handed to the carrier: the whole order ships at once (no partial shipments)."""

    order = models.ForeignKey(Order, related_name="fulfilments", on_delete=models.CASCADE)
    carrier = models.CharField(max_length=50, blank=True)
    tracking_number = models.CharField(max_length=64, blank=True)
    shipped_at = models.DateTimeField(default=timezone.now)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["shipped_at", "pk"]

    def __str__(self) -> str:
        return " ".join(p for p in (self.carrier, self.tracking_number) if p) or "shipped"


class OrderStatusHistory(models.Model):
    order = models.ForeignKey(Order, related_name="history", on_delete=models.CASCADE)
    status = models.CharField(max_length=12, choices=Order.Status.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "order status history"

    def __str__(self) -> str:
        return self.get_status_display()


class VoucherRedemption(models.Model):
    """One order a voucher discounted; the usage limit counts these rows."""

    voucher = models.ForeignKey(Voucher, related_name="redemptions", on_delete=models.PROTECT)
    order = models.OneToOneField(Order, related_name="voucher_redemption", on_delete=models.CASCADE)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    redeemed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-redeemed_at", "-pk"]


class InvoiceCounter(models.Model):
    """The last number of one series in one year. Issuing locks this row
    (``select_for_update``) in the invoice's own transaction, so numbers are gap-free and
    unique even when payments are captured at the same moment."""

    series = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="invoicecounter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last_number}"


class Invoice(models.Model):
    """A VAT invoice for a paid order, or a credit note (negative amounts) for a refund of
    it. Written once by ``orders.services`` and never changed: seller and buyer are copies
    as they were at issue."""

    class Kind(models.TextChoices):
        INVOICE = "invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    number = models.CharField(max_length=24, unique=True)  # INV-2026-000123, CN-2026-000004
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    # CASCADE, not PROTECT: the demo's reset deletes its orders; a real store never does
    order = models.ForeignKey(Order, related_name="invoices", on_delete=models.CASCADE)
    credits = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        related_name="credit_notes",
        on_delete=models.CASCADE,
        help_text="The invoice a credit note corrects",
    )
    refund = models.OneToOneField(
        Refund, null=True, blank=True, related_name="credit_note", on_delete=models.SET_NULL
    )
    issued_at = models.DateTimeField(default=timezone.now)
    currency = models.CharField(max_length=3)
    seller = models.JSONField(default=dict)  # name, address, vat_number
    buyer = models.JSONField(default=dict)  # the billing address and e-mail
    tax_country = models.CharField(max_length=2, blank=True)
    total_net = models.DecimalField(max_digits=12, decimal_places=2)
    total_tax = models.DecimalField(max_digits=12, decimal_places=2)
    total_gross = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["issued_at", "pk"]
        constraints = [
            # an order has one invoice; credit notes are as many as its refunds. (net + tax
            # == gross is kept by orders.services, not a CHECK: SQLite adds decimals as floats)
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="invoice"), name="invoice_one_per_order"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, related_name="lines", on_delete=models.CASCADE)
    description = models.CharField(max_length=200)
    sku = models.CharField(max_length=40, blank=True)
    quantity = models.IntegerField(default=1)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)  # gross, before discount
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, help_text="Percent")
    net = models.DecimalField(max_digits=12, decimal_places=2)
    tax = models.DecimalField(max_digits=12, decimal_places=2)
    gross = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"
