"""Page script run by st.navigation; the page lives in `workbench.ui.views.compare`."""

from workbench.ui.views.compare import render

render()
