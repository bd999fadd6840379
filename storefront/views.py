"""Shopper pages: server-rendered listing and detail (fast, indexable); carts, checkout,
account actions and widgets are small scripts calling the same public REST API."""

import colorsys
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views import defaults
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from catalog import search
from catalog.api import product_detail_data
from catalog.models import Category, Product, Review
from catalog.selectors import stock_alert_is_waiting
from customers.models import Customer, Event
from customers.selectors import (
    marketing_unsubscribe_customer,
    password_reset_link_valid,
    rebuy_list_for_customer,
    wishlist_items_for_customer,
    wishlist_product_ids,
    wishlist_rows,
)
from customers.services import event_record
from customers.services import marketing_unsubscribe as customer_marketing_unsubscribe
from orders.api import SHOPPER_OUTCOME
from orders.models import Cart, CartLine, Order
from orders.selectors import invoice_for_order, order_timeline
from storefront.help_texts import help_language, help_texts
from storefront.templatetags.shop import COUNTRY_NAMES

logger = logging.getLogger(__name__)

PAGE_SIZES = (12, 24, 48)
SORTS = {
    "popular": ("-popularity", "pk"),
    "price": ("price", "pk"),
    "-price": ("-price", "pk"),
    "newest": ("-created_at", "-pk"),
    "name": ("name", "pk"),
}
SORT_LABELS = {
    "popular": "Most popular",
    "price": "Price: low to high",
    "-price": "Price: high to low",
    "newest": "Newest",
    "name": "Name",
}


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# --- shared context -----------------------------------------------------------------------------


def _customer(request: HttpRequest) -> Customer | None:
    if not request.user.is_authenticated:
        return None
    return Customer.objects.filter(user=request.user).first()


def _cart_count(request: HttpRequest, customer: Customer | None) -> int:
    qs = CartLine.objects.filter(cart__status=Cart.Status.OPEN)
    if customer is not None:
        qs = qs.filter(cart__customer=customer)
    elif request.session.session_key:
        qs = qs.filter(cart__session_id=request.session.session_key, cart__customer__isnull=True)
    else:
        return 0
    return int(qs.aggregate(n=Sum("quantity"))["n"] or 0)


def _nav_categories() -> list[dict[str, Any]]:
    """Top-level categories with their children (cached: the menu is on every page)."""
    menu = cache.get("pages:nav:v1")
    if menu is None:
        rows = list(Category.objects.values("pk", "name", "slug", "parent_id"))
        menu = [
            {**top, "children": [c for c in rows if c["parent_id"] == top["pk"]]}
            for top in rows
            if top["parent_id"] is None
        ]
        cache.set("pages:nav:v1", menu, 300)
    return menu


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    customer = context.pop("_customer", None) or _customer(request)
    base = {
        "store_name": settings.STORE_NAME,
        "currency": settings.STORE_CURRENCY,
        "nav_categories": _nav_categories(),
        "cart_count": _cart_count(request, customer),
        "customer": customer,
    }
    return render(request, template, {**base, **context}, status=status)


