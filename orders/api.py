import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.services import address_remember, customer_for_user
from orders import selectors, services
from orders.models import (
    Cart,
    Fulfilment,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    OrderStatusHistory,
    Payment,
    Refund,
    delivery_window_text,
)
from storefront.api_errors import ID_MAX, ServiceError
from storefront.pagination import PagePagination
from taxes import facade as taxes

CART_TOKEN_HEADER = "X-Cart-Token"
CART_TOKEN_PARAM = OpenApiParameter(
    CART_TOKEN_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="For clients without the session cookie: the `token` of an anonymous cart "
    "(from `GET cart/`). Guests send it on every cart and checkout call, and to read the order "
    "placed from that cart.",
)
UNKNOWN_CART = OpenApiResponse(description="Unknown or closed X-Cart-Token")
BAD_LINE = OpenApiResponse(description="Invalid quantity or no such product")
NOT_ENOUGH_STOCK = OpenApiResponse(description="Not enough stock")


def _cart_token(request: Request) -> str | None:
    """The X-Cart-Token header; a malformed one is an unknown cart (404), like a stale one."""
    token = request.headers.get(CART_TOKEN_HEADER)
    if not token:
        return None
    try:
        return str(uuid.UUID(token))
    except ValueError:
        raise _unknown_cart() from None


def _unknown_cart() -> ServiceError:
    return ServiceError("unknown or closed cart token", field="cart", status=404, code="not_found")


def session_id_for(request: Request) -> str:
    session = request.session
    if not session.session_key:
        session.save()
    return session.session_key or ""


def cart_for_request(request: Request, *, create: bool = True) -> Cart:
    """The shopper's cart: by customer when logged in, else by session or X-Cart-Token."""
    token = _cart_token(request)
    customer = customer_for_user(user=request.user)
    if token and customer is None:
        cart = Cart.objects.filter(token=token, status=Cart.Status.OPEN).first()
        if cart is None or cart.customer_id is not None:
            raise _unknown_cart()
        return cart
    return services.cart_get_or_create(
        customer_id=customer.pk if customer else None, session_id=session_id_for(request)
    )


class CartLineOutputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    unit_price = serializers.DecimalField(source="product.price", max_digits=12, decimal_places=2)
    quantity = serializers.IntegerField()
    line_total = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField()

    def get_line_total(self, line: Any) -> str:
        return f"{line.product.price * line.quantity:.2f}"

    def get_available(self, line: Any) -> int:
        if not line.product.is_active:  # discontinued: checkout refuses it as sold out
            return 0
        stock = getattr(line.product, "stock", None)
        return max(stock.available, 0) if stock else 0


class ShippingQuoteOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        source="method.pk",
        allow_null=True,
        help_text="What to send as `shipping_method`; null only for the built-in Standard "
        "delivery of a store with no method configured (checkout uses it by default)",
    )
    name = serializers.CharField(source="method.name")
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="For this cart: 0.00 when delivery is free"
    )
    free_from = serializers.DecimalField(
        source="method.free_from",
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Free when the goods after the discount reach this; null: never free",
    )
    countries = serializers.ListField(
        child=serializers.CharField(),
        source="method.countries",
        help_text="ISO 3166-1 alpha-2 codes it delivers to; empty: everywhere",
    )
    min_days = serializers.IntegerField(source="method.min_days", help_text="Working days")
    max_days = serializers.IntegerField(source="method.max_days", help_text="Working days")
    delivery_earliest = serializers.DateField(
        source="earliest", help_text="If ordered now, in the store's time zone; weekends skipped"
    )
    delivery_latest = serializers.DateField(source="latest")
    delivery_window = serializers.SerializerMethodField(help_text="e.g. 'Tue 8 – Wed 9 Dec'")

    def get_delivery_window(self, quote: services.ShippingQuote) -> str:
        return delivery_window_text(quote.earliest, quote.latest)


# totals, the code's problem, the methods on offer, the chosen one (None: nothing delivers)
_CartMoney = tuple[
    services.Totals, str | None, list[services.ShippingQuote], services.ShippingQuote | None
]


