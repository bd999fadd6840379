from django.urls import path

from storefront import views
from support import pages as support_pages

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<int:category_id>/", views.category, name="category"),
    path("c/<int:category_id>/<slug:slug>/", views.category, name="category-slug"),
    path("search/", views.search_page, name="search"),
    path("p/<int:product_id>/", views.product, name="product"),
    path("p/<int:product_id>/<slug:slug>/", views.product, name="product-slug"),
    path("cart/", views.cart, name="cart"),
    path("checkout/", views.checkout, name="checkout"),
    path("order/<str:number>/", views.order_detail, name="order"),
    path(
        "order/<str:number>/invoice/<str:invoice_number>/",
        views.order_invoice,
        name="order-invoice",
    ),
    path("account/", views.account, name="account"),
    path("account/login/", views.login_page, name="login"),
    path("account/register/", views.register_page, name="register"),
    path("account/password-reset/", views.password_reset_page, name="password-reset"),
    path(
        "account/reset/<str:uid>/<str:token>/",
        views.password_reset_confirm_page,
        name="password-reset-confirm",
    ),
    path(
        "account/unsubscribe/<str:token>/",
        views.marketing_unsubscribe,
        name="marketing-unsubscribe",
    ),
    path("help/", views.help_page, name="help"),
    path("help/rate/<str:token>/", support_pages.rating_page, name="help-rating"),
    path(
        "stock-alerts/<str:token>/unsubscribe/",
        views.stock_alert_unsubscribe,
        name="stock-alert-unsubscribe-page",
    ),
    path("images/products/<int:product_id>.svg", views.product_image, name="product-image"),
]
