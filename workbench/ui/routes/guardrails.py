"""Page script run by st.navigation; the page lives in `workbench.ui.views.guardrails`."""

from workbench.ui.views.guardrails import render

render()