class CartOutputSerializer(serializers.Serializer):
    token = serializers.UUIDField()
    lines = CartLineOutputSerializer(many=True)
    item_count = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField(help_text="ISO 4217 code of every amount")
    subtotal = serializers.SerializerMethodField(help_text="The goods, before any discount")
    voucher_code = serializers.SerializerMethodField(help_text="The applied discount code")
    discount = serializers.SerializerMethodField(
        help_text="Taken off the goods by the discount code (never off shipping)"
    )
    voucher_problem = serializers.SerializerMethodField(
        help_text="Why the applied code takes nothing off now (checkout refuses it until it "
        "is removed or the cart qualifies again); null when it applies"
    )
    shipping = serializers.SerializerMethodField(
        help_text="The chosen method's fee for this cart; free when the goods after the "
        "discount reach free_shipping_from"
    )
    total = serializers.SerializerMethodField(help_text="subtotal - discount + shipping")
    free_shipping_from = serializers.SerializerMethodField(
        help_text="The chosen method's free-delivery threshold; null when it is never free"
    )
    free_shipping_missing = serializers.SerializerMethodField(
        help_text="Goods to add for free delivery by the chosen method, as checkout judges it "
        "(after the discount the code would give on the larger subtotal); 0.00 when delivery "
        "is free, null when no amount makes it free (a 100 % code, or a method never free)"
    )
    shipping_country = serializers.SerializerMethodField(
        help_text="The country the methods are listed for (the `country` asked); null: all"
    )
    shipping_methods = serializers.SerializerMethodField(
        help_text="Delivery methods for this cart (for `shipping_country`, else all active "
        "ones), in the merchant's order, priced for this cart"
    )
    shipping_method = serializers.SerializerMethodField(
        help_text="The chosen method: the one picked with `PUT cart/shipping-method/` while it "
        "is on offer, else the cheapest; `shipping` is its price. Null when none delivers"
    )
    tax_included = serializers.SerializerMethodField(
        help_text="The VAT contained in `total` (prices include it), by the rates of "
        "`shipping_country`, else the store's country"
    )
    tax_country = serializers.SerializerMethodField(
        help_text="The country whose VAT `tax_included` is (`shipping_country` or the store's)"
    )

    def _money(self, cart: Cart) -> _CartMoney:
        """The cart's totals (delivery by the chosen method), its code's problem, the methods
        on offer and the chosen one, worked out once per response."""
        cache: dict[int, _CartMoney]
        cache = self._money_cache = getattr(self, "_money_cache", {})
        if cart.pk not in cache:
            subtotal = services.lines_subtotal(cart.lines.all())
            problem, discount = None, Decimal("0")
            if cart.voucher is not None:
                problem = services.voucher_refusal(
                    voucher=cart.voucher, subtotal=subtotal, customer_id=cart.customer_id
                )
                if problem is None:
                    discount = services.voucher_discount(voucher=cart.voucher, subtotal=subtotal)
            country = self.context.get("country")
            quotes = services.shipping_quotes(subtotal=subtotal, discount=discount, country=country)
            chosen = services.shipping_quote_chosen(
                quotes, method_id=cart.shipping_method_id, country=country
            )
            totals = services.totals_compute(
                subtotal=subtotal, discount=discount, method=chosen.method if chosen else None
            )
            if chosen is None:  # nothing delivers there: no fee to add (checkout refuses)
                totals = services.Totals(
                    totals.subtotal,
                    totals.discount,
                    Decimal("0.00"),
                    totals.total - totals.shipping,
                )
            cache[cart.pk] = (totals, problem, quotes, chosen)
        return cache[cart.pk]

    def get_currency(self, cart: Cart) -> str:
        return str(settings.STORE_CURRENCY)

    def get_item_count(self, cart: Cart) -> int:
        return sum(line.quantity for line in cart.lines.all())

    def get_subtotal(self, cart: Cart) -> str:
        return f"{self._money(cart)[0].subtotal:.2f}"

    def get_voucher_code(self, cart: Cart) -> str | None:
        return cart.voucher.code if cart.voucher is not None else None

    def get_discount(self, cart: Cart) -> str:
        return f"{self._money(cart)[0].discount:.2f}"

    def get_voucher_problem(self, cart: Cart) -> str | None:
        return self._money(cart)[1]

    def get_shipping(self, cart: Cart) -> str:
        return f"{self._money(cart)[0].shipping:.2f}"

    def get_total(self, cart: Cart) -> str:
        return f"{self._money(cart)[0].total:.2f}"

    def get_free_shipping_from(self, cart: Cart) -> str | None:
        chosen = self._money(cart)[3]
        free_from = chosen.method.free_from if chosen is not None else None
        return None if free_from is None else f"{free_from:.2f}"

    def get_free_shipping_missing(self, cart: Cart) -> str | None:
        totals, _, _, chosen = self._money(cart)
        if chosen is None:
            return None
        missing = services.free_shipping_missing(
            subtotal=totals.subtotal,
            voucher=cart.voucher,
            customer_id=cart.customer_id,
            free_from=chosen.method.free_from,
        )
        return None if missing is None else f"{missing:.2f}"

    def get_shipping_country(self, cart: Cart) -> str | None:
        country: str | None = self.context.get("country")
        return country

    @extend_schema_field(ShippingQuoteOutputSerializer(many=True))
    def get_shipping_methods(self, cart: Cart) -> Any:
        return ShippingQuoteOutputSerializer(self._money(cart)[2], many=True).data

    @extend_schema_field(ShippingQuoteOutputSerializer(allow_null=True))
    def get_shipping_method(self, cart: Cart) -> Any:
        chosen = self._money(cart)[3]
        return None if chosen is None else ShippingQuoteOutputSerializer(chosen).data

    def get_tax_country(self, cart: Cart) -> str:
        return str(self.context.get("country") or settings.STORE_COUNTRY).upper()

    def get_tax_included(self, cart: Cart) -> str:
        totals = self._money(cart)[0]
        lines = list(cart.lines.all())
        vat = taxes.order_taxes(
            country=self.get_tax_country(cart),
            lines=[
                taxes.TaxableLine(
                    amount=services.lines_subtotal([line]), product_id=line.product_id
                )
                for line in lines
            ],
            discount=totals.discount,
            shipping=totals.shipping,
        )
        return f"{vat.total_tax:.2f}"


