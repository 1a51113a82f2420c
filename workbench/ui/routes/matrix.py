"""Page script run by st.navigation; the page lives in `workbench.ui.views.matrix_view`."""

from workbench.ui.views.matrix_view import render

render()
