"""Page renderers: one module per page, each exposes `render()`; `pages/*.py` are the thin scripts st.navigation runs."""