def _cart_response(cart: Cart, status_code: int = 200, *, country: str | None = None) -> Response:
    return Response(
        CartOutputSerializer(
            selectors.cart_with_lines(cart_id=cart.pk), context={"country": country}
        ).data,
        status=status_code,
    )


COUNTRY_FIELD_HELP = (
    "ISO 3166-1 alpha-2 of the delivery address (e.g. GB): list only the methods that deliver "
    "there; without it, every active method"
)


class CartDetailApi(APIView):
    class FilterSerializer(serializers.Serializer):
        country = serializers.RegexField(
            r"^[A-Z]{2}$", required=False, help_text=COUNTRY_FIELD_HELP
        )

    @extend_schema(
        parameters=[CART_TOKEN_PARAM, FilterSerializer],
        responses={
            200: CartOutputSerializer,
            400: OpenApiResponse(description="Bad country"),
            404: UNKNOWN_CART,
        },
        summary="The shopper's current cart, with the delivery methods priced for it",
    )
    def get(self, request: Request) -> Response:
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return _cart_response(
            cart_for_request(request), country=query.validated_data.get("country")
        )


class CartShippingMethodApi(APIView):
    class InputSerializer(serializers.Serializer):
        shipping_method = serializers.IntegerField(
            min_value=1,
            max_value=ID_MAX,
            help_text="The `id` of one of the cart's `shipping_methods`",
        )
        country = serializers.RegexField(
            r"^[A-Z]{2}$",
            required=False,
            help_text="The delivery address's country (ISO 3166-1 alpha-2), when known: the "
            "method must deliver there, and the answer lists the methods for it",
        )

    @extend_schema(
        request=InputSerializer,
        parameters=[CART_TOKEN_PARAM],
        responses={
            200: CartOutputSerializer,
            400: OpenApiResponse(
                description="Unknown or inactive method, or one that does not deliver to "
                "`country` (under `shipping_method`)"
            ),
            404: UNKNOWN_CART,
        },
        summary="Choose the cart's delivery method (checkout charges it)",
    )
    def put(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart = cart_for_request(request)
        country = data.validated_data.get("country")
        services.cart_shipping_method_set(
            cart=cart, method_id=data.validated_data["shipping_method"], country=country
        )
        return _cart_response(cart, country=country)

    @extend_schema(
        request=InputSerializer,
        parameters=[CART_TOKEN_PARAM],
        responses={
            200: CartOutputSerializer,
            400: OpenApiResponse(
                description="Unknown or inactive method, or one that does not deliver to "
                "`country` (under `shipping_method`)"
            ),
            404: UNKNOWN_CART,
        },
        summary="Choose the cart's delivery method (as PUT, for clients without PUT)",
    )
    def post(self, request: Request) -> Response:
        return self.put(request)


class CartLineAddApi(APIView):
    class InputSerializer(serializers.Serializer):
        product_id = serializers.IntegerField(min_value=1)
        quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)

    @extend_schema(
        request=InputSerializer,
        parameters=[CART_TOKEN_PARAM],
        responses={
            201: CartOutputSerializer,
            400: BAD_LINE,
            404: UNKNOWN_CART,
            409: NOT_ENOUGH_STOCK,
        },
        summary="Add a product to the cart",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart = cart_for_request(request)
        services.cart_line_set(cart=cart, add=True, **data.validated_data)
        return _cart_response(cart, status.HTTP_201_CREATED)


class CartLineUpdateApi(APIView):
    class InputSerializer(serializers.Serializer):
        quantity = serializers.IntegerField(min_value=0, max_value=99)

    @extend_schema(
        request=InputSerializer,
        parameters=[CART_TOKEN_PARAM],
        responses={
            200: CartOutputSerializer,
            400: BAD_LINE,
            404: UNKNOWN_CART,
            409: NOT_ENOUGH_STOCK,
        },
        summary="Change a line's quantity (0 removes it)",
    )
    def patch(self, request: Request, product_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart = cart_for_request(request)
        services.cart_line_set(cart=cart, product_id=product_id, **data.validated_data)
        return _cart_response(cart)

    @extend_schema(
        parameters=[CART_TOKEN_PARAM],
        responses={
            200: CartOutputSerializer,
            400: OpenApiResponse(description="No such product"),
            404: UNKNOWN_CART,
        },
        summary="Remove a line (answers with the cart, like the other cart calls)",
    )
    def delete(self, request: Request, product_id: int) -> Response:
        cart = cart_for_request(request)
        services.cart_line_set(cart=cart, product_id=product_id, quantity=0)
        return _cart_response(cart)


class CartVoucherApi(APIView):
    # from checkout's budget: each request guesses one code
    throttle_scope = "checkout"

    class InputSerializer(serializers.Serializer):
        voucher_code = serializers.CharField(max_length=32, help_text="Any case: SAVE10 = save10")

    @extend_schema(
        request=InputSerializer,
        parameters=[CART_TOKEN_PARAM],
        responses={
            200: CartOutputSerializer,
            400: OpenApiResponse(
                description="Unknown, inactive, expired, not yet valid or used up code, already "
                "used by this customer, or the cart is below its minimum (under `voucher_code`)"
            ),
            404: UNKNOWN_CART,
        },
        summary="Apply a discount code to the cart (replaces the one applied)",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart = cart_for_request(request)
        services.cart_voucher_apply(cart=cart, code=data.validated_data["voucher_code"])
        return _cart_response(cart)

    @extend_schema(
        parameters=[CART_TOKEN_PARAM],
        responses={200: CartOutputSerializer, 404: UNKNOWN_CART},
        summary="Remove the discount code from the cart",
    )
    def delete(self, request: Request) -> Response:
        cart = cart_for_request(request)
        services.cart_voucher_remove(cart=cart)
        return _cart_response(cart)


class AddressSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=120)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.RegexField(r"^[A-Z]{2}$", help_text="ISO 3166-1 alpha-2, e.g. GB")


class OrderLineOutputSerializer(serializers.ModelSerializer):
    tax_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="VAT percent (20.00); null on orders from before taxes were recorded",
    )
    tax = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="The VAT in what was paid for this line (after its share of the discount)",
    )

    class Meta:
        model = OrderLine
        fields = ["product_id", "sku", "name", "unit_price", "quantity", "line_total"]
        fields += ["tax_rate", "tax"]


class InvoiceLineOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = ["description", "sku", "quantity", "unit_price", "discount", "tax_rate"]
        fields += ["net", "tax", "gross"]


def _invoice_url(invoice: Invoice) -> str:
    return f"/order/{invoice.order.number}/invoice/{invoice.number}/"


class InvoiceSummaryOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The printable invoice page")

    class Meta:
        model = Invoice
        fields = ["number", "kind", "issued_at", "total_gross", "total_tax", "url"]

    def get_url(self, invoice: Invoice) -> str:
        return _invoice_url(invoice)


class InvoiceOutputSerializer(serializers.ModelSerializer):
    lines = InvoiceLineOutputSerializer(many=True)
    order = serializers.CharField(source="order.number")
    credits: serializers.SlugRelatedField[Invoice] = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        help_text="The invoice a credit note corrects; null on an invoice",
    )
    url = serializers.SerializerMethodField(help_text="The printable invoice page")

    class Meta:
        model = Invoice
        fields = ["number", "kind", "order", "credits", "issued_at", "currency", "seller"]
        fields += ["buyer", "tax_country", "total_net", "total_tax", "total_gross", "lines", "url"]

    def get_url(self, invoice: Invoice) -> str:
        return _invoice_url(invoice)


SHOPPER_OUTCOME: dict[str, str] = {
    Order.Status.PAID: "confirmed",
    Order.Status.FULFILLED: "confirmed",
    Order.Status.ON_HOLD: "under_review",
    Order.Status.CANCELLED: "declined",
    Order.Status.REFUNDED: "refunded",
    Order.Status.PENDING: "processing",
}


