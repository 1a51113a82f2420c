"""Page script run by st.navigation; the page lives in `workbench.ui.views.versions`."""

from workbench.ui.views.versions import render

render()
