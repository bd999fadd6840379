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
    path("categories/", api.CategoryListApi.as_view(), name="category-list"),
    path("search/", api.ProductSearchApi.as_view(), name="product-search"),
    path("search/autocomplete/", api.ProductAutocompleteApi.as_view(), name="product-autocomplete"),
]
