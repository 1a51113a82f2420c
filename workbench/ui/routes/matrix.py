"""Page script run by st.navigation; the page lives in `workbench.ui.views.matrix`."""

from workbench.ui.views.matrix import render

render()