class OrderOutputSerializer(serializers.ModelSerializer):
    lines = OrderLineOutputSerializer(many=True)
    outcome = serializers.SerializerMethodField(
        help_text="confirmed | under_review | declined | refunded | processing"
    )
    shipping_method = serializers.CharField(
        source="shipping_method_name",
        help_text="The delivery method's name at checkout ('' on orders from before methods)",
    )
    delivery_earliest = serializers.DateField(
        allow_null=True, help_text="Expected delivery, from (working days; store's time zone)"
    )
    delivery_latest = serializers.DateField(allow_null=True, help_text="Expected delivery, by")
    total_tax = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="The VAT contained in `total`; null on orders from before taxes were recorded",
    )
    total_net = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="`total` without VAT"
    )
    invoices = InvoiceSummaryOutputSerializer(
        many=True, help_text="The VAT invoice once paid, and a credit note per refund"
    )

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "outcome",
            "currency",
            "subtotal",
            "discount",
            "voucher_code",
            "shipping",
            "shipping_method",
            "delivery_earliest",
            "delivery_latest",
            "total",
            "tax_country",
            "total_net",
            "total_tax",
            "placed_at",
            "lines",
            "shipping_address",
            "invoices",
        ]

    def get_outcome(self, order: Order) -> str:
        return SHOPPER_OUTCOME.get(order.status, order.status)


