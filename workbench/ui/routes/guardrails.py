"""Page script run by st.navigation; the page lives in `workbench.ui.views.guardrails_view`."""

from workbench.ui.views.guardrails_view import render

render()
