"""A Redis cache that degrades to 'miss' when Redis is down, so the store keeps selling."""

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


class ResilientRedisCache(RedisCache):
    def _guard(self, name: str, fallback: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(super(), name)(*args, **kwargs)
        except Exception as exc:  # redis.ConnectionError, TimeoutError, ...
            logger.warning(
                "cache %s failed (%s); continuing without cache", name, type(exc).__name__
            )
            if name == "get" and len(args) > 1:
                return args[1]
            if name == "get" and "default" in kwargs:
                return kwargs["default"]
            if name == "get_or_set":
                default = args[1] if len(args) > 1 else kwargs.get("default")
                return default() if callable(default) else default
            return fallback

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("get", None, *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("get_many", {}, *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("has_key", False, *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("set", None, *args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("add", False, *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("delete", False, *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("set_many", [], *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("delete_many", None, *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("touch", False, *args, **kwargs)

    def get_or_set(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("get_or_set", None, *args, **kwargs)

    def clear(self) -> Any:
        return self._guard("clear", None)
