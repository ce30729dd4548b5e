"""A small thread-safe LRU map kept per app in app.extensions (caches must not cross instances).

`get_or_build` is single-flight: when a push wakes a thousand event streams at once (greenlets
under gevent yield on every database round trip), one of them builds a missing value and the rest
wait for it, instead of all running the same queries.
"""
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
        self._building: dict = {}  # key -> Lock held while one caller builds the value

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


    def get_or_build(self, key, build):
        """The cached value, else `build()` run by exactly one caller at a time per key."""
        value = self.get(key, _MISSING)
        if value is not _MISSING:
            return value
        with self._lock:
            gate = self._building.setdefault(key, threading.Lock())
        try:
            with gate:
                value = self.get(key, _MISSING)
                if value is _MISSING:
                    value = build()
                    self.put(key, value)
        finally:
            with self._lock:
                if self._building.get(key) is gate and not gate.locked():
                    del self._building[key]
        return value


def app_lru(name: str, size: int) -> LRU:
    """The app's LRU called `name`, created on first use."""
    extensions = current_app.extensions
    cache = extensions.get(f"gongkai.lru.{name}")
    return cache if cache is not None else extensions.setdefault(f"gongkai.lru.{name}", LRU(size))
