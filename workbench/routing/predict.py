"""Apply a stored router in a serving path: which model to call for this input.

    from workbench.store.db import open_db
    from workbench.routing.predict import load_router, predict

    router = load_router(open_db("results/workbench.db"), "support")
    decision = predict(router, rendered_prompt, vars={"ticket": ticket})
    call(decision.model, rendered_prompt)

`text` must be the rendered prompt (what workbench stored in `results.prompt`), rendered from the
same prompt version the router was trained on; `vars` the same vars the suite's tests have.

Loading unpickles the stored artifact: trusted databases only.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from workbench.errors import StoreError
from workbench.routing.features import pass_probability
from workbench.routing.stored_routers import router_row
from workbench.routing.train import ARTIFACT_FORMAT


@dataclass
class Router:
    id: int
    name: str
    cheap_model: str
    strong_model: str
    threshold: float  # route to strong when P(cheap passes) < threshold
    estimator: Any  # a fitted scikit-learn classifier, or a constant probability (float)
    fitted: str
    metrics: dict[str, Any]
    sklearn_version: str | None = None
    models: list[str] = field(default_factory=list)  # cheapest first; more than two = a cascade


@dataclass
class RouteDecision:
    model: str
    p_pass_cheap: float
    threshold: float
    p_pass: dict[str, float] | None = None  # a cascade: P(pass) per model but the last


def load_router(db: Database, name: str | None = None, router_id: int | None = None) -> Router:
    """Load the newest router called `name` (or by id). Unpickles: trusted databases only."""
    import joblib

    row = router_row(db, name, router_id)
    try:
        payload = joblib.load(io.BytesIO(row["artifact"]))
    except Exception as e:  # a corrupt blob or an incompatible scikit-learn version
        raise StoreError(
            f"router {row['name']!r} (id {row['id']}) cannot be loaded ({type(e).__name__}: {e});"
            f" it was saved with scikit-learn {row['sklearn_version']}: retrain it with `workbench route train`"
        ) from e
    if not isinstance(payload, dict) or payload.get("format") != ARTIFACT_FORMAT:
        raise StoreError(f"router {row['name']!r} (id {row['id']}): unknown artifact format; retrain it")
    return Router(
        id=int(row["id"]),
        name=str(row["name"]),
        cheap_model=str(row["cheap_model"]),
        strong_model=str(row["strong_model"]),
        threshold=float(row["threshold"]),
        estimator=payload["estimator"],
        fitted=str(payload.get("fitted", "")),
        metrics=row["metrics"],
        sklearn_version=row["sklearn_version"],
        models=[str(m) for m in payload.get("models") or row["models"]],
    )


def predict(router: Router, text: str, vars: dict[str, Any] | None = None) -> RouteDecision:
    """The model to call for this input, with the predicted probability that the cheap one passes."""
    if isinstance(router.estimator, list):  # a cascade: the first model whose P(pass) clears the threshold
        record = [{"text": text, "vars": vars or {}}]
        probs = {
            m: float(pass_probability(e, record)[0]) for m, e in zip(router.models, router.estimator, strict=False)
        }
        chosen = next((m for m, p in probs.items() if p >= router.threshold), router.models[-1])
        return RouteDecision(chosen, probs[router.models[0]], router.threshold, probs)
    p = float(pass_probability(router.estimator, [{"text": text, "vars": vars or {}}])[0])
    model = router.strong_model if p < router.threshold else router.cheap_model
    return RouteDecision(model=model, p_pass_cheap=p, threshold=router.threshold)
