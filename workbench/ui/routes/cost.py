"""Page script run by st.navigation; the page lives in `workbench.ui.views.cost`."""

from workbench.ui.views.cost import render

render()
