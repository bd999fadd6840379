from django.urls import path

from pricing import api

urlpatterns = [
    path("proposals/", api.PriceProposalListApi.as_view(), name="pricing-proposals"),
    path(
        "proposals/decide/", api.PriceProposalDecideApi.as_view(), name="pricing-proposals-decide"
    ),
    path(
        "products/<int:product_id>/proposal/",
        api.ProductPriceProposalApi.as_view(),
        name="pricing-product-proposal",
    ),
    path(
        "products/<int:product_id>/reference-price/",
        api.ReferencePriceApi.as_view(),
        name="pricing-reference-price",
    ),
    path(
        "competitor-prices/",
        api.CompetitorPriceImportApi.as_view(),
        name="pricing-competitor-prices",
    ),
    path("elasticities/", api.ElasticityListApi.as_view(), name="pricing-elasticities"),
]
