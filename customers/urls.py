from django.urls import path

from customers import api

urlpatterns = [
    path("account/", api.AccountDetailApi.as_view(), name="account-detail"),
    path("account/register/", api.AccountRegisterApi.as_view(), name="account-register"),
    path("account/login/", api.AccountLoginApi.as_view(), name="account-login"),
    path("account/logout/", api.AccountLogoutApi.as_view(), name="account-logout"),
    path(
        "account/password-reset/",
        api.AccountPasswordResetApi.as_view(),
        name="account-password-reset",
    ),
    path(
        "account/password-reset/confirm/",
        api.AccountPasswordResetConfirmApi.as_view(),
        name="account-password-reset-confirm",
    ),
    path("account/password/", api.AccountPasswordApi.as_view(), name="account-password"),
    path("account/export/", api.AccountExportApi.as_view(), name="account-export"),
    path("account/erase/", api.AccountEraseApi.as_view(), name="account-erase"),
    path("account/rebuy/", api.AccountRebuyListApi.as_view(), name="account-rebuy"),
    path("account/wishlist/", api.AccountWishlistApi.as_view(), name="account-wishlist"),
    path(
        "account/wishlist/<int:product_id>/",
        api.AccountWishlistItemApi.as_view(),
        name="account-wishlist-item",
    ),
]
