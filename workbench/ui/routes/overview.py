"""Page script run by st.navigation; the page lives in `workbench.ui.views.overview`."""

from workbench.ui.views.overview import render

render()
