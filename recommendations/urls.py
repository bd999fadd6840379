from django.urls import re_path

from recommendations import api

# trailing slash optional: the issue documents /recommendations/for-you
urlpatterns = [
    re_path(r"^for-you/?$", api.ForYouListApi.as_view(), name="recommendations-for-you"),
    re_path(
        r"^similar/(?P<product_id>[0-9]+)/?$",
        api.ProductSimilarListApi.as_view(),
        name="recommendations-similar",
    ),
    re_path(
        r"^bought-together/(?P<product_id>[0-9]+)/?$",
        api.ProductBoughtTogetherListApi.as_view(),
        name="recommendations-bought-together",
    ),
    re_path(r"^cart/?$", api.CartRecommendationListApi.as_view(), name="recommendations-cart"),
    re_path(r"^click/?$", api.RecommendationClickApi.as_view(), name="recommendations-click"),
]
