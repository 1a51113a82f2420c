"""Page script run by st.navigation; the page lives in `workbench.ui.views.versions_view`."""

from workbench.ui.views.versions_view import render

render()
