"""Catalog API: products, categories, search, autocomplete, reviews (public); purchase
orders (staff)."""

import logging
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, F, QuerySet
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from catalog import search, selectors, services
from catalog.models import (
    Category,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Review,
    StockAlert,
)
from customers.services import customer_for_user, event_record, review_create
from storefront.api_errors import ID_MAX, ServiceError, id_in_range
from storefront.pagination import PagePagination
from storefront.schema import error_schema_with

logger = logging.getLogger(__name__)

# Cached detail is stamped with Product.updated_at and checked on every read; a new review
# invalidates it; the TTL bounds what a review moderated elsewhere could leave behind.
PRODUCT_DETAIL_TTL = 600


class ProductOutputSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
    category_id = serializers.IntegerField()
    brand = serializers.CharField(source="brand.name", default=None, allow_null=True)
    available = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField(help_text="ISO 4217 code of the prices")

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "slug",
            "price",
            "list_price",
            "currency",
            "category",
            "category_id",
            "brand",
            "available",
            "image_url",
            "url",
            "is_consumable",
        ]

    def get_available(self, product: Product) -> int:
        stock = getattr(product, "stock", None)
        return max(stock.available, 0) if stock else 0

    def get_currency(self, product: Product) -> str:
        return str(settings.STORE_CURRENCY)

    def get_image_url(self, product: Product) -> str:
        return f"/images/products/{product.pk}.svg"

    def get_url(self, product: Product) -> str:
        return f"/p/{product.pk}/{product.slug}/"


def reference_price_for(product_id: int, price: Decimal) -> Decimal | None:
    """The EU-Omnibus prior price when pricing can prove one above today's price, else None.

    Only a price the shop really charged in the 30 days before the reduction may be shown as
    "was"; without the pricing app (or with no proof) the page shows no strike-through price.
    """
    try:
        from pricing import facade as pricing

        row = pricing.reference_price(product_id=product_id)
    except (ImportError, AttributeError):
        return None
    except Exception:  # pricing failing must not break the product page
        logger.exception("reference price unavailable for product %s", product_id)
        return None
    reference = getattr(row, "reference_price", None)
    if not getattr(row, "show_was", False) or not isinstance(reference, Decimal):
        return None
    return reference if reference > price else None


class ProductDetailOutputSerializer(ProductOutputSerializer):
    reference_price = serializers.SerializerMethodField(
        help_text="EU-Omnibus lowest price of the 30 days before a reduction; null if none"
    )
    rating = serializers.SerializerMethodField()
    review_count = serializers.SerializerMethodField()

    class Meta(ProductOutputSerializer.Meta):
        fields = [
            *ProductOutputSerializer.Meta.fields,
            "description",
            "attributes",
            "reference_price",
            "rating",
            "review_count",
        ]

    def get_reference_price(self, product: Product) -> str | None:
        ref = reference_price_for(product.pk, product.price)
        return f"{ref:.2f}" if ref is not None else None

    def get_rating(self, product: Product) -> float | None:
        avg = getattr(product, "rating_avg", None)
        return round(float(avg), 1) if avg is not None else None

    def get_review_count(self, product: Product) -> int:
        return int(getattr(product, "review_count", 0) or 0)


# the bounds the filter enforces (a 400 beyond them), in the schema too
@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


