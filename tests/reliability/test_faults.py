"""Faults: the store keeps selling when Redis is down or a model artifact is broken."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories import ADDRESS, GOOD_CARD, ProductFactory

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "storefront.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def test_store_sells_with_redis_down() -> None:
    product = ProductFactory(with_stock=5)
    with override_settings(CACHES=DEAD_REDIS):
        assert cache.get("anything", "miss") == "miss"
        client = APIClient()
        assert client.get("/").status_code == 200
        assert client.get("/api/v1/products/").status_code == 200
        assert client.get(f"/api/v1/products/{product.pk}/").status_code == 200
        response = client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")
        assert response.status_code == 201
        response = client.post(
            "/api/v1/checkout/",
            {"email": "a@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k1",
        )
        assert response.status_code == 201, response.content


def test_registry_lookup_survives_redis_down() -> None:
    from mlops import facade as mlops

    with override_settings(CACHES=DEAD_REDIS):
        info = mlops.model_version_register_and_activate(
            capability="fraud", artifact={"w": 1}, metrics={"ap": 0.5}, primary_metric="ap"
        )
        assert info.activated
        loaded = mlops.model_active_get(capability="fraud")
        assert loaded is not None and loaded.artifact == {"w": 1}
