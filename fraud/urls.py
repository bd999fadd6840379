from django.urls import path

from fraud import api

urlpatterns = [
    path("orders/<int:order_id>/", api.OrderRiskDetailApi.as_view(), name="fraud-order-risk"),
    path("reviews/", api.ReviewQueueListApi.as_view(), name="fraud-review-queue"),
    path(
        "reviews/<int:order_id>/decision/",
        api.ReviewDecideApi.as_view(),
        name="fraud-review-decide",
    ),
    path("rules/validate/", api.RuleValidateApi.as_view(), name="fraud-rule-validate"),
    path("rules/fields/", api.RuleFieldListApi.as_view(), name="fraud-rule-fields"),
    path("lists/", api.RiskListListApi.as_view(), name="fraud-lists"),
    path("lists/<slug:alias>/items/", api.RiskListItemsApi.as_view(), name="fraud-list-items"),
    path(
        "lists/<slug:alias>/items/<int:item_id>/",
        api.RiskListItemRemoveApi.as_view(),
        name="fraud-list-item-remove",
    ),
    path("monitoring/", api.MonitoringSummaryApi.as_view(), name="fraud-monitoring"),
]
