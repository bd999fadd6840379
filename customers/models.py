import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Customer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="customer",
        on_delete=models.SET_NULL,
    )
    # A random public id: ML features and events use it, never the e-mail.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    marketing_consent = models.BooleanField(default=False)
    consent_updated_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Customer #{self.pk}"


class Address(models.Model):
    customer = models.ForeignKey(Customer, related_name="addresses", on_delete=models.CASCADE)
    full_name = models.CharField(max_length=120)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return f"{self.city}, {self.country}"


class Event(models.Model):
    """Behavioural event log; the only ML-specific write on the shopper's hot path."""

    class Type(models.TextChoices):
        VIEW = "view"
        SEARCH = "search"
        ADD_TO_CART = "add_to_cart"
        REMOVE_FROM_CART = "remove_from_cart"
        CHECKOUT_START = "checkout_start"
        PURCHASE = "purchase"
        REC_IMPRESSION = "rec_impression"
        REC_CLICK = "rec_click"
        # A signed-in shopper saved a product. Read by no model loader: recommendations train
        # on purchases, insights and search read named types only.
        WISHLIST = "wishlist"

    type = models.CharField(max_length=20, choices=Type.choices)
    session_id = models.CharField(max_length=64, db_index=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, related_name="events", on_delete=models.SET_NULL
    )
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    order_id = models.BigIntegerField(null=True, blank=True)
    query = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict, blank=True)  # slot, source, variant, position
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["created_at"]),  # newest-first admin log, dashboard windows
            models.Index(fields=["type", "created_at"]),
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["product", "type"]),
        ]


class WishlistItem(models.Model):
    """A product a signed-in shopper saved for later ("Saved items")."""

    customer = models.ForeignKey(Customer, related_name="wishlist_items", on_delete=models.CASCADE)
    product = models.ForeignKey(
        "catalog.Product", related_name="wishlist_items", on_delete=models.CASCADE
    )
    added_at = models.DateTimeField(default=timezone.now)
    price_when_added = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="Selling price when saved (store currency)."
    )

    class Meta:
        ordering = ["-added_at", "-pk"]
        verbose_name = "saved item"
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "product"], name="wishlist_item_customer_product_unique"
            )
        ]
        indexes = [models.Index(fields=["product", "customer"])]

    def __str__(self) -> str:
        return f"saved product {self.product_id} (customer #{self.customer_id})"


class WishlistPriceAlert(models.Model):
    """A price-drop e-mail sent for a saved product: at most one per shopper and product in
    30 days, even if the item is removed and saved again in between."""

    customer = models.ForeignKey(
        Customer, related_name="wishlist_price_alerts", on_delete=models.CASCADE
    )
    product = models.ForeignKey("catalog.Product", related_name="+", on_delete=models.CASCADE)
    price = models.DecimalField(max_digits=12, decimal_places=2, help_text="The price mailed.")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = "price-drop e-mail"
        indexes = [models.Index(fields=["product", "customer", "sent_at"])]

    def __str__(self) -> str:
        return f"price alert for product {self.product_id} (customer #{self.customer_id})"
