"""Shared factory_boy factories for the commerce domain (apps add their own beside them)."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from catalog.models import Brand, Category, Product, Stock, Supplier
from customers.models import Customer
from orders.models import Cart, CartLine


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Supplier {n}")
    lead_time_days = 7


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    category = factory.SubFactory(CategoryFactory)
    list_price = Decimal("20.00")
    price = Decimal("20.00")
    cost = Decimal("12.00")

    @factory.post_generation
    def with_stock(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        if create:
            Stock.objects.update_or_create(
                product=obj, defaults={"on_hand": extracted if extracted is not None else 10}
            )


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart

    session_id = factory.Sequence(lambda n: f"session-{n}")


class CartLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1


ADDRESS = {
    "full_name": "Ada Shopper",
    "line1": "1 High Street",
    "city": "London",
    "postal_code": "N1 1AA",
    "country": "GB",
}
GOOD_CARD = "4242424242424242"
