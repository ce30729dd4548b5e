"""Search screen: an on-screen keyboard (letters and digits — pinyin initials, no IME needed) and
results that update on every key: titles, bodies and table rows (a row opens its table there)."""
from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from screen import present
from kiosk.search import SearchIndex

__all__ = ["KEY_ROWS", "ResultRow", "SearchScreen"]

KEY_ROWS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"]
MAX_QUERY = 30
KEEP = object()  # show(scope=KEEP): coming back from an item keeps the table being searched


class ResultRow(ButtonBehavior, BoxLayout):
    title = StringProperty("")
    detail = StringProperty("")
    index = NumericProperty(0)

    def on_release(self):
        App.get_running_app().screen("search").open(self.index)


class SearchScreen(Screen):
    query = StringProperty("")
    summary = StringProperty("")
    scope = ObjectProperty(None, allownone=True)  # an item: search only its table (在表中查找)

    def on_kv_post(self, _):
        keys = self.ids.keyboard
        for row in KEY_ROWS:
            line = BoxLayout(spacing=keys.spacing)
            for ch in row:
                line.add_widget(Factory.Key(text=ch))
            if row == KEY_ROWS[-1]:
                line.add_widget(Factory.Key(text="删除", size_hint_x=2))
                line.add_widget(Factory.Key(text="清空", size_hint_x=2))
            keys.add_widget(line)
        self.hits = []

    def show(self, query: str | None = None, scope=KEEP, **_):
        if scope is not KEEP and scope is not self.scope:
            self.scope, self.query = scope, ""
            self._scoped = SearchIndex([scope]) if scope is not None else None
        if query is not None:
            self.query = query[:MAX_QUERY]
        self.refresh()

    def press(self, key: str):
        if key == "删除":
            self.query = self.query[:-1]
        elif key == "清空":
            self.query = ""
        elif len(self.query) < MAX_QUERY:
            self.query += key
        self.refresh()

    def refresh(self):
        app = App.get_running_app()
        index = self._scoped if self.scope is not None and getattr(self, "_scoped", None) else app.index
        self.hits = index.search(self.query)
        data = []
        for n, hit in enumerate(self.hits):
            title = present.escape(hit.item.get("title"), present.MAX_TITLE) or "（无标题）"
            if hit.cells is not None:
                detail = present.escape(" · ".join(c for c in hit.cells if c), 120)
                data.append({"title": detail, "detail": "表格：" + title, "index": n})
            else:
                data.append({"title": title, "detail": present.escape(present.category_name(
                    app.manifest, hit.item.get("category"))), "index": n})
        self.ids.results.data = data
        self.ids.results.scroll_y = 1
        where = f"在《{present.escape(self.scope.get('title'), 40)}》中查找：" if self.scope is not None else ""
        if not self.query:
            self.summary = where + "输入拼音首字母（如 xcg 查“血常规”，ct 查“CT检查”）或编号"
        else:
            self.summary = where + (f"找到 {len(self.hits)} 条" if self.hits else "没有找到，请换个关键词")

    def open(self, index: int):
        if 0 <= index < len(self.hits):
            hit = self.hits[index]
            App.get_running_app().open_item(hit.item, row=hit.row)

    def reset(self):
        self.scope, self._scoped = None, None
        self.query = ""
        self.hits = []
        self.ids.results.data = []
