"""Page renderers: one module per page, each exposes `render()`; `routes/*.py` are the thin scripts st.navigation runs."""
