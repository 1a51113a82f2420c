"""A trained cost router and failure clusters, learned from the results workbench already stores.

- `dataset.py`  builds the training table: one row per input (test x prompt version x variant),
  the per-model pass matrix and cost per request.
- `features.py` the feature pipeline (TF-IDF of the rendered prompt + token and var features).
- `train.py`    fits a calibrated classifier for P(cheap model passes) and stores it as a versioned
  artifact in the `routers` table.
- `evaluate.py` grouped cross-validation: the threshold curve, PGR, random baseline with bootstrap
  intervals, the oracle bound and the cheapest threshold that meets the target.
- `cascade.py`  more than two models: each input to the cheapest model predicted to pass.
- `nested_cv.py` the reported figures: threshold chosen inside nested cross-validation, pass rate,
  cost and share per model from the outer folds only (two models and cascades alike).
- `router_summary.py` single cheapest acceptable model vs routed, in $ per month.
- `predict.py`  `predict(router, text, vars)` for users' serving paths.
- `clusters.py` failure clusters over failing outputs and assertion reasons.

scikit-learn is imported inside functions only, so importing this package stays cheap.
"""

from __future__ import annotations