@extend_schema_field(
    {
        "type": "integer",
        "minimum": 1,
        "maximum": ID_MAX,
        "description": "Multiple values may be separated by commas.",
    }
)
class IdInFilter(django_filters.BaseInFilter, IdFilter):
    """A comma-separated list of ids."""


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is a 400, not a silently ignored filter."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError("Enter true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class ProductFilter(django_filters.FilterSet):
    category = IdFilter(method="filter_category")
    brand = IdFilter(field_name="brand_id")
    min_price = django_filters.NumberFilter(
        field_name="price", lookup_expr="gte", min_value=0, max_value=10**9
    )
    max_price = django_filters.NumberFilter(
        field_name="price", lookup_expr="lte", min_value=0, max_value=10**9
    )
    in_stock = StrictBooleanFilter(method="filter_in_stock")
    ids = IdInFilter(field_name="id", lookup_expr="in", label="ids (1,2,3)")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("price", "price"),
            ("name", "name"),
            ("popularity", "popularity"),
            ("created_at", "newest"),
        )
    )

    class Meta:
        model = Product
        fields = ["category", "brand", "min_price", "max_price", "in_stock", "ids"]

    def filter_category(self, qs: QuerySet[Product], name: str, value: int) -> QuerySet[Product]:
        return qs.filter(category_id__in=selectors.category_descendant_ids(category_id=int(value)))

    def filter_in_stock(self, qs: QuerySet[Product], name: str, value: bool) -> QuerySet[Product]:
        in_stock = qs.filter(stock__on_hand__gt=F("stock__reserved"))
        return in_stock if value else qs.exclude(pk__in=in_stock.values("pk"))


class ProductListApi(generics.ListAPIView):
    """Active products with filters (category incl. sub-categories, brand, price, stock, ids),
    sorting (`ordering=price|-price|name|-popularity|newest|-newest`) and page pagination."""

    serializer_class = ProductOutputSerializer
    filterset_class = ProductFilter
    pagination_class = PagePagination

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.product_list_active()


def product_detail_cache_key(product_id: int) -> str:
    return f"api:product-detail:v2:{product_id}"


def product_detail_invalidate(product_ids: Any) -> None:
    cache.delete_many([product_detail_cache_key(int(pk)) for pk in product_ids])


def product_detail_data(product_id: int) -> dict[str, Any]:
    """The product detail payload, cheap enough for the hottest read of the store.

    The slow parts (reference price from the price history, rating aggregate) are cached,
    stamped with the product's ``updated_at``. Each request reads that stamp and the stock
    in one indexed query, so a price change made in any process (a Celery worker applying a
    pricing proposal, the admin) shows at once, and "in stock" is never stale after a sale,
    a restock or a cancellation (those are queryset updates: no signal would fire).
    """
    if not id_in_range(product_id):
        raise Product.DoesNotExist
    row = (
        Product.objects.filter(pk=product_id, is_active=True)
        .values_list("updated_at", "stock__on_hand", "stock__reserved")
        .first()
    )
    if row is None:
        raise Product.DoesNotExist
    updated_at, on_hand, reserved = row
    stamp = updated_at.isoformat()
    key = product_detail_cache_key(product_id)
    cached = cache.get(key)
    if cached is None or cached[0] != stamp:
        product = (
            selectors.product_list_active()
            .annotate(rating_avg=Avg("reviews__rating"), review_count=Count("reviews"))
            .get(pk=product_id)
        )
        cached = (stamp, dict(ProductDetailOutputSerializer(product).data))
        cache.set(key, cached, PRODUCT_DETAIL_TTL)
    return {**cached[1], "available": max((on_hand or 0) - (reserved or 0), 0)}


class ProductDetailApi(APIView):
    @extend_schema(
        responses={
            200: ProductDetailOutputSerializer,
            404: OpenApiResponse(description="No such product"),
        },
        summary="One active product with stock, rating and reference price",
    )
    def get(self, request: Request, product_id: int) -> Response:
        return Response(product_detail_data(product_id))


class CategoryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent_id", "description"]


class CategoryListApi(generics.ListAPIView):
    """The whole category tree as a flat list (parent_id links the levels)."""

    serializer_class = CategoryOutputSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Category]:
        return selectors.category_list()


# Deeper pages are no use to a shopper; an unbounded page overflows the database's OFFSET.
SEARCH_MAX_PAGE = 1000


