from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, include, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from storefront import views

api_v1 = [
    path("", include("catalog.urls")),
    path("", include("orders.urls")),
    path("", include("customers.urls")),
    path("", include("mlops.urls")),
    path("recommendations/", include("recommendations.urls")),
    path("pricing/", include("pricing.urls")),
    path("forecasts/", include("forecasting.urls")),
    path("fraud/", include("fraud.urls")),
    path("support/", include("support.urls")),
    path("insights/", include("insights.urls")),
]


@csrf_exempt  # the API views check CSRF themselves (session clients only)
def api_fallback(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """Unknown API paths answer in JSON like the API, not with the shop's HTML page; a path
    only missing its trailing slash is served (a redirect would lose a POST's body)."""
    if not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_fallback:
            response: HttpResponse = match.func(request, *match.args, **match.kwargs)
            return response
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    re_path(r"^api/", api_fallback),
    path("healthz", views.healthz, name="healthz"),
    path("", include("storefront.page_urls")),
]
handler404 = "storefront.views.not_found"
