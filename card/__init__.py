"""Card personalisation: template, rendering (Pillow), chip data groups and signing.

Public API: `RenderedCard`, `render_card` (here), `cetak.card.template.load_template`,
`cetak.card.chip`, `cetak.card.encoder`, `cetak.card.errors`.
"""

from cetak.card.render import RenderedCard, render_card

__all__ = ["RenderedCard", "render_card"]
