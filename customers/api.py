"""Account API: register, log in/out (session and token), profile, data export, erasure,
saved items (wishlist)."""

import json
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import selectors, services
from customers.models import Customer, WishlistItem
from storefront.api_errors import ID_MAX, ServiceError, id_in_range
from storefront.pagination import PagePagination


class AccountOutputSerializer(serializers.Serializer):
    email = serializers.EmailField(source="user.email")
    first_name = serializers.CharField(source="user.first_name")
    customer_id = serializers.UUIDField(source="public_id")
    marketing_consent = serializers.BooleanField()
    is_staff = serializers.BooleanField(source="user.is_staff")


class SessionOutputSerializer(serializers.Serializer):
    account = AccountOutputSerializer()
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`")
    cart_items = serializers.IntegerField(help_text="Items in the cart after merging")


def _login_and_merge(request: Request, user: Any) -> dict[str, Any]:
    """Log the user in on this session, move the anonymous cart into theirs, issue a token."""
    from orders.services import cart_merge

    old_session = request.session.session_key or ""
    login(request._request, user)  # rotates the session key (no session fixation)
    customer = services.customer_for_user(user=user)
    assert customer is not None
    cart = cart_merge(session_id=old_session, customer_id=customer.pk) if old_session else None
    if cart is not None and request.session.session_key:
        # Later anonymous lookups by the new session key find the same cart.
        type(cart).objects.filter(pk=cart.pk).update(session_id=request.session.session_key)
    token, _ = Token.objects.get_or_create(user=user)
    items = sum(line.quantity for line in cart.lines.all()) if cart is not None else 0
    return {"account": customer, "token": token.key, "cart_items": items}


class AccountRegisterApi(APIView):
    throttle_scope = "login"
    authentication_classes: list[Any] = []  # a fresh account needs no CSRF token yet

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(min_length=8, max_length=128, write_only=True)
        first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        marketing_consent = serializers.BooleanField(default=False)

    @extend_schema(
        request=InputSerializer,
        responses={201: SessionOutputSerializer, 400: OpenApiResponse(description="Invalid")},
        summary="Create a shopper account and log in",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_register(**data.validated_data)
        body = _login_and_merge(request, customer.user)
        return Response(SessionOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class AccountLoginApi(APIView):
    throttle_scope = "login"
    authentication_classes: list[Any] = []

    class InputSerializer(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, write_only=True)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: SessionOutputSerializer,
            400: OpenApiResponse(description="Wrong e-mail or password"),
            429: OpenApiResponse(description="Too many attempts"),
        },
        summary="Log in (session cookie and API token); merges the anonymous cart",
        description="How an API client authenticates: post the e-mail and password, keep "
        "`token` from the answer and send it as `Authorization: Token <token>` on later "
        "requests (no CSRF token needed then). `POST account/logout/` with that header revokes "
        "it. `account/register/` answers the same way for a new account. Browsers may use the "
        "session cookie this call also sets instead.",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["email"].strip().lower(),
            password=data.validated_data["password"],
        )
        if user is None:
            raise ServiceError("e-mail or password is wrong", field="password")
        return Response(SessionOutputSerializer(_login_and_merge(request, user)).data)


class AccountPasswordResetApi(APIView):
    throttle_scope = "login"
    authentication_classes: list[Any] = []  # a shopper who forgot the password has no session

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)

    @extend_schema(
        request=InputSerializer,
        responses={
            202: OpenApiResponse(description="Accepted; the same answer for any e-mail"),
            400: OpenApiResponse(description="Not an e-mail address"),
            429: OpenApiResponse(description="Too many attempts"),
        },
        summary="Forgot password: e-mail a link to set a new one",
        description="If an account uses the address, it gets a link to "
        "`/account/reset/<uid>/<token>/` that works once, for PASSWORD_RESET_TIMEOUT. The "
        "answer is the same whether or not it does, so the form tells nobody who has an account.",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_request(email=data.validated_data["email"])
        return Response(
            {"detail": "If an account uses this e-mail, we have sent it a link."},
            status=status.HTTP_202_ACCEPTED,
        )


class AccountPasswordResetConfirmApi(APIView):
    throttle_scope = "login"
    authentication_classes: list[Any] = []

    class InputSerializer(serializers.Serializer):
        uid = serializers.CharField(max_length=64)
        token = serializers.CharField(max_length=128)
        new_password = serializers.CharField(max_length=128, write_only=True)

    @extend_schema(
        request=InputSerializer,
        responses={
            204: None,
            400: OpenApiResponse(
                description="`token`: invalid, used or expired link; `new_password`: refused "
                "by the password rules"
            ),
        },
        summary="Set a new password with the e-mailed link's uid and token",
        description="Revokes the account's API tokens and ends its other sessions; sign in "
        "with the new password afterwards.",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountLogoutApi(APIView):
    @extend_schema(
        request=None,
        responses={204: None},
        summary="Log out: end the session, or revoke the API token the request was sent with",
        description="A request authenticated with `Authorization: Token <token>` revokes that "
        "token (log in again for a new one); a session request ends the session.",
    )
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, Token):
            # The client asked to be logged out: its bearer credential must stop working.
            Token.objects.filter(pk=request.auth.pk).delete()
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountDetailApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    class UpdateSerializer(serializers.Serializer):
        marketing_consent = serializers.BooleanField(
            help_text="Offers and price drops on saved items by e-mail"
        )

    @extend_schema(responses=AccountOutputSerializer, summary="The logged-in account")
    def get(self, request: Request) -> Response:
        customer = services.customer_for_user(user=request.user)
        return Response(AccountOutputSerializer(customer).data)

    @extend_schema(
        request=UpdateSerializer,
        responses={200: AccountOutputSerializer, 400: OpenApiResponse(description="Invalid")},
        summary="Change my e-mail preferences (marketing consent)",
        description="Other fields are ignored. A session request needs the CSRF token "
        "(`X-CSRFToken` header), as every account write does.",
    )
    def patch(self, request: Request) -> Response:
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_for_user(user=request.user)
        assert customer is not None
        if customer.marketing_consent != data.validated_data["marketing_consent"]:
            customer = services.customer_consent_set(
                customer=customer, marketing=data.validated_data["marketing_consent"]
            )
        return Response(AccountOutputSerializer(customer).data)


class AccountExportApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={200: OpenApiResponse(description="JSON file with all personal data")},
        summary="Download everything the shop holds about me (JSON)",
    )
    def get(self, request: Request) -> HttpResponse:
        customer = services.customer_for_user(user=request.user)
        assert customer is not None
        payload = selectors.customer_data_export(customer_id=customer.pk)
        payload["exported_at"] = timezone.now().isoformat()
        response = HttpResponse(
            json.dumps(payload, indent=2, default=str), content_type="application/json"
        )
        response["Content-Disposition"] = 'attachment; filename="my-data.json"'
        return response


class AccountPasswordApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "login"  # guessing the current password is a login attempt

    class InputSerializer(serializers.Serializer):
        current_password = serializers.CharField(max_length=128, write_only=True)
        new_password = serializers.CharField(max_length=128, write_only=True)

    @extend_schema(
        request=InputSerializer,
        responses={
            204: None,
            400: OpenApiResponse(
                description="`current_password` wrong, or `new_password` refused by the "
                "password rules"
            ),
        },
        summary="Change my password",
        description="This browser session stays signed in; every other session ends and the "
        "account's API tokens are revoked (log in again for a new token).",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.password_change(user=request.user, **data.validated_data)
        update_session_auth_hash(request._request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountEraseApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        password = serializers.CharField(max_length=128, write_only=True)
        confirm = serializers.BooleanField()

        def validate_confirm(self, value: bool) -> bool:
            if not value:
                raise serializers.ValidationError("tick the box to confirm the deletion")
            return value

    @extend_schema(
        request=InputSerializer,
        responses={204: None, 400: OpenApiResponse(description="Wrong password/unconfirmed")},
        summary="Delete my account (orders are kept anonymised for the shop's books)",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not request.user.check_password(data.validated_data["password"]):
            raise ServiceError("password is wrong", field="password")
        customer = services.customer_for_user(user=request.user)
        assert isinstance(customer, Customer)
        logout(request._request)
        services.customer_erase(customer=customer)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountRebuyListApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        product_id = serializers.IntegerField()
        name = serializers.CharField()
        price = serializers.DecimalField(max_digits=12, decimal_places=2)
        currency = serializers.SerializerMethodField(help_text="ISO 4217 code of the price")
        is_consumable = serializers.BooleanField()
        last_bought = serializers.DateTimeField()
        times = serializers.IntegerField()

        def get_currency(self, row: Any) -> str:
            return str(settings.STORE_CURRENCY)

    @extend_schema(responses=OutputSerializer(many=True), summary="Things I buy again")
    def get(self, request: Request) -> Response:
        customer = services.customer_for_user(user=request.user)
        assert customer is not None
        rows = selectors.rebuy_list_for_customer(customer_id=customer.pk)
        return Response(self.OutputSerializer(rows, many=True).data)


# --- wishlist ("Saved items") ------------------------------------------------------------------


class WishlistItemOutputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The product page")
    added_at = serializers.DateTimeField()
    price_when_added = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Selling price when saved"
    )
    price = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Price now")
    currency = serializers.SerializerMethodField(help_text="ISO 4217 code of both prices")
    is_active = serializers.BooleanField(help_text="false: no longer sold (cannot be bought)")
    available = serializers.IntegerField(help_text="Units in stock now (0: sold out)")

    def get_url(self, row: selectors.SavedItem) -> str:
        return f"/p/{row.product_id}/{row.slug}/"

    def get_currency(self, row: selectors.SavedItem) -> str:
        return str(settings.STORE_CURRENCY)


def _customer_of(request: Request) -> Customer:
    customer = services.customer_for_user(user=request.user)
    assert customer is not None  # IsAuthenticated
    return customer


class AccountWishlistApi(GenericAPIView):  # type: ignore[type-arg]
    """The signed-in shopper's saved items ("Saved items"), newest first."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PagePagination
    serializer_class = WishlistItemOutputSerializer
    queryset = WishlistItem.objects.none()  # for the schema; get() reads the shopper's own

    class InputSerializer(serializers.Serializer):
        product = serializers.IntegerField(
            min_value=1, max_value=ID_MAX, help_text="Id of the product to save"
        )

    @extend_schema(
        responses=WishlistItemOutputSerializer(many=True),
        summary="My saved items, with the price now and when saved",
    )
    def get(self, request: Request) -> Response:
        items = selectors.wishlist_items_for_customer(customer_id=_customer_of(request).pk)
        page = self.paginate_queryset(items)
        assert page is not None
        rows = selectors.wishlist_rows(page)
        return self.get_paginated_response(WishlistItemOutputSerializer(rows, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OpenApiResponse(WishlistItemOutputSerializer, description="Saved"),
            200: OpenApiResponse(
                WishlistItemOutputSerializer,
                description="Already saved: the same item, nothing changed (idempotent; the "
                "price it was saved at stays)",
            ),
            400: OpenApiResponse(
                description="`product` missing, unknown or no longer sold (field message)"
            ),
        },
        summary="Save a product for later",
        description="Saves the product at today's price. If its price later falls at least "
        "5 % below that price, shoppers who agreed to marketing e-mail get one e-mail about "
        "it (at most one per product in 30 days).",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = _customer_of(request)
        result = services.wishlist_item_add(
            customer_id=customer.pk,
            product_id=data.validated_data["product"],
            session_id=request.session.session_key or "",
        )
        [row] = selectors.wishlist_rows([result.item])
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(WishlistItemOutputSerializer(row).data, status=code)


class AccountWishlistItemApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses={204: None, 404: OpenApiResponse(description="No such product id")},
        summary="Remove a product from my saved items (fine if it was not saved)",
    )
    def delete(self, request: Request, product_id: int) -> Response:
        if not id_in_range(product_id):
            raise Http404("no such product")
        services.wishlist_item_remove(customer_id=_customer_of(request).pk, product_id=product_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
