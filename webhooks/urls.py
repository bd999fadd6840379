from django.urls import path

from webhooks import api

# staff (IsAdminUser), beside staff/orders/ and staff/purchase-orders/
urlpatterns = [
    path("staff/webhooks/", api.WebhookListApi.as_view(), name="staff-webhook-list"),
    path(
        "staff/webhooks/<int:webhook_id>/",
        api.WebhookDetailApi.as_view(),
        name="staff-webhook-detail",
    ),
    path(
        "staff/webhooks/<int:webhook_id>/deliveries/",
        api.WebhookDeliveryListApi.as_view(),
        name="staff-webhook-deliveries",
    ),
    path(
        "staff/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/retry/",
        api.WebhookDeliveryRetryApi.as_view(),
        name="staff-webhook-delivery-retry",
    ),
    path(
        "staff/webhooks/<int:webhook_id>/rotate-secret/",
        api.WebhookSecretRotateApi.as_view(),
        name="staff-webhook-rotate-secret",
    ),
    path(
        "staff/webhooks/<int:webhook_id>/ping/",
        api.WebhookPingApi.as_view(),
        name="staff-webhook-ping",
    ),
]