class ProductSearchApi(APIView):
    """Ranked matches as the API's page (storefront/pagination.py), plus what the query was
    read as. Unlike the other lists, a ``page_size`` above 60 or a ``page`` above 1000 is
    refused (400), not served as the bound."""

    throttle_scope = "search"

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=200)
        page = serializers.IntegerField(min_value=1, max_value=SEARCH_MAX_PAGE, default=1)
        page_size = serializers.IntegerField(min_value=1, max_value=60, default=24)

    class OutputSerializer(serializers.Serializer):
        count = serializers.IntegerField(help_text="Matches in all pages")
        next = serializers.URLField(
            allow_null=True, help_text="The next page, or null on the last (or the 1000th)"
        )
        previous = serializers.URLField(allow_null=True, help_text="null on the first page")
        results = ProductOutputSerializer(many=True)
        query = serializers.CharField()
        corrected = serializers.CharField(help_text="The query as the catalog spells it, or ''")
        page = serializers.IntegerField()

    @extend_schema(
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(description="Missing q, or page / page_size beyond its bound"),
        },
        summary="Typo-tolerant ranked product search",
    )
    def get(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        page, size = values["page"], values["page_size"]
        result = search.product_search(query=values["q"], limit=size, offset=(page - 1) * size)
        if page > 1 and (page - 1) * size >= result.total:
            raise exceptions.NotFound("Invalid page.")  # as the other lists answer
        products = selectors.product_list_active().in_bulk(result.product_ids)
        ordered = [products[pk] for pk in result.product_ids if pk in products]
        if page == 1:
            event_record(
                type="search",
                session_id=request.session.session_key or "",
                customer_id=None,
                query=values["q"],
                metadata={"results": result.total},
            )
        url = request.build_absolute_uri()
        has_next = page * size < result.total and page < SEARCH_MAX_PAGE
        previous = None
        if page > 1:  # like PageNumberPagination: page 1 is the URL without page=
            previous = replace_query_param(url, "page", page - 1)
            previous = remove_query_param(url, "page") if page == 2 else previous
        body = {
            "count": result.total,
            "next": replace_query_param(url, "page", page + 1) if has_next else None,
            "previous": previous,
            "results": ordered,
            "query": values["q"],
            "corrected": result.corrected,
            "page": page,
        }
        return Response(self.OutputSerializer(body).data)


class ProductAutocompleteApi(APIView):
    throttle_scope = "search"

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=100)
        limit = serializers.IntegerField(min_value=1, max_value=12, default=8)

    class OutputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=["product", "category"])
        # The stubs type Serializer.label as a str; as a field name it is what clients read.
        label = serializers.CharField()  # type: ignore[assignment]
        product_id = serializers.IntegerField(allow_null=True)
        category_id = serializers.IntegerField(allow_null=True)
        url = serializers.SerializerMethodField()

        def get_url(self, suggestion: search.Suggestion) -> str:
            if suggestion.kind == "category":
                return f"/c/{suggestion.category_id}/"
            return f"/p/{suggestion.product_id}/"

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer(many=True)},
        summary="Suggestions while the shopper types",
    )
    def get(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        suggestions = search.autocomplete(
            prefix=data.validated_data["q"], limit=data.validated_data["limit"]
        )
        return Response(self.OutputSerializer(suggestions, many=True).data)


class ReviewOutputSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "rating", "title", "body", "author", "created_at"]

    def get_author(self, review: Review) -> str:
        # First name only, never the e-mail: reviews are public.
        user = review.customer.user if review.customer and review.customer.user else None
        return (user.first_name or "Verified buyer") if user else "Former customer"


