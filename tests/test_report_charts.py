"""Chart labels come from the sources, emoji and all (the messy world names companies "Acme 🚀"):
the font has no glyph for them, so they are left out rather than drawn as empty boxes, and two
names that print alike stay two bars."""

from __future__ import annotations

import warnings
from pathlib import Path

from hub.reports import charts


def test_labels_the_font_cannot_draw_are_left_out_and_kept_apart(tmp_path: Path) -> None:
    assert charts.printable("Acme 🚀 Robotics") == "Acme Robotics"
    assert charts.printable("Zürich Ürün GmbH") == "Zürich Ürün GmbH"
    assert charts.printable("👩‍💻") == "?"  # nothing drawable, the zero-width joiner included
    assert charts.printable_labels(["Acme 🌱", "Acme", "👍🏽", "🔥"]) == ["Acme", "Acme (2)", "?", "? (2)"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)" for each one it boxes
        path = charts.bars(tmp_path / "top.png", "Top 🌱 customers", {"Acme 🚀": 5, "Acme": 3, "✨": 1},
                           horizontal=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
