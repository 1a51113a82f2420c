"""Failure clusters: group failing results into failure modes a prompt engineer can read.

Each failing result (success = 0) becomes one document: its failing assertions' reasons, its row
error, and its output. Documents are embedded with TF-IDF (English stop words, 1-2 grams) and
clustered with k-means on the L2-normalised vectors (cosine geometry); k is chosen by the best
cosine silhouette over k = 2..8 (capped by the number of distinct documents). Identical
documents (repeats) count once when choosing k, so ten copies of one failure cannot fake a
structure. A cluster is labelled with its top centroid terms and the member nearest the centroid,
and broken down by prompt version and model, so the same failure mode is comparable across
versions and models. Clustering is global (all selected failures at once) for that reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlite_utils import Database

from workbench.errors import UsageError
from workbench.store.queries import latest_run, resolve_run

MAX_K = 8
TOP_TERMS = 5
SILHOUETTE_SAMPLE = 2000
MIN_SILHOUETTE = 0.05  # below this the "clusters" are noise: report one cluster


@dataclass
class FailureExample:
    result_id: int
    run_id: int
    test_idx: int
    prompt: str  # "family/version" or the prompt's label
    model: str
    reason: str
    output: str
    variant: str = "none"  # the prompt variant (compression), part of the pair like everywhere else

    @property
    def pair(self) -> str:
        return f"{self.prompt} · {self.variant} · {self.model}"


@dataclass
class FailureCluster:
    id: int
    size: int
    terms: list[str]
    example: FailureExample
    by_group: dict[str, int] = field(default_factory=dict)  # "prompt · variant · model" -> failures


@dataclass
class FailureReport:
    run_ids: list[int]
    filters: dict[str, Any]
    results: int  # results selected (passing and failing)
    failures: int
    clusters: list[FailureCluster]
    k: int
    silhouette: float | None  # of the chosen k; None when k was not chosen by silhouette
    method: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def failure_clusters(
    db: Database,
    *,
    run: str | int | None = None,
    family: str | None = None,
    version: str | None = None,
    model: str | None = None,
    max_k: int = MAX_K,
    seed: int = 0,
) -> FailureReport:
    """Cluster the failing results of a run (default: the latest), optionally one version/model.

    With `family` and `version` and no `run`, every run holding that version is used.
    """
    if (family is None) != (version is None):
        raise UsageError("--family and --version go together")
    where: list[str] = []
    params: list[Any] = []
    if run is not None:
        run_ids = [resolve_run(db, run)]
    elif family is None:
        run_ids = [latest_run(db)]
    else:
        run_ids = []
    if run_ids:
        where.append(f"r.run_id in ({', '.join('?' for _ in run_ids)})")
        params += run_ids
    if family is not None:
        where.append("pv.family = ? and pv.version = ?")
        params += [family, version]
    if model is not None:
        where.append("r.provider_label = ?")
        params.append(model)
    cond = " and ".join(where) or "1"
    base = f"""
        from results r
        left join prompt_versions pv on pv.id = r.prompt_version_id
        left join run_prompts rp on rp.run_id = r.run_id and rp.prompt_idx = r.prompt_idx
        where {cond}
    """
    total, used_runs = db.execute(f"select count(*), group_concat(distinct r.run_id) {base}", params).fetchone()
    if not total:
        raise UsageError(f"no results match {_describe(run, family, version, model)}")
    sql = f"""
        select r.id, r.run_id, r.test_idx, coalesce(pv.family || '/' || pv.version, rp.label, pv.label),
               r.provider_label, r.error, r.output, r.variant,
               (select group_concat(a.reason, ' | ') from assertion_results a
                 where a.result_id = r.id and a.pass = 0 and a.type != 'assert-set')
        {base} and r.success = 0
        order by r.id
    """
    examples = [
        FailureExample(
            result_id=int(rid),
            run_id=int(run_id),
            test_idx=int(tidx),
            prompt=str(prompt or "?"),
            model=str(label or "?"),
            reason=" | ".join(x for x in (err, reasons) if x),
            output=str(out or ""),
            variant=str(variant or "none"),
        )
        for rid, run_id, tidx, prompt, label, err, out, variant, reasons in db.execute(sql, params)
    ]
    run_list = sorted(int(x) for x in str(used_runs).split(",")) if used_runs else run_ids
    filters = {"run": run, "family": family, "version": version, "model": model}
    clusters, k, sil, method = cluster_examples(examples, max_k=max_k, seed=seed)
    return FailureReport(run_list, filters, int(total), len(examples), clusters, k, sil, method)


def document(e: FailureExample) -> str:
    return f"{e.reason}\n{e.output}"


def cluster_examples(
    examples: list[FailureExample], *, max_k: int = MAX_K, seed: int = 0
) -> tuple[list[FailureCluster], int, float | None, str]:
    """(clusters largest first, k, silhouette, method)."""
    if not examples:
        return [], 0, None, "none"
    docs = [document(e) for e in examples]
    distinct = sorted(set(docs))
    if len(distinct) < 3:
        labels = [distinct.index(d) for d in docs]
        return _build(examples, labels, None, None), len(distinct), None, "identical-text"
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import silhouette_score

    vec = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    try:
        vec.fit(distinct)
    except ValueError:  # only stop words: nothing to cluster on
        return _build(examples, [0] * len(examples), None, None), 1, None, "no-terms"
    x_distinct = vec.transform(distinct)
    best: tuple[float, int, Any] | None = None
    for k in range(2, min(max_k, len(distinct) - 1) + 1):
        km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x_distinct)
        if len(set(km.labels_)) < 2:
            continue
        sample = min(SILHOUETTE_SAMPLE, len(distinct))
        sil = float(silhouette_score(x_distinct, km.labels_, metric="cosine", sample_size=sample, random_state=seed))
        if best is None or sil > best[0] + 1e-9:
            best = (sil, k, km)
    if best is None or best[0] < MIN_SILHOUETTE:
        weak = best[0] if best else None
        return _build(examples, [0] * len(examples), vec, None), 1, weak, "tfidf+kmeans (no structure)"
    sil, k, km = best
    index = {d: i for i, d in enumerate(distinct)}
    labels = [int(km.labels_[index[d]]) for d in docs]
    return _build(examples, labels, vec, np.asarray(km.cluster_centers_)), k, sil, "tfidf+kmeans (silhouette)"


def _build(examples: list[FailureExample], labels: list[int], vec: Any, centers: Any) -> list[FailureCluster]:
    import numpy as np

    out = []
    for c in sorted(set(labels)):
        members = [e for e, lab in zip(examples, labels, strict=True) if lab == c]
        terms: list[str] = []
        example = members[0]
        if vec is not None:
            x = vec.transform([document(e) for e in members])
            center = np.asarray(centers[c]) if centers is not None else np.asarray(x.mean(axis=0)).ravel()
            names = vec.get_feature_names_out()
            terms = [str(names[i]) for i in np.argsort(-center, kind="stable")[:TOP_TERMS] if center[i] > 0]
            example = members[int(np.argmax(x @ center))]
        groups = Counter(e.pair for e in members)
        out.append(FailureCluster(0, len(members), terms, example, dict(groups.most_common())))
    out.sort(key=lambda cl: -cl.size)
    for i, cl in enumerate(out, 1):
        cl.id = i
    return out


def _describe(run: Any, family: Any, version: Any, model: Any) -> str:
    parts = [f"run {run}" if run is not None else "", f"{family}/{version}" if family else "", model or ""]
    return " ".join(p for p in parts if p) or "the latest run"