def _session_id(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def _product_cards(ids: Iterable[int]) -> list[Product]:
    """Active products by id, in the given order, ready for cards (one query)."""
    ids = list(ids)
    found = (
        Product.objects.filter(pk__in=ids, is_active=True)
        .select_related("stock", "category", "brand")
        .in_bulk()
    )
    return [found[pk] for pk in ids if pk in found]


def _popular_ids(limit: int, *, exclude: Iterable[int] = ()) -> list[int]:
    return list(
        Product.objects.filter(is_active=True, stock__on_hand__gt=F("stock__reserved"))
        .exclude(pk__in=list(exclude))
        .order_by("-popularity", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _trending_ids(limit: int) -> list[int]:
    """Most viewed/added in the last 7 days, in stock only; popular products when the store is quiet."""
    key = f"pages:trending:v1:{limit}"
    ids = cache.get(key)
    if ids is None:
        since = timezone.now() - timedelta(days=7)
        ids = list(
            Event.objects.filter(
                created_at__gte=since,
                product__isnull=False,
                product__is_active=True,
                # a sold-out product cannot be added from the card: trending shows what is in stock
                product__stock__on_hand__gt=F("product__stock__reserved"),
                type__in=[Event.Type.VIEW, Event.Type.ADD_TO_CART],
            )
            .values("product_id")
            .annotate(n=Count("pk"))
            .order_by("-n", "product_id")
            .values_list("product_id", flat=True)[:limit]
        )
        if len(ids) < limit:
            ids += _popular_ids(limit - len(ids), exclude=ids)
        cache.set(key, ids, 300)
    return ids


# sources that are the same for every shopper: a list made only of them is not "for you"
_NOT_PERSONAL = frozenset({"fallback", "popular", "trending", "pinned"})


@dataclass(frozen=True)
class _Picks:
    products: list[Product]
    personal: bool  # some item is about this shopper, not what everyone sees
    variant: str = ""  # the A/B variant; "" when the recommender did not answer


def _personal_picks(
    customer: Customer | None, session_id: str, limit: int, *, exclude: Sequence[int] = ()
) -> _Picks:
    """ "For you" products other than ``exclude``, logged as an impression (as the API logs
    its lists) with each card's source for click tracking; popular items before the
    recommendations app lands or when it fails (nothing logged: no recommender answered)."""
    customer_id = customer.pk if customer else None
    try:
        from recommendations import facade as recs

        answer = recs.for_you_set(
            customer_id=customer_id,
            session_id=session_id,
            limit=limit,
            exclude_product_ids=list(exclude),
        )
    except ImportError:
        answer = None
    except Exception:
        logger.exception("for-you recommendations failed; serving popular items")
        answer = None
    if answer is None or not answer.items:
        # a catalogue too small for two different rows repeats the first rather than show none
        ids = _popular_ids(limit, exclude=exclude) or _popular_ids(limit)
        return _Picks(_product_cards(ids), personal=False)
    products = _product_cards(r.product_id for r in answer.items)
    sources = {r.product_id: r.source for r in answer.items}
    for product in products:
        product.rec_source = sources[product.pk]  # type: ignore[attr-defined]
    recs.impression_record(
        slot="for_you",
        variant=answer.variant,
        items=[r for r in answer.items if r.product_id in {p.pk for p in products}],
        session_id=session_id,
        customer_id=customer_id,
    )
    personal = any(r.source not in _NOT_PERSONAL for r in answer.items)
    return _Picks(products, personal=personal, variant=answer.variant)


# --- pages --------------------------------------------------------------------------------------


def _card_hearts(customer: Customer | None, *cards: Iterable[Product]) -> dict[str, Any]:
    """What the cards' Save hearts need: which of the page's products this shopper saved,
    in one query for the whole page (none for a visitor, whose heart links to sign in)."""
    saved: set[int] = set()
    if customer is not None:
        ids = {p.pk for products in cards for p in products}
        if ids:
            saved = wishlist_product_ids(customer_id=customer.pk, product_ids=ids)
    return {"card_hearts": True, "saved_ids": saved}


@ensure_csrf_cookie
def home(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    trending_ids = _trending_ids(8)
    if not request.session.session_key:  # clicks on the picks are matched to this session
        request.session.save()
    # the second row shows other products than "Trending this week" above it
    picks = _personal_picks(customer, request.session.session_key or "", 8, exclude=trending_ids)
    trending = _product_cards(trending_ids)
    return _render(
        request,
        "storefront/home.html",
        {
            "_customer": customer,
            "trending": trending,
            "picks": picks.products,
            "picks_source": "model" if picks.personal else "popular",
            "picks_variant": picks.variant,
            **_card_hearts(customer, trending, picks.products),
        },
    )


def _category_tree() -> tuple[dict[int, dict[str, Any]], dict[int | None, list[int]]]:
    rows = cache.get("pages:category-tree:v1")
    if rows is None:  # categories change rarely; a new one shows up within a minute
        rows = {c["pk"]: c for c in Category.objects.values("pk", "name", "slug", "parent_id")}
        cache.set("pages:category-tree:v1", rows, 60)
    children: dict[int | None, list[int]] = {}
    for pk, row in rows.items():
        children.setdefault(row["parent_id"], []).append(pk)
    return rows, children


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _decimal_or_none(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@ensure_csrf_cookie
def category(request: HttpRequest, category_id: int, slug: str = "") -> HttpResponse:
    """Category listing with brand/price/stock facets, sorting and pagination.

    A constant number of queries whatever the page size: the tree, facets, count and one page.
    """
    rows, children = _category_tree()
    if category_id not in rows:
        raise Http404("no such category")
    current = rows[category_id]
    ids, frontier = [category_id], [category_id]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        ids.extend(frontier)
    crumbs: list[dict[str, Any]] = []
    parent = current["parent_id"]
    while parent is not None:
        crumbs.insert(0, rows[parent])
        parent = rows[parent]["parent_id"]

    base = Product.objects.filter(is_active=True, category_id__in=ids)
    brand_ids = [b for b in (_int_or_none(v) for v in request.GET.getlist("brand")) if b]
    min_price = _decimal_or_none(request.GET.get("min_price"))
    max_price = _decimal_or_none(request.GET.get("max_price"))
    in_stock = request.GET.get("in_stock") == "1"
    sort = request.GET.get("sort", "popular")
    sort = sort if sort in SORTS else "popular"
    page_size = _int_or_none(request.GET.get("page_size")) or 24
    page_size = page_size if page_size in PAGE_SIZES else 24

    filtered = base
    if min_price is not None:
        filtered = filtered.filter(price__gte=min_price)
    if max_price is not None:
        filtered = filtered.filter(price__lte=max_price)
    if in_stock:
        filtered = filtered.filter(stock__on_hand__gt=F("stock__reserved"))
    # Brand counts ignore the brand filter itself, so the shopper can widen the choice.
    brand_facet = list(
        filtered.filter(brand__isnull=False)
        .values("brand_id", "brand__name")
        .annotate(n=Count("pk"))
        .order_by("brand__name")
    )
    if brand_ids:
        filtered = filtered.filter(brand_id__in=brand_ids)
    stats = base.aggregate(
        low=Min("price"),
        high=Max("price"),
        in_stock=Count("pk", filter=Q(stock__on_hand__gt=F("stock__reserved"))),
    )
    products: QuerySet[Product] = filtered.select_related("stock", "brand", "category").order_by(
        *SORTS[sort]
    )
    paginator = Paginator(products, page_size)
    page = paginator.get_page(request.GET.get("page"))
    customer = _customer(request)
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        "storefront/category.html",
        {
            "_customer": customer,
            "category": current,
            "crumbs": crumbs,
            "subcategories": [rows[c] for c in children.get(category_id, [])],
            "page": page,
            "paginator": paginator,
            "brand_facet": brand_facet,
            "selected_brands": brand_ids,
            "min_price": request.GET.get("min_price", ""),
            "max_price": request.GET.get("max_price", ""),
            "in_stock": in_stock,
            "sort": sort,
            "sorts": SORT_LABELS,
            "page_size": page_size,
            "page_sizes": PAGE_SIZES,
            "stats": stats,
            "querystring": query.urlencode(),
            **_card_hearts(customer, page.object_list),
            # folded away on phones: the summary says filters are on, or the shopper wonders
            # where the other products went
            "active_filters": len(brand_ids)
            + (min_price is not None)
            + (max_price is not None)
            + in_stock,
        },
    )


@ensure_csrf_cookie
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    page_number = max(_int_or_none(request.GET.get("page")) or 1, 1)
    per_page = 24
    result = search.product_search(query=query, limit=per_page, offset=(page_number - 1) * per_page)
    products = _product_cards(result.product_ids)
    if query and page_number == 1:
        event_record(
            type="search",
            session_id=_session_id(request),
            customer_id=None,
            query=query,
            metadata={"results": result.total},
        )
    pages = (result.total + per_page - 1) // per_page
    # a search that finds nothing still offers something to look at, not a dead end
    popular = _product_cards(_popular_ids(8)) if query and not products else []
    customer = _customer(request)
    return _render(
        request,
        "storefront/search.html",
        {
            "_customer": customer,
            **_card_hearts(customer, products, popular),
            "query": query,
            "result": result,
            "products": products,
            "page_number": page_number,
            "has_next": page_number < pages,
            "pages": pages,
            "popular": popular,
        },
    )


@ensure_csrf_cookie
def product(request: HttpRequest, product_id: int, slug: str = "") -> HttpResponse:
    try:
        data = product_detail_data(product_id)
    except Product.DoesNotExist:
        raise Http404("no such product") from None
    customer = _customer(request)
    query = request.GET.get("q", "")[:200]
    # A product view reached from a search is the click signal search ranking learns from.
    event_record(
        type="view",
        session_id=_session_id(request),
        customer_id=customer.pk if customer else None,
        product_id=product_id,
        query=query,
    )
    reviews = list(
        Review.objects.filter(product_id=product_id, is_published=True)
        .select_related("customer__user")
        .order_by("-created_at", "-pk")[:6]
    )
    rows, _ = _category_tree()
    crumbs: list[dict[str, Any]] = []
    cat = data["category_id"]
    while cat is not None and cat in rows:
        crumbs.insert(0, rows[cat])
        cat = rows[cat]["parent_id"]
    return _render(
        request,
        "storefront/product.html",
        {
            "_customer": customer,
            "p": data,
            "reviews": reviews,
            "crumbs": crumbs,
            "search_query": query,
            "stars": range(1, 6),
            # the "Save" heart: filled when this shopper saved the product
            "saved": bool(
                customer and wishlist_product_ids(customer_id=customer.pk, product_ids=[product_id])
            ),
            # sold out: the "e-mail me when it's back" form, or that they are already waiting
            "alert_waiting": bool(
                customer
                and data["available"] <= 0
                and stock_alert_is_waiting(product_id=product_id, customer_id=customer.pk)
            ),
        },
    )


@ensure_csrf_cookie
def cart(request: HttpRequest) -> HttpResponse:
    return _render(request, "storefront/cart.html", {})


@ensure_csrf_cookie
def checkout(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    address = customer.addresses.order_by("-is_default", "-pk").first() if customer else None
    email = request.user.email if request.user.is_authenticated else ""
    return _render(
        request,
        "storefront/checkout.html",
        {
            "_customer": customer,
            "address": address,
            "email": email,
            # an empty cart gets a way back to the shop, not a form with no total to pay
            "cart_empty": _cart_count(request, customer) == 0,
            "countries": COUNTRY_NAMES.items(),
            # the saved address's country, not always the first in the list
            "country": address.country if address and address.country in COUNTRY_NAMES else "GB",
        },
    )


OUTCOME_COPY = {
    "confirmed": (
        "Thank you, your order is confirmed",
        "We have taken payment and will e-mail you when your parcel is on its way.",
    ),
    "under_review": (
        "Your order is being reviewed",
        "We check some orders by hand to keep payments safe. Nothing to do for now: "
        "we normally finish within 24 hours and will e-mail you either way. "
        "Your card has only been authorised, not charged.",
    ),
    "declined": (
        "We could not accept this order",
        "The payment was declined, so nothing has been charged. Your cart is as you left it: "
        "please try another card, or contact your bank. If you think this is a mistake, our "
        "help team can look into it.",
    ),
    "refunded": ("This order was refunded", "The money is on its way back to your card."),
    "processing": ("We are processing your order", "Refresh this page in a moment."),
    "shipped": (
        "Your order is on its way",
        "We have handed your parcel to the carrier: the tracking details are below.",
    ),
    "cancelled": (
        "This order was cancelled",
        "It will not be sent, and nothing has been charged to your card.",
    ),
    "cancelled_refunded": (
        "This order was cancelled",
        "It will not be sent. We have refunded your payment: the money is on its way back to "
        "your card.",
    ),
}


def _shopper_order(request: HttpRequest, number: str, customer: Customer | None) -> Order:
    """The customer's own order or this session's guest order; 404 for anyone else's."""
    qs = Order.objects.prefetch_related("lines", "history", "fulfilments", "refunds", "invoices")
    if customer is not None:
        order = qs.filter(customer=customer, number=number).first()
    elif number in request.session.get("guest_orders", []):
        order = qs.filter(number=number, customer__isnull=True).first()
    else:
        order = None
    if order is None:  # someone else's order looks exactly like a missing one
        raise Http404("no such order")
    return order


def order_invoice(request: HttpRequest, number: str, invoice_number: str) -> HttpResponse:
    """The printable VAT invoice or credit note (the browser's Print saves it as a PDF)."""
    customer = _customer(request)
    order = _shopper_order(request, number, customer)
    invoice = invoice_for_order(order_id=order.pk, number=invoice_number)
    if invoice is None:
        raise Http404("no such invoice")
    return _render(
        request,
        "storefront/invoice.html",
        {"_customer": customer, "order": order, "invoice": invoice, "lines": invoice.lines.all()},
    )


def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    customer = _customer(request)
    order = _shopper_order(request, number, customer)
    outcome = SHOPPER_OUTCOME.get(order.status, "processing")
    timeline = order_timeline(order=order)
    # the API's outcome stays coarse; the page tells a shipped order and an order cancelled
    # after checkout (no "try another card") apart
    copy = outcome
    if order.status == Order.Status.FULFILLED:
        copy = "shipped"
    elif any(entry.kind == "cancelled" for entry in timeline):
        copy = "cancelled_refunded" if any(e.kind == "refunded" for e in timeline) else "cancelled"
    title, next_steps = OUTCOME_COPY.get(copy, OUTCOME_COPY["processing"])
    return _render(
        request,
        "storefront/order.html",
        {
            "_customer": customer,
            "order": order,
            "outcome": outcome,
            "copy": copy,
            "outcome_title": title,
            "next_steps": next_steps,
            "timeline": timeline,
        },
    )


SAVED_ITEMS_SHOWN = 48


@ensure_csrf_cookie
def account(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        return redirect(f"{settings.LOGIN_URL}?next=/account/")
    orders = list(
        Order.objects.filter(customer=customer)
        .prefetch_related("lines")
        .order_by("-placed_at", "-pk")[:20]
    )
    for order in orders:
        order.outcome = SHOPPER_OUTCOME.get(order.status, "processing")  # type: ignore[attr-defined]
    return _render(
        request,
        "storefront/account.html",
        {
            "_customer": customer,
            "orders": orders,
            "rebuy": rebuy_list_for_customer(customer_id=customer.pk, limit=8),
            # the first page of "Saved items" (the API pages through the rest)
            "saved_items": wishlist_rows(
                wishlist_items_for_customer(customer_id=customer.pk)[:SAVED_ITEMS_SHOWN]
            ),
            "saved_total": wishlist_items_for_customer(customer_id=customer.pk).count(),
        },
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next", "/account/")
    return target if target.startswith("/") and not target.startswith("//") else "/account/"


@ensure_csrf_cookie
def login_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return HttpResponseRedirect(_safe_next(request))
    return _render(request, "storefront/login.html", {"next": _safe_next(request)})


def password_reset_page(request: HttpRequest) -> HttpResponse:
    """Forgot password: the shopper's e-mail, posted to the API by shop.js."""
    return _render(request, "storefront/password_reset.html", {})


def password_reset_confirm_page(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    """The e-mailed link: a new password form, or "this link has expired" with a new one."""
    valid = password_reset_link_valid(uid=uid, token=token)
    response = _render(
        request,
        "storefront/password_reset_confirm.html",
        {"uid": uid, "token": token, "valid": valid},
    )
    response["Referrer-Policy"] = "no-referrer"  # the token is in this page's address
    response["Cache-Control"] = "no-store"
    return response


@ensure_csrf_cookie
def register_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return HttpResponseRedirect(_safe_next(request))
    return _render(request, "storefront/register.html", {"next": _safe_next(request)})


def stock_alert_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The back-in-stock e-mail's unsubscribe link: a button, not a GET that unsubscribes (mail
    scanners follow links); the button calls the API with the token."""
    response = _render(request, "storefront/stock_alert_unsubscribe.html", {"token": token})
    response["Referrer-Policy"] = "no-referrer"  # the token stays on this page
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_exempt  # the signed token is the credential; RFC 8058 one-click POSTs carry no CSRF
def marketing_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """A marketing e-mail's unsubscribe link, no sign-in needed: GET shows a button (mail
    scanners follow links, so a GET changes nothing), POST turns marketing consent off."""
    customer = marketing_unsubscribe_customer(token=token)
    if customer is None:
        raise Http404("unknown unsubscribe link")
    done = False
    if request.method == "POST":
        customer_marketing_unsubscribe(customer=customer)
        done = True
    response = _render(
        request, "storefront/marketing_unsubscribe.html", {"token": token, "done": done}
    )
    response["Referrer-Policy"] = "no-referrer"  # the token stays on this page
    return response


@ensure_csrf_cookie
def help_page(request: HttpRequest) -> HttpResponse:
    email = request.user.email if request.user.is_authenticated else ""
    language = help_language(request)
    response = _render(
        request,
        "storefront/help.html",
        {"email": email, "lang": language, "t": help_texts(language)},
    )
    patch_vary_headers(response, ["Accept-Language"])  # a cache must not serve de to en
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A search box and a few popular products (the home page's no-model fallback), so a
    dead link still leads somewhere; none on an empty store or when the query fails."""
    try:
        popular = _product_cards(_popular_ids(4))
    except Exception:  # the 404 page must render even when the catalogue cannot be read
        logger.exception("popular products for the 404 page failed")
        popular = []
    return _render(request, "storefront/404.html", {"popular": popular}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """An uncaught exception with DEBUG off (``handler500``): API clients get the ``Error``
    body in JSON, not the shop's HTML page. Django has already logged the traceback
    (``django.request``); the body is fixed text, so no exception message or personal data
    reaches the client. No database or template work: either may be what failed."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "server error", "code": "server_error"}, status=500)
    return defaults.server_error(request)


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
    label = product.name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" role="img" aria-label="{label}">
<rect width="400" height="400" fill="rgb({r},{g},{b})"/>
<circle cx="{cx}" cy="{cy}" r="150" fill="rgb({r2},{g2},{b2})" opacity="0.18"/>
<text x="200" y="230" font-family="Georgia, serif" font-size="120" text-anchor="middle" fill="rgb({r2},{g2},{b2})">{initials}</text>
</svg>"""  # noqa: E501
    return HttpResponse(svg, content_type="image/svg+xml")


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
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
