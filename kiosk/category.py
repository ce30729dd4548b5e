"""Category screen: the items of one category (and its subcategories), newest first, in a
RecycleView; 公示 items carry the "公示中 · 还剩 N 个工作日" badge."""
from __future__ import annotations

from kivy.app import App
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from screen import present

__all__ = ["CategoryScreen", "ItemRow"]


class ItemRow(ButtonBehavior, BoxLayout):
    """One list entry (RecycleView view class): title, date, badge."""
    title = StringProperty("")
    date = StringProperty("")
    badge = StringProperty("")
    index = NumericProperty(0)

    def on_release(self):
        screen = App.get_running_app().screen("category")
        screen.open(self.index)


class CategoryScreen(Screen):
    cat_id = StringProperty("")
    heading = StringProperty("")
    empty = StringProperty("")
    entries = ListProperty([])

    def show(self, cat_id: str | None = None, **_):
        if cat_id is not None:
            self.cat_id = cat_id
        self.refresh()

    def refresh(self):
        app = App.get_running_app()
        self.heading = present.escape(present.category_name(app.manifest, self.cat_id) or "公开信息")
        self.entries = present.category_items(app.manifest, app.items, self.cat_id)
        now = app.now()
        self.ids.rv.data = [{"title": present.escape(i.get("title"), present.MAX_TITLE) or "（无标题）",
                             "date": present.fmt_date(i.get("published_at") or (i.get("window") or {}).get("start")),
                             "badge": present.badge_text(app.manifest, i, now), "index": n}
                            for n, i in enumerate(self.entries)]
        self.ids.rv.scroll_y = 1
        self.empty = "" if self.entries else "本栏目暂无公开内容"

    def open(self, index: int):
        if 0 <= index < len(self.entries):
            App.get_running_app().open_item(self.entries[index])

    def reset(self):
        self.cat_id, self.entries = "", []