class ProductReviewListApi(generics.ListAPIView):
    """Published reviews of a product, newest first; logged-in shoppers may add one."""

    serializer_class = ReviewOutputSerializer
    pagination_class = PagePagination

    class InputSerializer(serializers.Serializer):
        rating = serializers.IntegerField(min_value=1, max_value=5)
        title = serializers.CharField(max_length=200, required=False, allow_blank=True)
        body = serializers.CharField(max_length=4000, required=False, allow_blank=True)

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [permissions.IsAuthenticated()]
        return [permissions.AllowAny()]

    @extend_schema(
        responses={
            200: ReviewOutputSerializer(many=True),
            404: OpenApiResponse(description="No such product"),
        },
        summary="Published reviews of a product, newest first",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Review]:
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        product_id = self.kwargs["product_id"]
        if (
            not id_in_range(product_id)
            or not Product.objects.filter(pk=product_id, is_active=True).exists()
        ):
            raise Product.DoesNotExist  # a 404, like the product itself
        return (
            Review.objects.filter(product_id=self.kwargs["product_id"], is_published=True)
            .select_related("customer__user")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: ReviewOutputSerializer,
            400: OpenApiResponse(description="Invalid rating or text"),
            401: OpenApiResponse(description="Not logged in"),
            404: OpenApiResponse(description="No such product"),
        },
        summary="Write a review (logged-in shoppers)",
    )
    def post(self, request: Request, product_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_for_user(user=request.user)
        assert customer is not None  # IsAuthenticated
        review = review_create(
            product_id=product_id, customer_id=customer.pk, **data.validated_data
        )
        product_detail_invalidate([product_id])
        return Response(ReviewOutputSerializer(review).data, status=status.HTTP_201_CREATED)


# --- "e-mail me when it's back": stock alerts (shoppers and visitors) -----------------------


class StockAlertOutputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=StockAlert.Status.choices)
    created = serializers.BooleanField(
        help_text="false: this shopper was already waiting for the product (nothing changed)"
    )


class ProductStockAlertApi(APIView):
    """Wait for a sold-out product: one e-mail when it is back in stock."""

    throttle_scope = "stock_alerts"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(
            required=False,
            allow_blank=True,
            max_length=254,
            help_text="Required for visitors; ignored when signed in (the account's address "
            "is used).",
            error_messages={"invalid": "Enter a valid e-mail address, like name@example.com."},
        )

    def get_permissions(self) -> list[Any]:
        if self.request.method == "DELETE":
            return [permissions.IsAuthenticated()]
        return [permissions.AllowAny()]

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OpenApiResponse(
                StockAlertOutputSerializer,
                description="On the list: one e-mail when the product is back in stock",
            ),
            200: OpenApiResponse(
                StockAlertOutputSerializer,
                description="Already waiting for this product: the same alert, nothing changed "
                "(idempotent, so a second click or tab is not an error)",
            ),
            400: OpenApiResponse(
                description="`email` missing or invalid (visitors), or `product`: it is in "
                "stock (code `in_stock`): add it to the cart instead"
            ),
            404: OpenApiResponse(description="No such product"),
        },
        summary="E-mail me when this product is back in stock",
        description="Signed-in shoppers send no body; visitors send `email`. One e-mail goes "
        "out when the product is restocked, with an unsubscribe link.",
    )
    def post(self, request: Request, product_id: int) -> Response:
        if not id_in_range(product_id):
            raise Product.DoesNotExist
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_for_user(user=request.user)
        result = services.stock_alert_subscribe(  # a visitor without e-mail: 400 on email
            product_id=product_id,
            customer_id=customer.pk if customer else None,
            email=data.validated_data.get("email", ""),
        )
        body = {"product_id": product_id, "status": result.alert.status, "created": result.created}
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(StockAlertOutputSerializer(body).data, status=code)

    @extend_schema(
        request=None,
        responses={204: None, 404: OpenApiResponse(description="No such product")},
        summary="Stop waiting for this product (signed-in shoppers; visitors use the e-mail's "
        "unsubscribe link)",
    )
    def delete(self, request: Request, product_id: int) -> Response:
        if not id_in_range(product_id) or not Product.objects.filter(pk=product_id).exists():
            raise Product.DoesNotExist
        customer = customer_for_user(user=request.user)
        assert customer is not None  # IsAuthenticated
        services.stock_alert_cancel_for_customer(product_id=product_id, customer_id=customer.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StockAlertUnsubscribeApi(APIView):
    """The back-in-stock e-mail's unsubscribe link; the secret token is the only credential."""

    throttle_scope = "stock_alerts"
    authentication_classes: list[Any] = []  # the token, not a session: no CSRF needed

    class OutputSerializer(serializers.Serializer):
        cancelled = serializers.IntegerField(
            help_text="Alerts stopped now (0: nothing was waiting any more)"
        )

    @extend_schema(
        request=None,
        responses={
            200: OutputSerializer,
            404: OpenApiResponse(description="Unknown or mistyped link"),
        },
        summary="Unsubscribe: stop the link's alert and every other waiting one to that person",
    )
    def delete(self, request: Request, token: str) -> Response:
        cancelled = services.stock_alert_unsubscribe(token=token)
        return Response(self.OutputSerializer({"cancelled": cancelled}).data)


# --- staff purchasing (IsAdminUser): purchase orders from the forecast's reorder suggestions


class PurchaseOrderLineOutputSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")
    outstanding = serializers.IntegerField(help_text="ordered minus received")

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "product_id",
            "sku",
            "quantity_ordered",
            "quantity_received",
            "outstanding",
            "unit_cost",
        ]


