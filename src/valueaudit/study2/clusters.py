"""Study 2, clustering and map of the models' profiles (METHODS section 5).

Ward clustering of centred (or standardised) profiles, the number of clusters chosen by
the mean silhouette width (scipy, scikit-learn), and a 2-D principal-component map.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["prepare_profiles", "cluster_profiles", "cluster_centroids", "profile_map"]


def prepare_profiles(profiles: pd.DataFrame, scale: str = "centre") -> pd.DataFrame:
    """Remove each model's elevation (``"centre"``: x - mean(x)), or its elevation and
    spread (``"standardise"``: (x - mean(x)) / sd(x), population sd), so that only the
    shape (and, for ``centre``, the size of the differences) of a profile remains.
    A flat profile stays all zeros under ``standardise``."""
    x = profiles.to_numpy(dtype=float)
    c = x - x.mean(axis=1, keepdims=True)
    if scale == "standardise":
        sd = c.std(axis=1, keepdims=True)
        c = np.divide(c, sd, out=np.zeros_like(c), where=sd > 0)
    elif scale != "centre":
        raise ValueError(f"scale must be 'centre' or 'standardise', got {scale!r}")
    return pd.DataFrame(c, index=profiles.index, columns=profiles.columns)


def cluster_profiles(
    profiles: pd.DataFrame,
    scale: str = "centre",
    k_min: int = 2,
    k_max: int = 8,
) -> dict[str, Any]:
    """Ward clustering of the prepared profiles, k chosen by the mean silhouette width.

    Ward's (1963) minimum-variance agglomeration on Euclidean distances
    (``scipy.cluster.hierarchy.linkage(method="ward")``); the tree is cut into k
    clusters for every k in ``k_min .. min(k_max, M - 1)`` and the k with the largest
    mean silhouette width s = mean_i (b_i - a_i) / max(a_i, b_i) (Rousseeuw, 1987;
    ``sklearn.metrics.silhouette_score``) is kept (the smaller k on a tie). Clusters
    are numbered 1..k in the left-to-right order of the dendrogram leaves.

    Returns
    -------
    dict
        ``X`` (prepared profiles), ``linkage`` (scipy linkage matrix or None), ``k``,
        ``labels`` (Series by model_id; empty without a clustering), ``silhouette``
        (DataFrame ``k, silhouette``), ``sample_silhouette`` (Series), ``leaves``
        (model ids in dendrogram order), ``scale``, ``reason`` (None, or why no
        clustering was possible).
    """
    from scipy.cluster.hierarchy import fcluster, leaves_list, linkage
    from sklearn.metrics import silhouette_samples, silhouette_score

    X = prepare_profiles(profiles, scale)
    m = X.shape[0]
    out: dict[str, Any] = {"X": X, "linkage": None, "k": None,
                           "labels": pd.Series(dtype=int, name="cluster"),
                           "silhouette": pd.DataFrame({"k": [], "silhouette": []}),
                           "sample_silhouette": pd.Series(dtype=float), "leaves": list(X.index),
                           "scale": scale, "reason": None}
    if m < 3:
        out["reason"] = f"clustering needs at least 3 models, got {m}"
        return out
    arr = X.to_numpy()
    Z = linkage(arr, method="ward", metric="euclidean")
    leaves = [X.index[i] for i in leaves_list(Z)]
    out.update(linkage=Z, leaves=leaves)
    ks = list(range(max(2, k_min), min(k_max, m - 1) + 1))
    if not ks:
        out["reason"] = f"no admissible number of clusters for {m} models"
        return out
    sil, cuts = [], {}
    for k in ks:
        lab = fcluster(Z, k, criterion="maxclust")
        cuts[k] = lab
        n_lab = len(np.unique(lab))
        sil.append(float(silhouette_score(arr, lab)) if 1 < n_lab < m else math.nan)
    sil_tab = pd.DataFrame({"k": ks, "silhouette": sil})
    if not np.isfinite(sil).any():
        out.update(silhouette=sil_tab, reason="silhouette undefined for every k (identical profiles)")
        return out
    best = ks[int(np.nanargmax(sil))]
    raw = cuts[best]
    # renumber clusters by their first appearance along the dendrogram leaves
    order = {}
    for i in leaves_list(Z):
        order.setdefault(raw[i], len(order) + 1)
    labels = pd.Series([order[v] for v in raw], index=X.index, name="cluster")
    samples = pd.Series(silhouette_samples(arr, labels.to_numpy()), index=X.index,
                        name="silhouette")
    out.update(k=int(best), labels=labels, silhouette=sil_tab, sample_silhouette=samples)
    return out


def cluster_centroids(X: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Mean prepared profile per cluster (rows ``cluster``), with ``n`` members."""
    g = X.groupby(labels.reindex(X.index))
    c = g.mean()
    c.insert(0, "n", g.size().astype(int))
    c.index.name = "cluster"
    return c


def profile_map(X: pd.DataFrame) -> dict[str, Any]:
    """Principal-component map of prepared profiles (models x themes).

    The column-centred matrix Xc = U S V' (SVD); the coordinates are U S (the first
    two components), the loadings V, the explained-variance ratios s^2 / sum s^2. Each
    component's sign is fixed so that its largest absolute loading is positive, which
    makes the map deterministic.

    Returns
    -------
    dict ``coords`` (DataFrame ``dim1, dim2`` by model), ``loadings`` (themes x
    ``dim1, dim2``), ``explained`` (list of two ratios).
    """
    arr = X.to_numpy(dtype=float)
    xc = arr - arr.mean(axis=0, keepdims=True)
    u, s, vt = np.linalg.svd(xc, full_matrices=False)
    ncomp = min(2, len(s))
    coords = np.zeros((arr.shape[0], 2))
    load = np.zeros((arr.shape[1], 2))
    total = float((s**2).sum())
    explained = [0.0, 0.0]
    for j in range(ncomp):
        v = vt[j]
        sign = 1.0 if v[np.argmax(np.abs(v))] >= 0 else -1.0
        coords[:, j] = sign * u[:, j] * s[j]
        load[:, j] = sign * v
        explained[j] = float(s[j] ** 2 / total) if total > 0 else 0.0
    return {"coords": pd.DataFrame(coords, index=X.index, columns=["dim1", "dim2"]),
            "loadings": pd.DataFrame(load, index=X.columns, columns=["dim1", "dim2"]),
            "explained": explained}

