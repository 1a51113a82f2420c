"""Page script run by st.navigation; the page lives in `workbench.ui.views.compare_view`."""

from workbench.ui.views.compare_view import render

render()
