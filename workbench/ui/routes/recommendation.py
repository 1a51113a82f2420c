"""Page script run by st.navigation; the page lives in `workbench.ui.views.recommendation`."""

from workbench.ui.views.recommendation import render

render()