class CheckoutApi(APIView):
    throttle_scope = "checkout"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        shipping_address = AddressSerializer()
        billing_address = AddressSerializer(required=False)
        card_number = serializers.CharField(
            max_length=23,
            help_text="Simulated gateway; "
            "4242 4242 4242 4242 succeeds, 4000000000000002 is declined",
        )
        card_expiry = serializers.RegexField(r"^(0[1-9]|1[0-2])/\d{2}$", default="12/30")
        card_cvc = serializers.RegexField(r"^\d{3,4}$", default="123")
        device_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
        shipping_method = serializers.IntegerField(
            min_value=1,
            max_value=ID_MAX,
            required=False,
            help_text="A delivery method `id` from the cart's `shipping_methods` for this "
            "address's country; default: the cart's chosen method, else the cheapest",
        )

    @extend_schema(
        request=InputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                # the bound order_place enforces (a longer key was a 400 the schema allowed)
                {"type": "string", "minLength": 1, "maxLength": 64},
                OpenApiParameter.HEADER,
                required=True,
                description="Same key returns the same order (1-64 characters)",
            ),
            CART_TOKEN_PARAM,
        ],
        examples=[
            OpenApiExample(
                "Guest checkout",
                request_only=True,
                value={
                    "email": "ada@example.com",
                    "shipping_address": {
                        "full_name": "Ada Shopper",
                        "line1": "1 High Street",
                        "city": "London",
                        "postal_code": "N1 1AA",
                        "country": "GB",
                    },
                    "card_number": "4242424242424242",
                },
            )
        ],
        responses={
            201: OpenApiResponse(
                OrderOutputSerializer,
                description=(
                    "The attempt is recorded as an order: read `outcome`. `confirmed` is paid, "
                    "`under_review` is held by fraud review, `declined` means the card was refused "
                    "or the order blocked (status cancelled); the cart then stays open, so the "
                    "shopper can pay with another card under a new Idempotency-Key."
                ),
            ),
            400: OpenApiResponse(description="Invalid input"),
            404: UNKNOWN_CART,
            409: OpenApiResponse(description="Sold out or cart already checked out"),
            422: OpenApiResponse(description="Idempotency-Key already used for another cart"),
        },
        summary="Place an order from the current cart",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        key = request.headers.get("Idempotency-Key", "")
        customer = customer_for_user(user=request.user)
        previous = selectors.order_for_idempotency_key(
            key=key,
            customer_id=customer.pk if customer else None,
            session_id=session_id_for(request),
            cart_token=_cart_token(request),
        )
        if previous is not None:
            current = (
                None
                if _cart_token(request)  # the token names the cart the key was used with
                else selectors.open_cart_with_lines(
                    customer_id=customer.pk if customer else None,
                    session_id=session_id_for(request),
                )
            )
            if current is not None and current != previous.cart_id:
                # a new cart under an old key is a new order, not a retry (IETF draft: 422)
                raise ServiceError(
                    f"this Idempotency-Key already placed order {previous.number}; "
                    "send a new key for a new order",
                    field="idempotency_key",
                    status=422,
                    code="idempotency_key_reused",
                )
            # a retried request: same answer, no second order
            order = Order.objects.prefetch_related("lines").get(pk=previous.pk)
            return Response(OrderOutputSerializer(order).data, status=status.HTTP_201_CREATED)
        cart = cart_for_request(request)
        order = services.order_place(
            cart_id=cart.pk,
            idempotency_key=key,
            email=values["email"],
            shipping_address=values["shipping_address"],
            billing_address=values.get("billing_address"),
            card=services.CardInput(
                values["card_number"], values["card_expiry"], values["card_cvc"]
            ),
            context=services.PaymentContext(
                ip_address=request.META.get("REMOTE_ADDR"),
                ip_country=request.headers.get("X-Country", "")[:2].upper(),
                device_id=values.get("device_id", ""),
                session_id=session_id_for(request),
            ),
            shipping_method_id=values.get("shipping_method"),
        )
        order = Order.objects.prefetch_related("lines").get(pk=order.pk)
        if order.customer_id is not None:
            # The next checkout starts filled in (the shopper can change it there).
            address_remember(customer_id=order.customer_id, address=values["shipping_address"])
        if order.customer_id is None:
            # Guests may look at their order later in this session only.
            request.session.setdefault("guest_orders", [])
            if order.number not in request.session["guest_orders"]:
                request.session["guest_orders"] = [*request.session["guest_orders"], order.number]
        return Response(OrderOutputSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderListApi(generics.ListAPIView):
    """The logged-in customer's orders, newest first."""

    serializer_class = OrderOutputSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        customer = customer_for_user(user=self.request.user)
        assert customer is not None  # IsAuthenticated
        return selectors.order_list_for_customer(customer_id=customer.pk)


class OrderDetailApi(APIView):
    @extend_schema(
        parameters=[CART_TOKEN_PARAM],
        responses={200: OrderOutputSerializer, 404: OpenApiResponse(description="No such order")},
        summary="One of my orders (guests: in the checkout's session, or by X-Cart-Token)",
    )
    def get(self, request: Request, number: str) -> Response:
        return Response(OrderOutputSerializer(_order_for_request(request, number)).data)


def _order_for_request(request: Request, number: str) -> Order:
    """The shopper's own order: a customer's, a guest's of this session, or the order of the
    cart whose X-Cart-Token is sent. Raises Order.DoesNotExist (404) for anyone else's."""
    customer = customer_for_user(user=request.user)
    token = _cart_token(request) if customer is None else None
    if customer is not None:
        return selectors.order_get_for_customer(customer_id=customer.pk, number=number)
    if number in request.session.get("guest_orders", []):
        return Order.objects.prefetch_related("lines").get(number=number, customer__isnull=True)
    if token:
        # A cookie-less guest proves the order is theirs with the cart it was placed from.
        return Order.objects.prefetch_related("lines").get(
            number=number, customer__isnull=True, cart__token=token
        )
    raise Order.DoesNotExist


class OrderInvoiceDetailApi(APIView):
    @extend_schema(
        parameters=[CART_TOKEN_PARAM],
        responses={
            200: InvoiceOutputSerializer,
            404: OpenApiResponse(description="No such order or invoice"),
        },
        summary="An invoice or credit note of one of my orders, with its lines",
    )
    def get(self, request: Request, number: str, invoice_number: str) -> Response:
        order = _order_for_request(request, number)
        invoice = selectors.invoice_get(order_id=order.pk, number=invoice_number)
        return Response(InvoiceOutputSerializer(invoice).data)


class CartMergeApi(APIView):
    """For token clients: move an anonymous cart (by its token) into the logged-in
    customer's cart. Session clients get this automatically when they log in."""

    permission_classes = [permissions.IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        cart_token = serializers.UUIDField()

    @extend_schema(
        request=InputSerializer,
        responses={200: CartOutputSerializer, 404: OpenApiResponse(description="Unknown token")},
        summary="Merge an anonymous cart into mine",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_for_user(user=request.user)
        assert customer is not None
        anonymous = Cart.objects.filter(
            token=data.validated_data["cart_token"], customer__isnull=True, status=Cart.Status.OPEN
        ).first()
        if anonymous is None:
            raise ServiceError(
                "unknown or closed cart token", field="cart_token", status=404, code="not_found"
            )
        cart = services.cart_merge(session_id=anonymous.session_id, customer_id=customer.pk)
        return _cart_response(cart)


# --- staff: order management -----------------------------------------------------------------


class StaffOrderLineOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["product_id", "sku", "name", "unit_price", "quantity", "line_total"]


class StaffPaymentOutputSerializer(serializers.ModelSerializer):
    # no card fingerprint, IP or device: those are fraud signals, not order management
    class Meta:
        model = Payment
        fields = ["id", "amount", "status", "card_brand", "created_at"]


class StaffRefundOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "reason", "created_at"]


class StaffFulfilmentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Fulfilment
        fields = ["carrier", "tracking_number", "shipped_at", "shipped_by_id"]


class StaffStatusHistoryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderStatusHistory
        fields = ["status", "note", "created_at"]


class StaffOrderOutputSerializer(serializers.ModelSerializer):
    """An order as staff manage it: by customer id, without e-mail or addresses (as the other
    staff endpoints: personal data stays in the admin)."""

    customer_id = serializers.IntegerField(allow_null=True, help_text="null for a guest")
    lines = StaffOrderLineOutputSerializer(many=True)
    payments = StaffPaymentOutputSerializer(many=True)
    refunds = StaffRefundOutputSerializer(many=True)
    fulfilments = StaffFulfilmentOutputSerializer(many=True)
    history = StaffStatusHistoryOutputSerializer(
        many=True, help_text="Status changes, oldest first"
    )

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "currency",
            "subtotal",
            "discount",
            "voucher_code",
            "shipping",
            "shipping_method_name",
            "total",
            "placed_at",
            "customer_id",
            "lines",
            "payments",
            "refunds",
            "fulfilments",
            "history",
        ]


_UNENCODED_PLUS = re.compile(r"(\d) (\d{2}(:?\d{2})?)$")


class AwareDateTimeField(IsoDateTimeField):
    """ISO 8601; without an offset the time is read in the store's time zone (TIME_ZONE)."""

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, str):
            # "+01:00" sent unencoded in a query string arrives as " 01:00"
            value = _UNENCODED_PLUS.sub(r"\1+\2", value.strip())
        parsed: datetime | None = super().to_python(value)
        if parsed is not None:
            try:
                parsed.astimezone(UTC)  # what the database compares; year 1 at +14:00 overflows
            except OverflowError:
                raise ValidationError("Enter a date/time within range.", code="invalid") from None
        return parsed


class AwareDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = AwareDateTimeField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class CustomerIdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class StableOrderingFilter(django_filters.OrderingFilter):
    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        qs = super().filter(qs, value)
        if value:  # orders of equal totals keep one order, so no row shows on two pages
            qs = qs.order_by(*qs.query.order_by, "-pk")
        return qs


class StaffOrderFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Order.Status.choices, help_text="Repeat for several: status=paid&status=on_hold"
    )
    placed_after = AwareDateTimeFilter(
        field_name="placed_at",
        lookup_expr="gte",
        help_text="Placed at or after this ISO 8601 time (no offset: the store's time zone)",
    )
    placed_before = AwareDateTimeFilter(
        field_name="placed_at",
        lookup_expr="lt",
        help_text="Placed before this ISO 8601 time (no offset: the store's time zone)",
    )
    customer = CustomerIdFilter(
        field_name="customer_id", min_value=1, max_value=ID_MAX, help_text="Customer id"
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=254,
        help_text="An order number (or its start), or the customer's whole e-mail address",
    )
    ordering = StableOrderingFilter(
        fields=(("placed_at", "placed_at"), ("total", "total"), ("number", "number")),
        help_text="placed_at, total or number; '-' for descending (default -placed_at)",
    )

    class Meta:
        model = Order
        fields = ["status", "placed_after", "placed_before", "customer", "search"]

    def filter_search(self, qs: QuerySet[Order], name: str, value: str) -> QuerySet[Order]:
        value = value.strip()
        if not value:
            return qs
        # a whole address only: staff look up who wrote in, not browse e-mails by fragment
        return qs.filter(
            Q(number__istartswith=value)
            | Q(email__iexact=value)
            | Q(customer__user__email__iexact=value)
        )


class StaffOrderPagination(PagePagination):
    page_size = 50
    max_page_size = 200  # as the other staff queues


def _staff_note(request: Request, text: str) -> str:
    return f"{text} by {request.user.get_username()}"[:300]


def _staff_order_response(number: str, status_code: int = 200) -> Response:
    order = selectors.order_get_for_staff(number=number)
    return Response(StaffOrderOutputSerializer(order).data, status=status_code)


def _order_id_for(number: str) -> int:
    """The order's id; an unknown number is a 404 (Order.DoesNotExist)."""
    return Order.objects.values_list("pk", flat=True).get(number=number)


NO_SUCH_ORDER = OpenApiResponse(description="No such order")
REFUSED = OpenApiResponse(
    description="Refused: the order's status does not allow it (messages under `status`), "
    "or invalid input (messages under the field)"
)


