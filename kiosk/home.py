"""Home screen: category tiles with counts, the search bar, the feedback corner (QR + satisfaction)."""
from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.metrics import sp
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from screen import present
from screen.qr import qr_texture

__all__ = ["HomeScreen", "RATINGS", "REASONS"]

RATINGS = {"satisfied": "满意", "neutral": "基本满意", "unsatisfied": "不满意"}
REASONS = ["等候时间长", "服务态度", "收费疑问", "环境设施", "找不到信息"]
REASON_SECONDS = 10  # a rating without a reason is recorded after this


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
        small = round(sp(19) * app.text_scale)
        for tile in present.public_tiles(app.manifest, app.items):
            button = Factory.TileButton(text=f"{present.escape(tile.name)}\n[size={small}]{tile.count} 项[/size]")
            button.tile = tile
            button.bind(on_release=self.open_tile)
            grid.add_widget(button)
        self.qr_url = app.feedback_url
        if self.qr_url:
            self.ids.qr.texture = qr_texture(self.qr_url)

    def open_tile(self, button):
        App.get_running_app().show("category", cat_id=button.tile.id)

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
