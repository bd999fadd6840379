from django.urls import path

from orders import api

urlpatterns = [
    path("cart/", api.CartDetailApi.as_view(), name="cart-detail"),
    path("cart/lines/", api.CartLineAddApi.as_view(), name="cart-line-add"),
    path("cart/lines/<int:product_id>/", api.CartLineUpdateApi.as_view(), name="cart-line-update"),
    path("cart/voucher/", api.CartVoucherApi.as_view(), name="cart-voucher"),
    path("cart/shipping-method/", api.CartShippingMethodApi.as_view(), name="cart-shipping-method"),
    path("cart/merge/", api.CartMergeApi.as_view(), name="cart-merge"),
    path("checkout/", api.CheckoutApi.as_view(), name="checkout"),
    path("orders/", api.OrderListApi.as_view(), name="order-list"),
    path("orders/<str:number>/", api.OrderDetailApi.as_view(), name="order-detail"),
    path(
        "orders/<str:number>/invoices/<str:invoice_number>/",
        api.OrderInvoiceDetailApi.as_view(),
        name="order-invoice-detail",
    ),
    # staff order management (IsAdminUser); beside the shopper's orders/, not inside it
    path("staff/orders/", api.StaffOrderListApi.as_view(), name="staff-order-list"),
    path(
        "staff/orders/<str:number>/", api.StaffOrderDetailApi.as_view(), name="staff-order-detail"
    ),
    path(
        "staff/orders/<str:number>/fulfil/",
        api.StaffOrderFulfilApi.as_view(),
        name="staff-order-fulfil",
    ),
    path(
        "staff/orders/<str:number>/cancel/",
        api.StaffOrderCancelApi.as_view(),
        name="staff-order-cancel",
    ),
    path(
        "staff/orders/<str:number>/approve/",
        api.StaffOrderApproveApi.as_view(),
        name="staff-order-approve",
    ),
    path(
        "staff/orders/<str:number>/refund/",
        api.StaffOrderRefundApi.as_view(),
        name="staff-order-refund",
    ),
]