class PurchaseOrderOutputSerializer(serializers.ModelSerializer):
    """A purchase order as staff manage it; who created it by user id only."""

    supplier = serializers.CharField(source="supplier.name")
    currency = serializers.SerializerMethodField(help_text="ISO 4217 code of the unit costs")
    lines = PurchaseOrderLineOutputSerializer(many=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "supplier_id",
            "supplier",
            "status",
            "expected_date",
            "currency",
            "created_by_id",
            "created_at",
            "sent_at",
            "received_at",
            "cancelled_at",
            "lines",
        ]

    def get_currency(self, order: PurchaseOrder) -> str:
        return str(settings.STORE_CURRENCY)


class PurchaseOrderFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=PurchaseOrder.Status.choices,
        help_text="Repeat for several: status=draft&status=sent",
    )
    supplier = IdFilter(field_name="supplier_id", help_text="Supplier id")

    class Meta:
        model = PurchaseOrder
        fields = ["status", "supplier"]


class PurchaseOrderPagination(PagePagination):
    page_size = 50
    max_page_size = 200  # as the other staff lists


NO_SUCH_PURCHASE_ORDER = OpenApiResponse(description="No such purchase order")
PURCHASE_ORDER_REFUSED = OpenApiResponse(
    description="Refused: the order's status does not allow it (messages under `status`), "
    "or invalid lines (messages under `lines`)"
)


def _purchase_order_response(purchase_order_id: int, status_code: int = 200) -> Response:
    order = selectors.purchase_order_get(purchase_order_id=purchase_order_id)
    return Response(PurchaseOrderOutputSerializer(order).data, status=status_code)


def _purchase_order_id(purchase_order_id: int) -> int:
    if not id_in_range(purchase_order_id):
        raise PurchaseOrder.DoesNotExist  # a 404, not the database's overflow (a 500)
    return purchase_order_id


@extend_schema_view(get=extend_schema(summary="Purchase orders, newest first (staff)"))
class PurchaseOrderListApi(generics.ListAPIView):
    """Purchase orders for staff, newest first, filtered by `status` and `supplier`."""

    permission_classes = [permissions.IsAdminUser]
    serializer_class = PurchaseOrderOutputSerializer
    filterset_class = PurchaseOrderFilter
    pagination_class = PurchaseOrderPagination

    def get_queryset(self) -> QuerySet[PurchaseOrder]:
        return selectors.purchase_order_list()


class PurchaseOrderDetailApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="One purchase order with its lines (staff)",
        responses={200: PurchaseOrderOutputSerializer, 404: NO_SUCH_PURCHASE_ORDER},
    )
    def get(self, request: Request, purchase_order_id: int) -> Response:
        return _purchase_order_response(_purchase_order_id(purchase_order_id))


class PurchaseOrderCreateFromSuggestionsApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        product_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
            required=False,
            allow_empty=False,
            max_length=1000,
            help_text="Order these products' suggestions; omitted: every suggestion at or "
            "below its reorder point",
        )

    class SkippedSerializer(serializers.Serializer):
        product_id = serializers.IntegerField()
        reason = serializers.CharField(
            help_text="no reorder suggestion, nothing to order, no supplier, or already on "
            "an open purchase order"
        )

    @extend_schema(
        summary="Draft purchase orders from reorder suggestions, one per supplier (staff); a "
        "product already on an open purchase order is skipped, not ordered twice",
        request=InputSerializer,
        responses={
            201: inline_serializer(
                name="PurchaseOrdersFromSuggestions",
                fields={
                    "purchase_orders": PurchaseOrderOutputSerializer(many=True),
                    "skipped": SkippedSerializer(many=True),
                },
            ),
            400: OpenApiResponse(description="Invalid product_ids"),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.purchase_orders_create_from_suggestions(
            product_ids=data.validated_data.get("product_ids"), user_id=request.user.pk
        )
        orders = selectors.purchase_order_list().filter(
            pk__in=[o.pk for o in result.purchase_orders]
        )
        body = {
            "purchase_orders": PurchaseOrderOutputSerializer(orders, many=True).data,
            "skipped": self.SkippedSerializer(
                [{"product_id": p, "reason": r} for p, r in result.skipped.items()], many=True
            ).data,
        }
        # 201 also when every product was skipped: the answer says why, per product
        return Response(body, status=status.HTTP_201_CREATED)


class PurchaseOrderReceiveLineSerializer(serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    quantity = serializers.IntegerField(min_value=0, max_value=10**6, help_text="units arrived")


class PurchaseOrderReceiveApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        lines = PurchaseOrderReceiveLineSerializer(
            many=True,
            required=False,
            allow_empty=False,
            help_text="Units arrived per line (at most 1000 lines); omitted: everything "
            "outstanding",
        )

        def validate_lines(self, lines: list[dict[str, int]]) -> list[dict[str, int]]:
            if len(lines) > 1000:
                raise serializers.ValidationError("at most 1000 lines")
            ids = [line["line_id"] for line in lines]
            if len(set(ids)) != len(ids):
                raise serializers.ValidationError("a line is listed twice")
            return lines

    @extend_schema(
        summary="Receive goods of a sent purchase order into stock (staff): all lines or "
        "none; more than a line's outstanding units is refused",
        request=InputSerializer,
        responses={
            200: PurchaseOrderOutputSerializer,
            400: PURCHASE_ORDER_REFUSED,
            404: NO_SUCH_PURCHASE_ORDER,
        },
    )
    def post(self, request: Request, purchase_order_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lines = data.validated_data.get("lines")
        quantities = None if lines is None else {li["line_id"]: li["quantity"] for li in lines}
        order_id = _purchase_order_id(purchase_order_id)
        services.purchase_order_receive(purchase_order_id=order_id, quantities=quantities)
        return _purchase_order_response(order_id)


class PurchaseOrderLineAddApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        product_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
        quantity_ordered = serializers.IntegerField(min_value=1, max_value=10**6)
        unit_cost = serializers.DecimalField(
            max_digits=12,
            decimal_places=2,
            min_value=Decimal("0"),
            required=False,
            help_text="Store currency; omitted: the product's cost",
        )

    @extend_schema(
        summary="Add a line to a draft purchase order by hand (staff): a product of the "
        "order's supplier that is not already on an open order",
        request=InputSerializer,
        responses={
            201: PurchaseOrderOutputSerializer,
            400: OpenApiResponse(
                description="Refused: a product of another supplier or already on an open "
                "order (`product_id`), not a draft (`status`), or an invalid quantity"
            ),
            404: NO_SUCH_PURCHASE_ORDER,
        },
    )
    def post(self, request: Request, purchase_order_id: int) -> Response:
        order_id = _purchase_order_id(purchase_order_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.purchase_order_line_add(
            purchase_order_id=order_id,
            product_id=data.validated_data["product_id"],
            quantity=data.validated_data["quantity_ordered"],
            unit_cost=data.validated_data.get("unit_cost"),
        )
        return _purchase_order_response(order_id, status.HTTP_201_CREATED)


class _PurchaseOrderActionApi(APIView):
    """A staff action on one purchase order that takes no input (send, cancel)."""

    permission_classes = [permissions.IsAdminUser]

    def act(self, purchase_order_id: int) -> object:
        raise NotImplementedError

    def post(self, request: Request, purchase_order_id: int) -> Response:
        order_id = _purchase_order_id(purchase_order_id)
        self.act(order_id)
        return _purchase_order_response(order_id)


@extend_schema_view(
    post=extend_schema(
        summary="Send a draft purchase order to its supplier (staff); the expected date "
        "restarts from today",
        request=None,
        responses={
            200: PurchaseOrderOutputSerializer,
            400: PURCHASE_ORDER_REFUSED,
            404: NO_SUCH_PURCHASE_ORDER,
        },
    )
)
class PurchaseOrderSendApi(_PurchaseOrderActionApi):
    def act(self, purchase_order_id: int) -> object:
        return services.purchase_order_send(purchase_order_id=purchase_order_id)


@extend_schema_view(
    post=extend_schema(
        summary="Cancel an open purchase order (staff); units already received stay in stock",
        request=None,
        responses={
            200: PurchaseOrderOutputSerializer,
            400: PURCHASE_ORDER_REFUSED,
            404: NO_SUCH_PURCHASE_ORDER,
        },
    )
)
class PurchaseOrderCancelApi(_PurchaseOrderActionApi):
    def act(self, purchase_order_id: int) -> object:
        return services.purchase_order_cancel(purchase_order_id=purchase_order_id)


class ProductImportApi(APIView):
    """The product CSV import for scripts: the admin's Import CSV, as an API."""

    permission_classes = [permissions.IsAdminUser]
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="CSV with a header of the import's columns")

    class OutputSerializer(serializers.Serializer):
        received = serializers.IntegerField()
        created = serializers.IntegerField()
        updated = serializers.IntegerField()
        unchanged = serializers.IntegerField()
        categories_created = serializers.ListField(child=serializers.CharField())
        brands_created = serializers.ListField(child=serializers.CharField())
        rejected = serializers.ListField(
            child=serializers.DictField(),
            source="errors",
            help_text='The bad rows: [{"row": line, "sku", "errors": [..]}]',
        )

    @extend_schema(
        summary="Create and update products from a CSV, all rows or none (staff)",
        description="Columns: " + ", ".join(services.PRODUCT_COLUMNS) + ". Keyed by `sku`; "
        "only the columns in the header change. Any bad row: 400 with every bad line in "
        "`rejected` and nothing written.",
        request={"multipart/form-data": InputSerializer},
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(
                response=error_schema_with(
                    {
                        "received": {"type": "integer"},
                        "rejected": {
                            "type": "array",
                            "items": {"type": "object", "additionalProperties": {}},
                        },
                    }
                ),
                description="A bad row: detail, code and the report with every bad line in "
                "`rejected` (nothing written); or not a CSV of the import's columns: `file`",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            mb = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
            raise ServiceError(f"the CSV file is larger than {mb} MB", field="file")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ServiceError("the CSV file must be UTF-8 text", field="file") from exc
        report = services.products_import_csv(text=text, user_id=request.user.pk)
        body: dict[str, Any] = dict(self.OutputSerializer(report).data)
        if report.errors:  # an error body like every other (storefront/api_errors.py)
            body = {
                "detail": "Nothing imported: fix the rows in rejected.",
                "code": "invalid",
                **body,
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body)
