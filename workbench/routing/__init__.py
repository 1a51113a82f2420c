"""A trained cost router and failure clusters, learned from the results workbench already stores.

- `dataset.py`  builds the training table: one row per input (test x prompt version x variant),
  the per-model pass matrix and cost per request.
- `features.py` the feature pipeline (TF-IDF of the rendered prompt + token and var features).
- `train.py`    fits a calibrated classifier for P(cheap model passes) and stores it as a versioned
  artifact in the `routers` table.
- `evaluate.py` grouped cross-validation: the threshold curve, PGR, random baseline with bootstrap
  intervals, the oracle bound and the cheapest threshold that meets the target.
- `predict.py`  `predict(router, text, vars)` for users' serving paths.
- `clusters.py` failure clusters over failing outputs and assertion reasons.

scikit-learn is imported inside functions only, so importing this package stays cheap.
"""

from __future__ import annotations
