from django.urls import path

from orders import api

urlpatterns = [
    path("cart/", api.CartDetailApi.as_view(), name="cart-detail"),
    path("cart/lines/", api.CartLineAddApi.as_view(), name="cart-line-add"),
    path("cart/lines/<int:product_id>/", api.CartLineUpdateApi.as_view(), name="cart-line-update"),
    path("cart/merge/", api.CartMergeApi.as_view(), name="cart-merge"),
    path("checkout/", api.CheckoutApi.as_view(), name="checkout"),
    path("orders/", api.OrderListApi.as_view(), name="order-list"),
    path("orders/<str:number>/", api.OrderDetailApi.as_view(), name="order-detail"),
]
