"""公开栏 in the staff API: the print of an item's published revision as a PDF (server/boards/prints.py)."""
from __future__ import annotations

from flask import Response, current_app, g, request

from server import db
from server.api import bp
from server.api.items import load_item
from server.boards import prints


@bp.get("/items/<int:item_id>/print.pdf")
def print_item(item_id: int):
    """The published revision for a 公开栏 (?size=A4|A3, ?orientation=portrait|landscape, ?board=, ?revision=)."""
    item = load_item(item_id)
    args = request.args
    pdf, name = prints.print_item(db.session(), g.user, item, size=args.get("size"), orientation=args.get("orientation"),
                                  board=args.get("board"), number=args.get("revision"),
                                  base_url=current_app.config["PUBLIC_BASE_URL"], media_dir=current_app.config["MEDIA_DIR"])
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})
