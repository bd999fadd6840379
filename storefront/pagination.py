"""The API's page: ``{"count", "next", "previous", "results"}`` (DRF's PageNumberPagination).

``page`` picks the page (a page beyond the last answers 404 ``not_found``), ``page_size`` its
length; a ``page_size`` above the bound is served as the bound, not refused. ``next`` and
``previous`` are absolute URLs (null on the last and the first page)."""

from typing import Any

from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size = 24
    page_size_query_param = "page_size"
    max_page_size = 60

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """Say the bounds: a larger page_size is served as max_page_size, not refused."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    **parameter["schema"],
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
                parameter["description"] = (
                    f"Results per page, default {self.page_size}; "
                    f"larger values give {self.max_page_size}."
                )
        return parameters
