from django.urls import path

from catalog import api

urlpatterns = [
    path("products/", api.ProductListApi.as_view(), name="product-list"),
    path("products/<int:product_id>/", api.ProductDetailApi.as_view(), name="product-detail"),
    path(
        "products/<int:product_id>/reviews/",
        api.ProductReviewListApi.as_view(),
        name="product-reviews",
    ),
    path(
        "products/<int:product_id>/stock-alert/",
        api.ProductStockAlertApi.as_view(),
        name="product-stock-alert",
    ),
    path(
        "stock-alerts/<str:token>/",
        api.StockAlertUnsubscribeApi.as_view(),
        name="stock-alert-unsubscribe",
    ),
    path("categories/", api.CategoryListApi.as_view(), name="category-list"),
    path("search/", api.ProductSearchApi.as_view(), name="product-search"),
    path("search/autocomplete/", api.ProductAutocompleteApi.as_view(), name="product-autocomplete"),
    path("staff/products/import/", api.ProductImportApi.as_view(), name="staff-product-import"),
    # staff purchasing (IsAdminUser), beside staff/orders/
    path(
        "staff/purchase-orders/", api.PurchaseOrderListApi.as_view(), name="staff-purchase-orders"
    ),
    path(
        "staff/purchase-orders/from-suggestions/",
        api.PurchaseOrderCreateFromSuggestionsApi.as_view(),
        name="staff-purchase-orders-from-suggestions",
    ),
    path(
        "staff/purchase-orders/<int:purchase_order_id>/",
        api.PurchaseOrderDetailApi.as_view(),
        name="staff-purchase-order-detail",
    ),
    path(
        "staff/purchase-orders/<int:purchase_order_id>/lines/",
        api.PurchaseOrderLineAddApi.as_view(),
        name="staff-purchase-order-lines",
    ),
    path(
        "staff/purchase-orders/<int:purchase_order_id>/send/",
        api.PurchaseOrderSendApi.as_view(),
        name="staff-purchase-order-send",
    ),
    path(
        "staff/purchase-orders/<int:purchase_order_id>/receive/",
        api.PurchaseOrderReceiveApi.as_view(),
        name="staff-purchase-order-receive",
    ),
    path(
        "staff/purchase-orders/<int:purchase_order_id>/cancel/",
        api.PurchaseOrderCancelApi.as_view(),
        name="staff-purchase-order-cancel",
    ),
]
