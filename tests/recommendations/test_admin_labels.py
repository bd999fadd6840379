"""The recommendations report names each source in the merchant's words, the raw key kept
in the tooltip for whoever reads the logs."""

import pytest

from recommendations.facade import SOURCE_LABELS
from recommendations.models import RecommendationList
from tests.factories import CategoryFactory, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_report_and_list_show_source_labels_with_the_key_as_tooltip(
    api_client, admin_client
) -> None:  # type: ignore[no-untyped-def]
    products = [ProductFactory(category=CategoryFactory()) for _ in range(2)]
    RecommendationList.objects.create(
        customer=CustomerFactory(),
        model_version="recommendations-v1",
        items=[
            {"product_id": products[0].pk, "score": 1.0, "source": "user_knn"},
            {"product_id": products[1].pk, "score": 0.5, "source": "user_knn"},
        ],
    )
    click = {"product_id": products[0].pk, "slot": "for_you", "source": "rebuy_cycle"}
    assert api_client.post("/api/v1/recommendations/click", click, format="json").status_code == 204

    html = admin_client.get("/admin/recommendations/recommendationlist/").content.decode()

    assert '<span title="rebuy_cycle">Bought again (purchase cycle)</span>' in html  # CTR table
    assert '<span title="user_knn">Bought by similar customers</span> 2' in html  # coverage
    assert ">rebuy_cycle<" not in html and ">user_knn 2<" not in html
    assert html.count('<span title="user_knn">') >= 2  # the list's "sources (top 10)" column too
    assert '<td><span title="for_you">For you</span></td>' in html  # the slot, named
    assert "<td>£0.00</td>" in html  # attributed revenue reads as money, not 0.0


def test_every_source_the_recommender_names_has_a_label() -> None:
    from recommendations.ml.blend import SOURCE_NAMES

    assert set(SOURCE_NAMES) <= set(SOURCE_LABELS)
