from django.urls import path

from storefront import views

urlpatterns = [
    path("", views.home, name="home"),
    path("images/products/<int:product_id>.svg", views.product_image, name="product-image"),
]
