import pytest

from tests.factories import CategoryFactory, CustomerFactory, ProductFactory
from tests.recommendations.factories import history


@pytest.fixture
def store(db):  # type: ignore[no-untyped-def]
    """Two categories of 8 products and 24 customers with 6 weeks of orders."""
    cats = [CategoryFactory(name="Tea"), CategoryFactory(name="Garden")]
    groups = [
        [
            ProductFactory(category=cat, name=f"{cat.name} item {n}", is_consumable=True)
            for n in range(8)
        ]
        for cat in cats
    ]
    customers = CustomerFactory.create_batch(24, user=None)  # no password hashing
    history(customers=customers, groups=groups)
    return {"categories": cats, "groups": groups, "customers": customers}


@pytest.fixture
def trained(store):  # type: ignore[no-untyped-def]
    from recommendations import facade

    summary = facade.train(force=True)
    assert summary.get("activated"), summary
    return {**store, "summary": summary}
