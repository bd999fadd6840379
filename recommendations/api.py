"""Recommendations API: for-you, similar, bought-together, cart, and click feedback.

Every list response logs one impression event (slot, A/B variant, product ids, sources);
the storefront posts clicks to ``click/``. Anonymous shoppers are identified by session.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recommendations import facade, selectors, services
from recommendations.models import Slot
from storefront.api_errors import ID_MAX, id_in_range

MAX_CART_IDS = 100
_DECIMAL_ID = re.compile(r"[0-9]+")
_ID_DIGITS = len(str(ID_MAX))


def _product_known(product_id: int) -> bool:
    """Whether the shop has (or had: a discontinued one still has alternatives) the product."""
    from catalog.models import Product

    return id_in_range(int(product_id)) and Product.objects.filter(pk=product_id).exists()


def _product_or_404(product_id: int) -> int:
    if not _product_known(product_id):
        raise NotFound("no such product")
    return int(product_id)


def _session_id(request: Request) -> str:
    session = request.session
    if not session.session_key:
        session.save()
    return session.session_key or ""


def _customer_id(request: Request) -> int | None:
    from customers.services import customer_for_user

    customer = customer_for_user(user=request.user)
    return customer.pk if customer else None


class ItemOutputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.SerializerMethodField(help_text="ISO 4217 code of the price")
    score = serializers.FloatField()
    # a field named "source" shadows Field.source only for the type checker; DRF pops it
    source = serializers.CharField(help_text="which source produced the item, or fallback")  # type: ignore[assignment]
    model_version = serializers.CharField(allow_null=True)

    def get_currency(self, item: Any) -> str:
        return str(settings.STORE_CURRENCY)


class ListOutputSerializer(serializers.Serializer):
    slot = serializers.CharField()
    variant = serializers.CharField()
    items = ItemOutputSerializer(many=True)


def _limit_field(default: int) -> serializers.IntegerField:
    # out of bounds is a 400 naming the field, never silently clamped (the facade's own clamp
    # is for Python callers): the schema states the bounds and default a client is held to
    return serializers.IntegerField(
        min_value=1, max_value=facade.MAX_LIMIT, default=default, help_text="number of products"
    )


class ForYouInputSerializer(serializers.Serializer):
    limit = _limit_field(12)


class SimilarInputSerializer(serializers.Serializer):
    limit = _limit_field(8)


class BoughtTogetherInputSerializer(serializers.Serializer):
    limit = _limit_field(4)


def _respond(
    request: Request,
    *,
    slot: str,
    items: list[facade.Recommendation],
    variant: str,
    customer_id: int | None,
) -> Response:
    info = selectors.product_cards(product_ids=[r.product_id for r in items])
    rows: list[dict[str, Any]] = [
        {
            "product_id": r.product_id,
            "name": info[r.product_id][0],
            "slug": info[r.product_id][1],
            "price": info[r.product_id][2],
            "score": r.score,
            "source": r.source,
            "model_version": r.model_version,
        }
        for r in items
        if r.product_id in info
    ]
    services.recommendation_feedback_record(
        kind="impression",
        slot=slot,
        session_id=_session_id(request),
        customer_id=customer_id,
        variant=variant,
        items=[(r["product_id"], r["source"]) for r in rows],
    )
    return Response(ListOutputSerializer({"slot": slot, "variant": variant, "items": rows}).data)


def _limit(request: Request, serializer: type[serializers.Serializer]) -> int:
    data = serializer(data=request.query_params)
    data.is_valid(raise_exception=True)
    return int(data.validated_data["limit"])


class ForYouListApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Personal recommendations (session/popular for anonymous shoppers)",
        parameters=[ForYouInputSerializer],
        responses=ListOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        limit = _limit(request, ForYouInputSerializer)
        customer_id = _customer_id(request)
        session_id = _session_id(request)
        cart = selectors.cart_product_ids(customer_id=customer_id, session_id=session_id)
        result = facade.for_you_set(
            customer_id=customer_id, session_id=session_id, limit=limit, exclude_product_ids=cart
        )
        return _respond(
            request,
            slot=Slot.FOR_YOU,
            items=result.items,
            variant=result.variant,
            customer_id=customer_id,
        )


class ProductSimilarListApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Products similar to this one (bought by the same customers, or content)",
        description="Never the product itself or what is in the shopper's cart. Without a "
        'trained model: the same category, alike in attributes and price (source "same_category").',
        parameters=[SimilarInputSerializer],
        responses={200: ListOutputSerializer, 404: OpenApiResponse(description="No such product")},
    )
    def get(self, request: Request, product_id: int) -> Response:
        product_id = _product_or_404(product_id)
        limit = _limit(request, SimilarInputSerializer)
        customer_id = _customer_id(request)
        cart = selectors.cart_product_ids(customer_id=customer_id, session_id=_session_id(request))
        items = facade.similar_products(
            product_id=product_id, limit=limit, customer_id=customer_id, exclude_product_ids=cart
        )
        return _respond(
            request, slot=Slot.SIMILAR, items=items, variant="", customer_id=customer_id
        )


class ProductBoughtTogetherListApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Frequently bought together with this product",
        description="Never the product itself or what is in the shopper's cart. Without a "
        'trained model: products from the same orders (source "co_purchase"), then popular '
        'products of other categories (source "complement").',
        parameters=[BoughtTogetherInputSerializer],
        responses={200: ListOutputSerializer, 404: OpenApiResponse(description="No such product")},
    )
    def get(self, request: Request, product_id: int) -> Response:
        product_id = _product_or_404(product_id)
        limit = _limit(request, BoughtTogetherInputSerializer)
        customer_id = _customer_id(request)
        cart = selectors.cart_product_ids(customer_id=customer_id, session_id=_session_id(request))
        items = facade.bought_together(
            product_id=product_id, limit=limit, customer_id=customer_id, exclude_product_ids=cart
        )
        return _respond(
            request, slot=Slot.BOUGHT_TOGETHER, items=items, variant="", customer_id=customer_id
        )


class CartRecommendationListApi(APIView):
    permission_classes = [permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        limit = _limit_field(6)
        product_ids = serializers.CharField(required=False)

        def validate_product_ids(self, value: str) -> list[int]:
            # strictly what the schema says (1-100 decimal ids, 1,2,3): int() alone also took
            # "+5", "1_000", "1, 7" and skipped empty items, none of which the schema allows
            items = value.split(",")
            if not all(_DECIMAL_ID.fullmatch(item) for item in items):
                raise serializers.ValidationError("comma-separated integers expected")
            if len(items) > MAX_CART_IDS:
                raise serializers.ValidationError(f"at most {MAX_CART_IDS} product ids")
            # digits counted first: int() of a 5,000-digit string raises ValueError (a 500)
            if not all(len(item) <= _ID_DIGITS and id_in_range(int(item)) for item in items):
                raise serializers.ValidationError(f"product ids are 1 to {ID_MAX}")
            return [int(item) for item in items]

    @extend_schema(
        summary="Add-ons for the cart (never an item already in it)",
        parameters=[
            InputSerializer,
            # after the serializer, so this replaces the plain string it would document
            OpenApiParameter(
                "product_ids",
                {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1, "maximum": ID_MAX},
                    "minItems": 1,
                    "maxItems": MAX_CART_IDS,
                },
                required=False,
                style="form",
                explode=False,
                description="comma-separated product ids, e.g. 12,40; "
                "absent or empty: the shopper's open cart",
            ),
        ],
        responses=ListOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        customer_id = _customer_id(request)
        ids = data.validated_data.get("product_ids")
        if ids is None:
            ids = selectors.cart_product_ids(
                customer_id=customer_id, session_id=_session_id(request)
            )
        items = facade.cart_recommendations(
            product_ids=ids, limit=data.validated_data["limit"], customer_id=customer_id
        )
        return _respond(request, slot=Slot.CART, items=items, variant="", customer_id=customer_id)


class RecommendationClickApi(APIView):
    """The storefront reports a click on a recommended product (for CTR per slot/source)."""

    permission_classes = [permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        product_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
        slot = serializers.ChoiceField(choices=Slot.values)
        source = serializers.CharField(max_length=40, required=False, default="")  # type: ignore[assignment]
        variant = serializers.CharField(max_length=40, required=False, default="")
        position = serializers.IntegerField(min_value=1, max_value=100, required=False)

        def validate_product_id(self, value: int) -> int:
            # an unknown id used to pass, fail the event's foreign key and log a traceback per
            # request (a 204, nothing saved): a 400 as for an id out of range
            if not _product_known(value):
                raise serializers.ValidationError("no such product")
            return value

    @extend_schema(
        summary="Log a click on a recommendation",
        request=InputSerializer,
        responses={
            204: None,
            400: OpenApiResponse(
                description="Invalid input, such as a product_id of no product (field messages "
                "under each field's name)."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer_id = _customer_id(request)
        session_id = _session_id(request)
        services.recommendation_feedback_record(
            kind="click",
            session_id=session_id,
            customer_id=customer_id,
            **data.validated_data,
        )
        if data.validated_data["slot"] == Slot.FOR_YOU and data.validated_data.get("variant"):
            from mlops import experiments

            experiments.conversion_log(
                facade.EXPERIMENT_KEY, f"c{customer_id}" if customer_id else session_id
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
