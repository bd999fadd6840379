"""Orders test data: orders placed through checkout (the real service), in a chosen state."""

from decimal import Decimal

from fraud import services as fraud
from orders import services
from orders.models import Order
from tests.factories import ADDRESS, GOOD_CARD, CartFactory, CartLineFactory, ProductFactory


def order_placed(
    *,
    key: str = "k1",
    price: str = "30.00",
    quantity: int = 2,
    email: str = "ada@example.com",
    customer_id: int | None = None,
    held: bool = False,
) -> Order:
    """A checkout of one product: paid, or with ``held`` put on hold for review by a rule."""
    if held:
        fraud.risk_rule_create(name=f"hold {key}", expression="amount > 0", action="review")
        fraud.rules_cache_clear()  # its on_commit clear never runs inside a test transaction
    cart = CartFactory(customer_id=customer_id)
    product = ProductFactory(name="Teapot", sku=f"TEA-{key}", price=Decimal(price), with_stock=20)
    CartLineFactory(cart=cart, product=product, quantity=quantity)
    return services.order_place(
        cart_id=cart.pk,
        idempotency_key=key,
        email=email,
        shipping_address=ADDRESS,
        card=services.CardInput(GOOD_CARD),
    )
