from django.urls import path

from insights import api

urlpatterns = [
    path("segments/", api.SegmentListApi.as_view(), name="insights-segments"),
    path("customers/", api.CustomerScoreListApi.as_view(), name="insights-customers"),
    path("abandoned-carts/", api.AbandonedCartListApi.as_view(), name="insights-abandoned-carts"),
    path(
        "exports/customers.csv", api.MarketingExportApi.as_view(), name="insights-export-customers"
    ),
    path(
        "exports/abandoned-carts.csv",
        api.AbandonedCartExportApi.as_view(),
        name="insights-export-carts",
    ),
]
