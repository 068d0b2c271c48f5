"""One module per area of the main window; each page is a QWidget built as ``Page(ctx, parent)``.

Optional hooks the main window calls when present:
- ``on_activated()``: the page became the current page (refresh what may have changed).
- ``initial_focus() -> QWidget``: the widget that gets the keyboard focus after a Ctrl+N switch.
"""