@extend_schema_view(get=extend_schema(summary="All orders, filtered and paged (staff)"))
class StaffOrderListApi(generics.ListAPIView):
    """All orders for staff, newest first, with filters (status, placed_after/placed_before,
    customer, search by number or e-mail), `ordering` and the API's page."""

    permission_classes = [permissions.IsAdminUser]
    serializer_class = StaffOrderOutputSerializer
    filterset_class = StaffOrderFilter
    pagination_class = StaffOrderPagination

    def get_queryset(self) -> QuerySet[Order]:
        return selectors.order_list_for_staff()


class StaffOrderDetailApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="One order by number (staff)",
        responses={200: StaffOrderOutputSerializer, 404: NO_SUCH_ORDER},
    )
    def get(self, request: Request, number: str) -> Response:
        return _staff_order_response(number)


class StaffOrderFulfilApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        carrier = serializers.CharField(
            max_length=services.CARRIER_MAX_LENGTH, required=False, allow_blank=True, default=""
        )
        tracking_number = serializers.CharField(
            max_length=services.TRACKING_MAX_LENGTH,
            required=False,
            allow_blank=True,
            default="",
            help_text="Letters, digits, spaces and dashes; needs a carrier",
        )

    @extend_schema(
        summary="Ship a paid order (staff); the shopper is e-mailed carrier and tracking number",
        request=InputSerializer,
        responses={200: StaffOrderOutputSerializer, 400: REFUSED, 404: NO_SUCH_ORDER},
    )
    def post(self, request: Request, number: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_fulfil(
            order_id=_order_id_for(number), user_id=request.user.pk, **data.validated_data
        )
        return _staff_order_response(number)


class StaffOrderNoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class _StaffOrderNoteActionApi(APIView):
    """A staff action on one order that takes only an optional note (cancel, approve)."""

    permission_classes = [permissions.IsAdminUser]
    default_note = ""
    InputSerializer = StaffOrderNoteInputSerializer

    def act(self, *, order_id: int, note: str) -> object:
        raise NotImplementedError

    def _post(self, request: Request, number: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = data.validated_data.get("note") or self.default_note
        self.act(order_id=_order_id_for(number), note=_staff_note(request, note))
        return _staff_order_response(number)


class StaffOrderCancelApi(_StaffOrderNoteActionApi):
    default_note = "cancelled"

    def act(self, *, order_id: int, note: str) -> object:
        return services.order_cancel(order_id=order_id, note=note)

    @extend_schema(
        summary="Cancel an order that has not shipped (staff): restock, refund or release the "
        "payment, e-mail the shopper; cancelling a cancelled order again changes nothing",
        request=StaffOrderNoteInputSerializer,
        responses={200: StaffOrderOutputSerializer, 400: REFUSED, 404: NO_SUCH_ORDER},
    )
    def post(self, request: Request, number: str) -> Response:
        return self._post(request, number)


class StaffOrderApproveApi(_StaffOrderNoteActionApi):
    default_note = "approved"

    def act(self, *, order_id: int, note: str) -> object:
        return services.order_approve(order_id=order_id, note=note)

    @extend_schema(
        summary="Release an order on hold (staff): capture the payment, e-mail the confirmation. "
        "To record a fraud verdict as well, use the fraud review decision instead",
        request=StaffOrderNoteInputSerializer,
        responses={200: StaffOrderOutputSerializer, 400: REFUSED, 404: NO_SUCH_ORDER},
    )
    def post(self, request: Request, number: str) -> Response:
        return self._post(request, number)


class StaffOrderRefundApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        amount = serializers.DecimalField(
            max_digits=12,
            decimal_places=2,
            min_value=Decimal("0.01"),
            help_text="In the order's currency; at most what is paid and not yet refunded",
        )
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        summary="Refund part or all of a paid or shipped order (staff); the shopper is e-mailed "
        "the amount, and the refund that reaches the total marks the order refunded",
        request=InputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "minLength": 1, "maxLength": 64},
                OpenApiParameter.HEADER,
                required=False,
                description="Send one so a retried request does not refund twice: the same "
                "key answers with the refund it already made (1-64 characters)",
            )
        ],
        responses={
            201: StaffOrderOutputSerializer,
            400: REFUSED,
            404: NO_SUCH_ORDER,
            422: OpenApiResponse(description="Idempotency-Key already used for another amount"),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.refund_create(
            order_id=_order_id_for(number),
            amount=data.validated_data["amount"],
            reason=data.validated_data.get("reason", ""),
            idempotency_key=request.headers.get("Idempotency-Key", "").strip(),
        )
        return _staff_order_response(number, status.HTTP_201_CREATED)
