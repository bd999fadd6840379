from django.urls import path

from forecasting import api

urlpatterns = [
    path(
        "reorder-suggestions/",
        api.ReorderSuggestionListApi.as_view(),
        name="forecasting-reorder-suggestions",
    ),
    path(
        "reorder-suggestions/export/",
        api.ReorderSuggestionExportApi.as_view(),
        name="forecasting-reorder-export",
    ),
    path("accuracy/", api.ForecastAccuracyListApi.as_view(), name="forecasting-accuracy"),
    path(
        "<int:product_id>/",
        api.ProductForecastApi.as_view(),
        name="forecasting-product",
    ),
]
