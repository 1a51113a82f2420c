"""Page script run by st.navigation; the page lives in `workbench.ui.views.recommendation_view`."""

from workbench.ui.views.recommendation_view import render

render()
