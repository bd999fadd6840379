"""Recommendations API: for-you, similar, bought-together, cart, and click feedback.

Every list response logs one impression event (slot, A/B variant, product ids, sources);
the storefront posts clicks to ``click/``. Anonymous shoppers are identified by session.
"""

from __future__ import annotations

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


def _product_or_404(product_id: int) -> int:
    """The id of a product the shop has (or had: a discontinued one still has alternatives)."""
    from catalog.models import Product

    if not id_in_range(int(product_id)) or not Product.objects.filter(pk=product_id).exists():
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


class LimitInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=facade.MAX_LIMIT, required=False)


LIMIT_PARAM = OpenApiParameter(
    "limit", int, description=f"number of products, 1-{facade.MAX_LIMIT}", required=False
)


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


def _limit(request: Request, default: int) -> int:
    data = LimitInputSerializer(data=request.query_params)
    data.is_valid(raise_exception=True)
    return int(data.validated_data.get("limit", default))


class ForYouListApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Personal recommendations (session/popular for anonymous shoppers)",
        parameters=[LIMIT_PARAM],
        responses=ListOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        limit = _limit(request, 12)
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
        parameters=[LIMIT_PARAM],
        responses={200: ListOutputSerializer, 404: OpenApiResponse(description="No such product")},
    )
    def get(self, request: Request, product_id: int) -> Response:
        product_id = _product_or_404(product_id)
        limit = _limit(request, 8)
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
        parameters=[LIMIT_PARAM],
        responses={200: ListOutputSerializer, 404: OpenApiResponse(description="No such product")},
    )
    def get(self, request: Request, product_id: int) -> Response:
        product_id = _product_or_404(product_id)
        limit = _limit(request, 4)
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

    class InputSerializer(LimitInputSerializer):
        product_ids = serializers.CharField(
            required=False,
            help_text="comma-separated product ids; default: the shopper's open cart",
        )

        def validate_product_ids(self, value: str) -> list[int]:
            try:
                ids = [int(v) for v in value.split(",") if v.strip()]
            except ValueError:
                raise serializers.ValidationError("comma-separated integers expected") from None
            if len(ids) > 100:
                raise serializers.ValidationError("at most 100 product ids")
            if not all(id_in_range(pk) for pk in ids):
                raise serializers.ValidationError(f"product ids are 1 to {ID_MAX}")
            return ids

    @extend_schema(
        summary="Add-ons for the cart (never an item already in it)",
        parameters=[
            LIMIT_PARAM,
            OpenApiParameter("product_ids", str, required=False, description="e.g. 12,40"),
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
            product_ids=ids, limit=data.validated_data.get("limit", 6), customer_id=customer_id
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

    @extend_schema(
        summary="Log a click on a recommendation", request=InputSerializer, responses={204: None}
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
