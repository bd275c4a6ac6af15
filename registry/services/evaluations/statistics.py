"""Paired statistics of pre/post scores, from scipy and statsmodels.

Every test and distribution comes from a library: ``scipy.stats.ttest_rel`` (with its
confidence interval of the mean change), ``scipy.stats.wilcoxon`` (exact for small samples
without zeros or ties, asymptotic otherwise), ``statsmodels`` McNemar (exact binomial when
the discordant pairs are few) and Holm's step-down correction. The effect sizes follow
Lakens (2013): Cohen's d_z (mean change over the SD of the changes), with its CI from the
noncentral t distribution, and Hedges' g_av (mean change over the mean of the two SDs, times
the small-sample correction J), with the normal-approximation CI for matched groups of
Borenstein et al. (2009).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

CONFIDENCE = 0.95
EXACT_WILCOXON_MAX_N = 50  # scipy's own bound for the exact distribution
EXACT_MCNEMAR_BELOW = 25  # discordant pairs below which the binomial test is used

Interval = tuple[float, float]


@dataclass(frozen=True)
class PairedStatistics:
    n: int
    mean_pre: float
    sd_pre: float | None
    mean_post: float
    sd_post: float | None
    mean_change: float
    sd_change: float | None
    change_ci: Interval | None
    t: float | None
    df: int | None
    t_p: float | None
    wilcoxon: float | None
    wilcoxon_p: float | None
    wilcoxon_method: str | None
    d_z: float | None
    d_z_ci: Interval | None
    g_av: float | None
    g_av_ci: Interval | None


@dataclass(frozen=True)
class ItemChange:
    link_id: str
    n: int
    correct_pre: float  # proportion (item difficulty)
    correct_post: float
    improved: int  # wrong before, right after (discordant pairs)
    worsened: int
    statistic: float | None
    p: float | None
    exact: bool
    p_holm: float | None = None


def paired(pre: NDArray[np.float64], post: NDArray[np.float64]) -> PairedStatistics:
    """Every paired figure of one instrument's matched scores."""
    n = len(pre)
    change = post - pre
    sd = _sd(change)
    t_test = _t_test(pre, post) if sd else None
    wil = _wilcoxon(change)
    d_z = _finite(float(change.mean()) / sd) if n > 1 and sd else None
    g_av, g_ci = _g_av(pre, post)
    return PairedStatistics(
        n=n, mean_pre=float(pre.mean()), sd_pre=_sd(pre), mean_post=float(post.mean()),
        sd_post=_sd(post), mean_change=float(change.mean()), sd_change=sd,
        change_ci=t_test[3] if t_test else None, t=t_test[0] if t_test else None,
        df=t_test[1] if t_test else None, t_p=t_test[2] if t_test else None,
        wilcoxon=wil[0], wilcoxon_p=wil[1], wilcoxon_method=wil[2],
        d_z=d_z, d_z_ci=_d_z_ci(d_z, n) if d_z is not None else None, g_av=g_av, g_av_ci=g_ci)


def _sd(values: NDArray[np.float64]) -> float | None:
    return _finite(float(np.std(values, ddof=1))) if len(values) > 1 else None


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _t_test(pre: NDArray[np.float64], post: NDArray[np.float64]
            ) -> tuple[float, int, float, Interval] | None:
    result = stats.ttest_rel(post, pre)
    ci = result.confidence_interval(CONFIDENCE)
    if not math.isfinite(float(result.statistic)):
        return None
    return (float(result.statistic), int(result.df), float(result.pvalue),
            (float(ci.low), float(ci.high)))


