from typing import Any

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema


class AutoSchema(BaseAutoSchema):
    """Names nested serializers after their view (`CheckoutApi.InputSerializer` ->
    `CheckoutApiInput`), so the HackSoft-style nested Input/OutputSerializer never collide."""

    def _get_serializer_name(
        self, serializer: Any, direction: str, bypass_extensions: bool = False
    ) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = serializer if isinstance(serializer, type) else type(serializer)
        qualname = cls.__qualname__
        if "." in qualname and "<locals>" not in qualname:
            outer = qualname.rsplit(".", 1)[0].replace(".", "")
            if not name.startswith(outer):
                name = outer + name
        return name
