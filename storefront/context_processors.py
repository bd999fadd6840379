"""Values every shop page's layout needs, evaluated only when a template reads them."""

from typing import Any

from django.http import HttpRequest

from orders import facade as orders


def shop(request: HttpRequest) -> dict[str, Any]:
    # a callable: the template calls it when (and each time) it reads the value, so the
    # admin's pages, which never do, pay nothing
    return {"free_delivery_from": orders.free_delivery_from}