def _wilcoxon(change: NDArray[np.float64]) -> tuple[float | None, float | None, str | None]:
    """The signed-rank test: exact for small samples without zeros or ties."""
    nonzero = change[change != 0]
    if len(nonzero) == 0:
        return None, None, None
    ties = len(np.unique(np.abs(nonzero))) < len(nonzero)
    exact = len(nonzero) <= EXACT_WILCOXON_MAX_N and len(nonzero) == len(change) and not ties
    result = (stats.wilcoxon(change, method="exact", axis=None) if exact
              else stats.wilcoxon(change, method="asymptotic",  # type: ignore[call-overload]
                                  axis=None))  # scipy-stubs omit "asymptotic" here
    return float(result.statistic), float(result.pvalue), "exact" if exact else "asymptotic"


def _d_z_ci(d_z: float, n: int) -> Interval | None:
    """The CI of d_z: the noncentrality parameters whose t distributions put the observed t
    at the 97.5th and 2.5th percentiles, over sqrt(n)."""
    if n < 3:
        return None
    df, observed = n - 1, d_z * math.sqrt(n)
    width = 10 + 2 * abs(observed)

    def ncp_at(quantile: float) -> float:
        return float(optimize.brentq(
            lambda ncp: float(stats.nct.cdf(observed, df, ncp)) - quantile,
            observed - width, observed + width))
    tail = (1 - CONFIDENCE) / 2
    return ncp_at(1 - tail) / math.sqrt(n), ncp_at(tail) / math.sqrt(n)


def _g_av(pre: NDArray[np.float64], post: NDArray[np.float64]
          ) -> tuple[float | None, Interval | None]:
    n = len(pre)
    sd_pre, sd_post = _sd(pre), _sd(post)
    if n < 3 or not sd_pre or not sd_post:
        return None, None
    d_av = float((post - pre).mean()) / ((sd_pre + sd_post) / 2)
    j = 1 - 3 / (4 * (n - 1) - 1)
    r = float(stats.pearsonr(pre, post).statistic) if np.ptp(pre) and np.ptp(post) else 0.0
    variance = (1 / n + d_av ** 2 / (2 * n)) * 2 * (1 - r)
    z = float(stats.norm.ppf(1 - (1 - CONFIDENCE) / 2))
    half = z * math.sqrt(variance) * j
    return d_av * j, (d_av * j - half, d_av * j + half)


def item_changes(link_ids: list[str], pre: NDArray[np.float64], post: NDArray[np.float64]
                 ) -> list[ItemChange]:
    """McNemar per keyed item (columns of 1/0 scores of the matched mentees), Holm-corrected
    over the items that could be tested."""
    by_item_pre, by_item_post = np.ascontiguousarray(pre.T), np.ascontiguousarray(post.T)
    found = [_mcnemar(link, by_item_pre[k], by_item_post[k]) for k, link in enumerate(link_ids)]
    tested = [k for k, item in enumerate(found) if item.p is not None]
    if tested:
        holm = multipletests([found[k].p for k in tested], method="holm")[1]
        for k, p in zip(tested, holm, strict=True):
            found[k] = _with_holm(found[k], float(p))
    return found


def _mcnemar(link: str, pre: NDArray[np.float64], post: NDArray[np.float64]) -> ItemChange:
    right_before, right_after = pre >= 1, post >= 1
    improved = int(np.sum(~right_before & right_after))
    worsened = int(np.sum(right_before & ~right_after))
    both = int(np.sum(right_before & right_after))
    neither = int(np.sum(~right_before & ~right_after))
    n = len(pre)
    exact = improved + worsened < EXACT_MCNEMAR_BELOW
    statistic = p = None
    if improved + worsened:
        result = mcnemar([[both, worsened], [improved, neither]], exact=exact,
                         correction=True)
        statistic, p = float(result.statistic), float(result.pvalue)
    return ItemChange(link, n, float(right_before.mean()) if n else 0.0,
                      float(right_after.mean()) if n else 0.0, improved, worsened,
                      statistic, p, exact)


def _with_holm(item: ItemChange, p_holm: float) -> ItemChange:
    return ItemChange(item.link_id, item.n, item.correct_pre, item.correct_post, item.improved,
                      item.worsened, item.statistic, item.p, item.exact, p_holm)
