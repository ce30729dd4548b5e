"""Home screen for a hospital lobby: a banner in the unit's colour with the search bar, large icon
tiles for the categories that have something to show, the 最新公开 strip of the newest items, and
the feedback corner (QR + satisfaction). In portrait the tiles and the strip share the height, so
the screen is filled however many categories there are; in landscape the feedback corner sits on
the right."""
from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.tileicons import icon_path
from screen import present
from screen.qr import qr_texture

__all__ = ["HomeScreen", "IconTile", "LatestCard", "RATINGS", "REASONS"]

RATINGS = {"satisfied": "满意", "neutral": "基本满意", "unsatisfied": "不满意"}
REASONS = ["等候时间长", "服务态度", "收费疑问", "环境设施", "找不到信息"]
REASON_SECONDS = 10  # a rating without a reason is recorded after this
LATEST = 6           # newest items offered on the strip (as many as fit are shown)


class IconTile(ButtonBehavior, BoxLayout):
    """A category: its icon in the unit's colour, its name, how many items it holds."""
    tile = ObjectProperty(None)
    icon = StringProperty("")
    name = StringProperty("")
    count_text = StringProperty("")


class LatestCard(ButtonBehavior, BoxLayout):
    """One of the newest items: category · date over its title; a tap opens it."""
    item = ObjectProperty(None)
    title = StringProperty("")
    meta = StringProperty("")


class HomeScreen(Screen):
    pending_rating = StringProperty("", allownone=True)
    thanks = BooleanProperty(False)
    qr_url = StringProperty("")

    def show(self, **_):
        self.refresh()

    def refresh(self):
        app = App.get_running_app()
        grid = self.ids.tiles
        grid.clear_widgets()
        for tile in present.home_tiles(app.manifest, app.items):
            button = IconTile(tile=tile, icon=icon_path(tile.id, tile.name), name=tile.name,
                              count_text=f"{tile.count} 项")
            button.bind(on_release=self.open_tile)
            grid.add_widget(button)
        self._latest = present.latest(app.items, LATEST)
        self.fill_latest()
        self.qr_url = app.feedback_url
        if self.qr_url:
            self.ids.qr.texture = qr_texture(self.qr_url)

    def fill_latest(self, *_):
        """As many of the newest items as the strip has room for (one row each; in landscape a row
        of cards)."""
        app = App.get_running_app()
        strip = self.ids.latest
        strip.clear_widgets()
        items = getattr(self, "_latest", [])
        if app.portrait:
            pitch = dp(92) * (1.25 if app.large_text else 1) + strip.spacing
            room = max(1, int((strip.height + strip.spacing) // pitch)) if strip.height > 1 else 3
        else:
            room = 2 if app.large_text else 3
        for item in items[:room]:
            name = present.category_name(app.manifest, item.get("category"))
            meta = " · ".join(p for p in (name, present.fmt_date(item.get("published_at"))) if p)
            card = LatestCard(item=item, title=present.text(item.get("title"), 60) or "公开信息", meta=meta)
            card.bind(on_release=self.open_latest)
            strip.add_widget(card)
        if app.portrait:
            strip.add_widget(Widget())     # the rows start at the top of the strip
        self.ids.latest_box.opacity = 1 if items else 0

    def on_latest_size(self, *_):
        Clock.unschedule(self.fill_latest)
        Clock.schedule_once(self.fill_latest, 0)

    def open_tile(self, button):
        App.get_running_app().show("category", cat_id=button.tile.id)

    def open_latest(self, card):
        App.get_running_app().open_item(card.item)

    def open_search(self):
        App.get_running_app().show("search", scope=None)

    # ---- satisfaction tap ----------------------------------------------------------------------
    def rate(self, rating: str):
        self.commit_rating()
        self.thanks = True
        if rating == "satisfied":
            App.get_running_app().queue_rating(rating)
            Clock.schedule_once(lambda dt: setattr(self, "thanks", False), REASON_SECONDS)
            return
        self.pending_rating = rating
        self._timer = Clock.schedule_once(lambda dt: self.commit_rating(), REASON_SECONDS)

    def give_reason(self, reason: str | None):
        self.commit_rating(reason)

    def commit_rating(self, reason: str | None = None):
        """Record a pending 基本满意 / 不满意 (with the reason chip if one was tapped)."""
        if getattr(self, "_timer", None):
            self._timer.cancel()
            self._timer = None
        if self.pending_rating:
            App.get_running_app().queue_rating(self.pending_rating, reason)
            self.pending_rating = ""
        if reason is not None:
            Clock.schedule_once(lambda dt: setattr(self, "thanks", False), 3)

    def reset(self):
        self.commit_rating()
        self.thanks = False


Factory.register("IconTile", cls=IconTile)
Factory.register("LatestCard", cls=LatestCard)
