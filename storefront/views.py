import colorsys
import hashlib

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control

from catalog.models import Product


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    products = (
        Product.objects.filter(is_active=True)
        .select_related("stock", "category")
        .order_by("-popularity", "pk")[:12]
    )
    return render(request, "storefront/home.html", {"products": products, "store_name": settings.STORE_NAME})


@cache_control(max_age=86400, public=True)
def product_image(request: HttpRequest, product_id: int) -> HttpResponse:
    """A generated placeholder picture (no binary downloads): colour from the product, initials."""
    product = get_object_or_404(Product.objects.only("name", "image_hue"), pk=product_id)
    hue = product.image_hue / 360
    r, g, b = (int(c * 255) for c in colorsys.hls_to_rgb(hue, 0.88, 0.55))
    r2, g2, b2 = (int(c * 255) for c in colorsys.hls_to_rgb(hue, 0.42, 0.45))
    words = [w for w in product.name.split() if w[:1].isalpha()]
    initials = "".join(w[0] for w in words[:2]).upper() or "?"
    seed = int(hashlib.md5(product.name.encode()).hexdigest()[:6], 16)
    cx, cy = 120 + seed % 160, 90 + (seed >> 8) % 120
    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" role="img" aria-label="{product.name}">
<rect width="400" height="400" fill="rgb({r},{g},{b})"/>
<circle cx="{cx}" cy="{cy}" r="150" fill="rgb({r2},{g2},{b2})" opacity="0.18"/>
<text x="200" y="230" font-family="Georgia, serif" font-size="120" text-anchor="middle" fill="rgb({r2},{g2},{b2})">{initials}</text>
</svg>"""
    return HttpResponse(svg, content_type="image/svg+xml")
