"""A small thread-safe LRU map kept per app in app.extensions (caches must not cross instances)."""
from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app

_MISSING = object()


class LRU:
    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            value = self._data.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


def app_lru(name: str, size: int) -> LRU:
    """The app's LRU called `name`, created on first use."""
    return current_app.extensions.setdefault(f"gongkai.lru.{name}", LRU(size))
