"""Page script run by st.navigation; the page lives in `workbench.ui.views.overview_view`."""

from workbench.ui.views.overview_view import render

render()
