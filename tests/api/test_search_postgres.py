import pytest

from catalog import search
from tests.factories import CategoryFactory, ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_postgres_full_text_and_trigram_search_tolerates_typos() -> None:
    jackets = CategoryFactory(name="Jackets")
    rain = ProductFactory(name="Waxed Rain Jacket", category=jackets, popularity=1)
    ProductFactory(name="Stoneware Mug", description="for tea")
    result = search.product_search(query="jackte")
    assert result.backend == "postgres"
    assert result.product_ids == [rain.pk] and result.corrected == "jacket"
    # Plural and stem forms meet through the english text-search configuration.
    assert search.product_search(query="waxed jackets").product_ids[0] == rain.pk
    assert search.product_search(query="teas").product_ids != []
