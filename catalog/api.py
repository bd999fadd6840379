import django_filters
from django.db.models import F, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors
from catalog.models import Category, Product


class ProductOutputSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
    category_id = serializers.IntegerField()
    brand = serializers.CharField(source="brand.name", default=None)
    available = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id", "sku", "name", "slug", "price", "list_price", "category", "category_id",
            "brand", "available", "image_url", "is_consumable",
        ]

    def get_available(self, product: Product) -> int:
        stock = getattr(product, "stock", None)
        return max(stock.available, 0) if stock else 0

    def get_image_url(self, product: Product) -> str:
        return f"/images/products/{product.pk}.svg"


class ProductDetailOutputSerializer(ProductOutputSerializer):
    class Meta(ProductOutputSerializer.Meta):
        fields = [*ProductOutputSerializer.Meta.fields, "description", "attributes"]


class ProductFilter(django_filters.FilterSet):
    category = django_filters.NumberFilter(method="filter_category")
    brand = django_filters.NumberFilter(field_name="brand_id")
    min_price = django_filters.NumberFilter(field_name="price", lookup_expr="gte")
    max_price = django_filters.NumberFilter(field_name="price", lookup_expr="lte")
    in_stock = django_filters.BooleanFilter(method="filter_in_stock")
    ordering = django_filters.OrderingFilter(
        fields=(("price", "price"), ("name", "name"), ("popularity", "popularity"),
                ("created_at", "newest"))
    )

    class Meta:
        model = Product
        fields = ["category", "brand", "min_price", "max_price", "in_stock"]

    def filter_category(self, qs: QuerySet[Product], name: str, value: int) -> QuerySet[Product]:
        return qs.filter(category_id__in=selectors.category_descendant_ids(category_id=int(value)))

    def filter_in_stock(self, qs: QuerySet[Product], name: str, value: bool) -> QuerySet[Product]:
        in_stock = qs.filter(stock__on_hand__gt=F("stock__reserved"))
        return in_stock if value else qs.exclude(pk__in=in_stock.values("pk"))


class ProductListApi(generics.ListAPIView):
    """Active products with filters (category incl. sub-categories, brand, price, stock)."""

    serializer_class = ProductOutputSerializer
    filterset_class = ProductFilter

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.product_list_active()


class ProductDetailApi(APIView):
    @extend_schema(responses=ProductDetailOutputSerializer)
    def get(self, request: Request, product_id: int) -> Response:
        product = selectors.product_get_active(product_id=product_id)
        return Response(ProductDetailOutputSerializer(product).data)


class CategoryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent_id", "description"]


class CategoryListApi(generics.ListAPIView):
    serializer_class = CategoryOutputSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Category]:
        return selectors.category_list()
