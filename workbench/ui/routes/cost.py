"""Page script run by st.navigation; the page lives in `workbench.ui.views.cost_view`."""

from workbench.ui.views.cost_view import render

render()
