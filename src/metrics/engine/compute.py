"""Change, progress, status, confidence intervals and small-group suppression: pure functions.

Everything here works on numbers, scalars or NumPy arrays alike (missing values are ``NaN``), so
the indicator engine applies each formula to every (indicator, scope, period) at once. A scalar
in gives a Python ``float`` (or ``str``) out.

This module must not import the store, DuckDB or Streamlit, and must not read data.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from metrics import formatting

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | int | None | npt.ArrayLike

Z95 = NormalDist().inv_cdf(0.975)
"""The standard normal quantile for a two-sided 95 % interval (1.959964…)."""

ON_TRACK_TOLERANCE = 15.0
"""Points of progress a scope may lag behind the elapsed share of time and still be en camino."""

STATUSES = (
    "logrado",
    "en_camino",
    "en_riesgo",
    "sin_meta",
    "sin_linea_base",
    "sin_datos",
    "suprimido",
)
"""The closed set of ``estado`` values. ``sin_meta`` and ``sin_linea_base`` are values that lack
what their progress is measured against; ``sin_datos`` is only a missing value."""

_EPS = 1e-9


def _f(x: ArrayLike) -> FloatArray:
    """``x`` as a float array, ``None`` as NaN."""
    if x is None:
        return np.array(np.nan)
    arr = np.asarray(x, dtype=object if isinstance(x, list | tuple) else None)
    if arr.dtype == object:
        arr = np.array([np.nan if v is None else v for v in arr.ravel()], dtype=float).reshape(
            arr.shape
        )
    return arr.astype(np.float64, copy=False)


def fill_nan(x: ArrayLike, value: float = 0.0) -> FloatArray:
    """A float copy of ``x`` with NaN as ``value``: :func:`numpy.nan_to_num` without its
    passes for infinities (a tenth of the time on a country's rows)."""
    out = np.array(x, dtype=np.float64, copy=True)
    np.copyto(out, value, where=np.isnan(out))
    return out


def _out(x: Any, scalar: bool) -> Any:
    if scalar:
        return np.asarray(x).item()
    return x


def _is_scalar(*xs: ArrayLike) -> bool:
    return all(x is None or np.ndim(x) == 0 for x in xs)


# -- change, progress, status ----------------------------------------------------------------
def compute_change(valor: ArrayLike, linea_base: ArrayLike) -> tuple[Any, Any]:
    """``cambio`` (valor − línea base) and ``cambio_pct`` (relative to the baseline, in %).

    ``cambio_pct`` is NaN when the baseline is 0.

    Example (the guide's case, docs/indicadores.md):
        >>> cambio, pct = compute_change(2.0, 6.0)
        >>> cambio, round(pct, 1)
        (-4.0, -66.7)
    """
    scalar = _is_scalar(valor, linea_base)
    v, b = _f(valor), _f(linea_base)
    change = v - b
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(b != 0, change / b * 100.0, np.nan)
    return _out(change, scalar), _out(np.asarray(pct, dtype=float), scalar)


def compute_progress(valor: ArrayLike, linea_base: ArrayLike, meta: ArrayLike) -> Any:
    """Share of the way from the baseline to the target, in % (NaN when target = baseline).

    Example:
        >>> round(compute_progress(2.0, 6.0, 3.0))
        133
    """
    scalar = _is_scalar(valor, linea_base, meta)
    v, b, m = _f(valor), _f(linea_base), _f(meta)
    span = m - b
    with np.errstate(divide="ignore", invalid="ignore"):
        prog = np.where(np.abs(span) > _EPS, (v - b) / span * 100.0, np.nan)
    return _out(np.asarray(prog, dtype=float), scalar)


def period_end(year: ArrayLike, month: ArrayLike = None) -> Any:
    """The end of a period as a fractional year: 2024 → 2025.0, 2024-05 → 2024.4167."""
    scalar = _is_scalar(year, month)
    y, m = _f(year), _f(month)
    end = np.where(np.isnan(m), y + 1.0, y + m / 12.0)
    return _out(np.asarray(end, dtype=float), scalar)


def elapsed_share(
    period_end_year: ArrayLike, base_year: ArrayLike, deadline_year: ArrayLike
) -> Any:
    """Share (0–1) of the time from the end of the baseline year to the end of the deadline year.

    ``period_end_year`` is :func:`period_end` of the period. A deadline not after the baseline
    counts as fully elapsed.

    Example:
        >>> elapsed_share(period_end(2024), 2023, 2025)
        0.5
    """
    scalar = _is_scalar(period_end_year, base_year, deadline_year)
    t, b, d = _f(period_end_year), _f(base_year), _f(deadline_year)
    span = d - b
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(span > 0, (t - (b + 1.0)) / span, 1.0)
    share = np.clip(share, 0.0, 1.0)
    share = np.where(np.isnan(t) | np.isnan(b) | np.isnan(d), np.nan, share)
    return _out(np.asarray(share, dtype=float), scalar)


_POW10 = 10.0 ** np.arange(16)


def _powers_of_ten(d: FloatArray) -> FloatArray:
    """10 ** ``d``: for decimals 0 to 15 (always, in the catalogue) from a table, not a power
    per value."""
    if ((d >= 0) & (d < _POW10.size) & (d == np.floor(d))).all():
        return np.asarray(_POW10[d.astype(np.int64)], dtype=np.float64)
    return np.asarray(np.power(10.0, d), dtype=np.float64)


def round_half_away(x: ArrayLike, decimals: ArrayLike) -> Any:
    """``x`` rounded to ``decimals`` places, halves away from zero on the exact binary value:
    :func:`metrics.formatting.round_half_away` (what pages, headlines and charts print), for
    arrays.

    >>> round_half_away(274.5, 0), round_half_away(2.675, 2)
    (275.0, 2.67)
    """
    scalar = _is_scalar(x, decimals)
    v, d = _f(x), _f(decimals)
    d = np.broadcast_to(np.where(np.isnan(d), 0.0, d), v.shape)
    power = _powers_of_ten(d)
    scaled = np.abs(v) * power
    low = np.floor(scaled)
    out = np.sign(v) * np.where(scaled - low >= 0.5, low + 1.0, low) / power
    # Near a half, the scaled float may have rounded across it: decide on the exact value.
    with np.errstate(invalid="ignore"):
        near = np.flatnonzero(np.abs(scaled - low - 0.5) < 1e-6)
    if near.size:
        out = np.array(out, dtype=float, copy=True).reshape(-1)
        flat_v, flat_d = v.reshape(-1), d.reshape(-1)
        # Each distinct (value, decimals) once: a target repeats over many rows.
        pairs, back = np.unique(np.stack([flat_v[near], flat_d[near]]), axis=1, return_inverse=True)
        exact = np.array(
            [formatting.round_half_away(float(a), int(b)) for a, b in pairs.T], dtype=float
        )
        out[near] = exact[back.reshape(-1)]
        out = out.reshape(v.shape)
    return _out(np.asarray(out, dtype=float), scalar)


def target_met(
    valor: ArrayLike, meta: ArrayLike, sign: ArrayLike, decimals: ArrayLike = None
) -> Any:
    """Whether the value reaches the target in the good direction (``sign`` +1 or −1).

    With ``decimals`` both are compared as they are shown, rounded to that many places: a
    value that reads «18,8 %» reaches a target that reads «18,8 %».

    >>> target_met(18.83, 18.8, -1), target_met(18.83, 18.8, -1, 1)
    (False, True)
    """
    scalar = _is_scalar(valor, meta, sign, decimals)
    v, m, s = _f(valor), _f(meta), _f(sign)
    with np.errstate(invalid="ignore"):
        met = (s * (v - m) >= -_EPS * np.maximum(1.0, np.abs(m))) & ~np.isnan(v) & ~np.isnan(m)
    if decimals is None:
        return _out(np.asarray(met), scalar)
    # Rounding keeps order, so a value on the good side of its target meets it rounded too,
    # and one more than two units of the last place short of it does not: only the values
    # just short of their target are rounded (a few of a country's rows, not all of them).
    v, m, s, d = np.broadcast_arrays(v, m, s, _f(decimals))
    shape = v.shape
    v, m, s, d = (a.reshape(-1) for a in (v, m, s, d))
    met = np.array(np.broadcast_to(met, shape), dtype=bool, copy=True).reshape(-1)
    unit = 1.0 / _powers_of_ten(fill_nan(d))  # NaN decimals: none
    with np.errstate(invalid="ignore"):
        short = s * (v - m)
        near = np.flatnonzero((short < 0) & (short > -2.0 * unit - 2 * _EPS * np.abs(m)))
    if near.size:
        rv = round_half_away(v[near], d[near])
        rm = round_half_away(m[near], d[near])
        met[near] = s[near] * (rv - rm) >= -_EPS * np.maximum(1.0, np.abs(rm))
    return _out(met.reshape(shape), scalar)


def compute_status_codes(
    valor: ArrayLike,
    linea_base: ArrayLike,
    meta: ArrayLike,
    sign: ArrayLike,
    elapsed: ArrayLike,
    suppressed: ArrayLike = False,
    tolerance: float = ON_TRACK_TOLERANCE,
    decimals: ArrayLike = None,
) -> npt.NDArray[np.int8]:
    """:func:`compute_status` as positions in :data:`STATUSES` (cheaper for many rows)."""
    v, b, m, s, e, sup = np.broadcast_arrays(
        _f(valor), _f(linea_base), _f(meta), _f(sign), _f(elapsed), np.asarray(suppressed, bool)
    )
    codes = np.full(v.shape, 2, dtype=np.int8)
    codes[np.isnan(m)] = 3  # sin_meta
    codes[np.isnan(v)] = 5  # sin_datos
    codes[sup] = 6  # suprimido
    # Whether the target is met and the progress, only for the shown values with a target.
    t = np.flatnonzero((codes == 2).reshape(-1))
    if t.size:
        vt, bt, mt, et = (np.reshape(a, -1)[t] for a in (v, b, m, e))
        d = None if decimals is None else np.broadcast_to(_f(decimals), v.shape).reshape(-1)[t]
        met = np.asarray(target_met(vt, mt, np.reshape(s, -1)[t], d), dtype=bool)
        prog = np.asarray(compute_progress(vt, bt, mt), dtype=float)
        expected = np.where(np.isnan(et), 1.0, et) * 100.0 - tolerance
        with np.errstate(invalid="ignore"):
            on_track = prog >= expected - _EPS
        codes.reshape(-1)[t] = np.select(
            [met, np.isnan(bt), np.isnan(prog), on_track], [0, 4, 2, 1], default=2
        )
    return codes


def compute_status(
    valor: ArrayLike,
    linea_base: ArrayLike,
    meta: ArrayLike,
    sign: ArrayLike,
    elapsed: ArrayLike,
    suppressed: ArrayLike = False,
    tolerance: float = ON_TRACK_TOLERANCE,
    decimals: ArrayLike = None,
) -> Any:
    """``estado`` of each value.

    - ``suprimido``: a small group, not shown;
    - ``sin_datos``: no value (only then);
    - ``sin_meta``: a value without a target;
    - ``logrado``: the target met in the good direction (``sign`` +1 higher is better, −1 lower),
      compared at ``decimals`` places when given (as the value and target are shown);
    - ``sin_linea_base``: the target not met and no baseline to measure progress from;
    - ``en_camino``: progress ≥ elapsed share of the time to the deadline × 100 − ``tolerance``;
    - ``en_riesgo``: otherwise (also when the target equals the baseline and is not met).

    Example (the guide's case):
        >>> compute_status(2.0, 6.0, 3.0, -1, 1.0)
        'logrado'
    """
    scalar = _is_scalar(valor, linea_base, meta, sign, elapsed, suppressed, decimals)
    codes = compute_status_codes(
        valor, linea_base, meta, sign, elapsed, suppressed, tolerance, decimals
    )
    return _out(np.asarray(STATUSES, dtype=object)[codes], scalar)


# -- sufficient statistics --------------------------------------------------------------------
def sample_variance(n: ArrayLike, total: ArrayLike, total_sq: ArrayLike) -> Any:
    """Sample variance (n − 1 denominator) from n, Σx and Σx²; NaN when n < 2."""
    scalar = _is_scalar(n, total, total_sq)
    nn, s1, s2 = _f(n), _f(total), _f(total_sq)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(nn >= 2, (s2 - s1 * s1 / nn) / (nn - 1.0), np.nan)
    var = np.where(np.isnan(var), np.nan, np.maximum(var, 0.0))  # rounding can go below 0
    return _out(np.asarray(var, dtype=float), scalar)


def ratio_unit_variance(
    m: ArrayLike,
    sum_y: ArrayLike,
    sum_x: ArrayLike,
    sum_yy: ArrayLike,
    sum_xx: ArrayLike,
    sum_xy: ArrayLike,
) -> Any:
    """Variance per unit of the ratio Σy ÷ Σx over ``m`` units (delta method).

    ``var(R) ≈ Σ(yᵢ − R·xᵢ)² ÷ (m (m − 1) x̄²)``; this returns ``m · var(R)``, the quantity
    :func:`welch` expects as ``var`` with ``n = m``.
    """
    scalar = _is_scalar(m, sum_y, sum_x, sum_yy, sum_xx, sum_xy)
    mm, y, x, yy, xx, xy = (_f(a) for a in (m, sum_y, sum_x, sum_yy, sum_xx, sum_xy))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = y / x
        resid = np.maximum(yy - 2 * r * xy + r * r * xx, 0.0)
        xbar = x / mm
        out = np.where((mm >= 2) & (x > 0), resid / ((mm - 1.0) * xbar * xbar), np.nan)
    return _out(np.asarray(out, dtype=float), scalar)


# -- intervals --------------------------------------------------------------------------------
def wilson(k: ArrayLike, n: ArrayLike, z: float = Z95) -> tuple[Any, Any]:
    """Wilson score interval for a proportion k/n (0–1); NaN when n = 0.

    Example:
        >>> lo, hi = wilson(3, 50)
        >>> round(lo, 4), round(hi, 4)
        (0.0206, 0.1622)
    """
    scalar = _is_scalar(k, n)
    kk, nn = _f(k), _f(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = kk / nn
        z2n = z * z / nn
        centre = (p + z2n / 2.0) / (1.0 + z2n)
        half = z / (1.0 + z2n) * np.sqrt(np.maximum(p * (1 - p) / nn + z2n / (4.0 * nn), 0.0))
        ok = nn > 0
        lo = np.where(ok, np.clip(centre - half, 0.0, 1.0), np.nan)
        hi = np.where(ok, np.clip(centre + half, 0.0, 1.0), np.nan)
    return _out(np.asarray(lo, dtype=float), scalar), _out(np.asarray(hi, dtype=float), scalar)


def newcombe(
    k1: ArrayLike, n1: ArrayLike, k0: ArrayLike, n0: ArrayLike, z: float = Z95
) -> tuple[Any, Any]:
    """95 % interval for p1 − p0 of two independent proportions: Newcombe's hybrid score
    interval (his method 10), built from the two Wilson intervals. In proportion units (0–1).

    Example (Newcombe 1998, table II, 56/70 vs 48/80):
        >>> lo, hi = newcombe(56, 70, 48, 80)
        >>> round(lo, 4), round(hi, 4)
        (0.0524, 0.3339)
    """
    scalar = _is_scalar(k1, n1, k0, n0)
    kk1, nn1, kk0, nn0 = _f(k1), _f(n1), _f(k0), _f(n0)
    l1, u1 = wilson(kk1, nn1, z)
    l0, u0 = wilson(kk0, nn0, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = kk1 / nn1, kk0 / nn0
        d = p1 - p0
        lo = d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
        hi = d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    ok = (nn1 > 0) & (nn0 > 0)
    lo = np.where(ok, lo, np.nan)
    hi = np.where(ok, hi, np.nan)
    return _out(np.asarray(lo, dtype=float), scalar), _out(np.asarray(hi, dtype=float), scalar)


def _t975(df: FloatArray) -> FloatArray:
    """Student's t quantile for a two-sided 95 % interval: Hill (1970), ACM Algorithm 396,
    vectorised. Accurate to about 1e-6 for every df ≥ 1 (real-valued, as Welch's are), with
    the exact forms for 1 and 2 degrees of freedom. No SciPy needed.
    """
    p2 = 0.05
    n = np.maximum(df, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = 1.0 / (n - 0.5)
        b = 48.0 / (a * a)
        c = ((20700.0 * a / b - 98.0) * a - 16.0) * a + 96.36
        d = ((94.5 / (b + c) - 3.0) / b + 1.0) * np.sqrt(a * math.pi / 2.0) * n
        y = (d * p2) ** (2.0 / n)
        # Far tail of the normal approximation (the usual case for 95 %).
        x = NormalDist().inv_cdf(p2 * 0.5)
        cc = np.where(n < 5, c + 0.3 * (n - 4.5) * (x + 0.6), c)
        cc = (((0.05 * d * x - 5.0) * x - 7.0) * x - 2.0) * x + b + cc
        yb = (
            ((((0.4 * x * x + 6.3) * x * x + 36.0) * x * x + 94.5) / cc - x * x - 3.0) / b + 1.0
        ) * x
        yb = a * yb * yb
        yb = np.where(yb > 0.002, np.expm1(yb), 0.5 * yb * yb + yb)
        # Small-df branch.
        ys = (
            (1.0 / (((n + 6.0) / (n * y) - 0.089 * d - 0.822) * (n + 2.0) * 3.0) + 0.5 / (n + 4.0))
            * y
            - 1.0
        ) * (n + 1.0) / (n + 2.0) + 1.0 / y
        t = np.sqrt(n * np.where(y > 0.05 + a, yb, ys))
    t = np.where(n == 1.0, 1.0 / math.tan(p2 * math.pi / 2.0), t)
    t = np.where(n == 2.0, math.sqrt(2.0 / (p2 * (2.0 - p2)) - 2.0), t)
    return np.where(np.isnan(df), np.nan, t)


def t_quantile_975(df: ArrayLike) -> Any:
    """Student's t 0.975 quantile for (real) degrees of freedom ``df``.

    Example:
        >>> round(t_quantile_975(10), 4)
        2.2281
    """
    scalar = _is_scalar(df)
    return _out(np.asarray(_t975(_f(df)), dtype=float), scalar)


def welch(
    mean1: ArrayLike,
    var1: ArrayLike,
    n1: ArrayLike,
    mean0: ArrayLike,
    var0: ArrayLike,
    n0: ArrayLike,
) -> tuple[Any, Any]:
    """95 % Welch interval for mean1 − mean0 (unequal variances, Welch–Satterthwaite df).

    NaN unless both groups have n ≥ 2 and a variance. When both variances are 0 the interval
    is the difference itself.

    Example:
        >>> lo, hi = welch(5.0, 1.0, 10, 4.0, 1.0, 10)
        >>> round(lo, 3), round(hi, 3)
        (0.06, 1.94)
    """
    scalar = _is_scalar(mean1, var1, n1, mean0, var0, n0)
    m1, v1, nn1, m0, v0, nn0 = (_f(a) for a in (mean1, var1, n1, mean0, var0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        a = v1 / nn1
        b = v0 / nn0
        se2 = a + b
        df = se2 * se2 / (a * a / (nn1 - 1.0) + b * b / (nn0 - 1.0))
    ok = (nn1 >= 2) & (nn0 >= 2) & ~np.isnan(v1) & ~np.isnan(v0) & ~np.isnan(m1) & ~np.isnan(m0)
    df = np.where(ok & (se2 > 0), df, np.nan)
    t = np.asarray(t_quantile_975(df), dtype=float)
    half = np.where(se2 > 0, t * np.sqrt(np.maximum(se2, 0.0)), 0.0)
    d = m1 - m0
    lo = np.where(ok, d - half, np.nan)
    hi = np.where(ok, d + half, np.nan)
    return _out(np.asarray(lo, dtype=float), scalar), _out(np.asarray(hi, dtype=float), scalar)


def hedges_g(
    mean1: ArrayLike,
    var1: ArrayLike,
    n1: ArrayLike,
    mean0: ArrayLike,
    var0: ArrayLike,
    n0: ArrayLike,
) -> Any:
    """Hedges' g of group 1 against group 0: pooled-SD standardized difference with the
    small-sample correction J = 1 − 3 / (4 (n1 + n0) − 9). NaN when the pooled SD is 0.

    Example:
        >>> round(hedges_g(4.0, 1.0, 20, 3.5, 1.0, 20), 4)
        0.4901
    """
    scalar = _is_scalar(mean1, var1, n1, mean0, var0, n0)
    m1, v1, nn1, m0, v0, nn0 = (_f(a) for a in (mean1, var1, n1, mean0, var0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        dfp = nn1 + nn0 - 2.0
        sp = np.sqrt(((nn1 - 1.0) * v1 + (nn0 - 1.0) * v0) / dfp)
        j = 1.0 - 3.0 / (4.0 * (nn1 + nn0) - 9.0)
        g = np.where((nn1 >= 2) & (nn0 >= 2) & (sp > 0), (m1 - m0) / sp * j, np.nan)
    return _out(np.asarray(g, dtype=float), scalar)


def is_conclusive(lower: ArrayLike, upper: ArrayLike) -> Any:
    """``True`` when the interval excludes 0, ``False`` when it includes it, ``None`` without."""
    scalar = _is_scalar(lower, upper)
    lo, hi = _f(lower), _f(upper)
    out = np.asarray(~((lo <= 0) & (hi >= 0))).astype(object)  # Python bools
    out[np.isnan(lo) | np.isnan(hi)] = None
    return _out(out, scalar)


def did_interval(
    changes: tuple[ArrayLike, ArrayLike],
    variances: tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike],
    sizes: tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike],
    z: float = Z95,
) -> tuple[Any, Any, Any]:
    """Difference in differences and its 95 % interval: ``changes`` are the group's and the
    comparison's (value − baseline); ``variances`` (per unit) and ``sizes`` of the four
    samples: the group now and at baseline, the comparison now and at baseline. The samples
    are taken as independent (students in different courses, and different years), so the
    variance of the difference is the sum of the four ``var / n``. NaN where a sample has
    fewer than 2 units or no variance.

    Example: repetition 18 % → 8 % (200 students each year) in the community's courses,
    15 % → 12 % (150) in the rest: −10 − (−3) = −7 points.
        >>> var = [p * (100 - p) for p in (8.0, 18.0, 12.0, 15.0)]
        >>> dd, lo, hi = did_interval((-10.0, -3.0), var, (200, 200, 150, 150))
        >>> round(dd, 1), round(lo, 1), round(hi, 1)
        (-7.0, -17.1, 3.1)
    """
    scalar = _is_scalar(*changes, *variances, *sizes)
    c1, c0 = _f(changes[0]), _f(changes[1])
    dd = c1 - c0
    se2 = np.zeros(np.broadcast(dd, *(_f(v) for v in variances)).shape)
    ok = ~np.isnan(dd)
    for var, n in zip(variances, sizes, strict=True):
        vv, nn = _f(var), _f(n)
        ok = ok & (nn >= 2) & ~np.isnan(vv)
        with np.errstate(divide="ignore", invalid="ignore"):
            se2 = se2 + np.where(nn >= 2, vv / nn, np.nan)
    half = z * np.sqrt(np.maximum(se2, 0.0))
    lo = np.where(ok, dd - half, np.nan)
    hi = np.where(ok, dd + half, np.nan)
    return (
        _out(np.asarray(dd, dtype=float), scalar),
        _out(np.asarray(lo, dtype=float), scalar),
        _out(np.asarray(hi, dtype=float), scalar),
    )


def suppress_beside(
    n: ArrayLike,
    hidden: ArrayLike,
    total: ArrayLike,
    part: ArrayLike,
    group: ArrayLike,
    min_group: int,
) -> npt.NDArray[np.bool_]:
    """Which groups set *beside* a family to hide, besides those already ``hidden``: a
    community's comparison group (``group[i]``) beside its school's total (``total[i]``) and
    the community (``part[i]``; −1: none). The families of :func:`suppress` are left as they
    are: a comparison group is the one hidden, never the values it is compared with.

    A group is hidden when (1) it is hidden already or has 0 < n < ``min_group``; (2) the
    total is hidden or missing; (3) the total less the shown part and the group leaves
    0 < R < ``min_group`` students; (4) two shown groups of the same total differ by
    0 < d < ``min_group`` students (one may hold the other): the smaller is hidden, and the
    rule runs again.

    Example: a school of 55, a community of 30 and its comparison group of 20 leave 5
    students in neither: the group is hidden.
        >>> suppress_beside([55, 30, 20], [False] * 3, [0], [1], [2], 10).tolist()
        [False, False, True]
    """
    nn = fill_nan(_f(n).ravel())
    out = np.asarray(hidden, dtype=bool).ravel().copy()
    tot = np.asarray(total, dtype=np.int64).ravel()
    par = np.asarray(part, dtype=np.int64).ravel()
    grp = np.asarray(group, dtype=np.int64).ravel()
    if not grp.size:
        return out
    gn = nn[grp]
    bad = out[grp] | ((gn > 0) & (gn < min_group)) | (tot < 0)
    bad |= np.where(tot >= 0, out[np.maximum(tot, 0)], True)
    shown_part = (par >= 0) & ~out[np.maximum(par, 0)]
    rest = nn[np.maximum(tot, 0)] - np.where(shown_part, nn[np.maximum(par, 0)], 0.0) - gn
    bad |= (rest > _EPS) & (rest < min_group - _EPS)
    out[grp[bad]] = True
    while True:
        live = np.flatnonzero(~out[grp])
        if live.size < 2:
            return out
        # Pairs of shown groups of the same total, their sizes' difference.
        order = live[np.lexsort((gn[live], tot[live]))]
        same = tot[order][1:] == tot[order][:-1]
        gap = gn[order][1:] - gn[order][:-1]
        # Sorted by size within a total: a small gap between neighbours is the smallest gap.
        close = same & (gap > _EPS) & (gap < min_group - _EPS)
        if not close.any():
            return out
        out[grp[order[:-1][close]]] = True


# -- suppression --------------------------------------------------------------------------------
def suppress(
    n: ArrayLike,
    sensitive: ArrayLike,
    parent: ArrayLike,
    child: ArrayLike,
    min_group: int,
    hidden: ArrayLike = None,
    family: ArrayLike = None,
) -> npt.NDArray[np.bool_]:
    """Which values to hide so that no group of fewer than ``min_group`` students shows.

    ``n[i]`` is how many students (or student respondents) value ``i`` rests on, ``sensitive[i]``
    whether it is about students at all. ``parent``/``child`` are index pairs of the families in
    which parts can add up to a total: a territory and its schools, a school and its
    communities, a year and its months — for one indicator and period. ``family`` says which
    kind of family each pair belongs to (a small number; all one kind when None): one total
    heads a family of each kind, and each is checked on its own (a school's communities and
    its months are not parts of one whole).

    1. *Primary*: a sensitive value with 0 < n < ``min_group`` is hidden.
    2. *Complementary*: in every family, let R = n(total) − Σ n(shown parts), what subtraction
       would reveal. With the total shown, R must be ≤ 0 (parts overlap or cover it) or at
       least ``min_group``; with the total hidden, its shown parts must not rebuild it: R must
       be < 0 or ≥ ``min_group`` (a hidden total may itself be the part of a shown total, so a
       small remainder would leak through it). Otherwise the next-smallest shown part (with
       n > 0) is hidden too, and the rules run again until nothing changes.

    ``hidden`` marks values already hidden by an earlier pass (they stay hidden).

    Hiding only ever grows, so the loop ends.

    Example: a territory of 3 schools with 40, 30 and 4 students; the 4 are hidden, so is the
    next-smallest school, since 74 − 40 would give them away:
        >>> suppress([74, 40, 30, 4], [True] * 4, [0, 0, 0], [1, 2, 3], 10).tolist()
        [False, False, True, True]

    A school of 30 with communities of 22 and 8 and one month of 30: the month does not cover
    the communities (another family), so 30 − 22 would give the 8 away:
        >>> kinds = [0, 0, 1]  # communities, communities, month
        >>> suppress([30, 22, 8, 30], [True] * 4, [0, 0, 0], [1, 2, 3], 10, family=kinds).tolist()
        [False, True, True, False]
    """
    nn = fill_nan(_f(n).ravel())
    sens = np.asarray(sensitive, dtype=bool).ravel()
    par = np.asarray(parent, dtype=np.int64).ravel()
    chi = np.asarray(child, dtype=np.int64).ravel()
    size = nn.size
    initial = (
        np.zeros(size, dtype=bool) if hidden is None else np.asarray(hidden, dtype=bool).ravel()
    )
    hidden = initial | (sens & (nn > 0) & (nn < min_group))
    if par.size == 0:
        return hidden
    # Each family numbered by its total and its kind: ``fam`` per pair, ``head`` its total.
    kind = np.zeros(par.size, dtype=np.int64) if family is None else np.asarray(family, np.int64)
    kinds = int(kind.max()) + 1
    fam = kind * size + par
    head = np.tile(np.arange(size, dtype=np.int64), kinds)
    has_family = np.bincount(fam, minlength=size * kinds) > 0
    fam_n, fam_sens = nn[head], sens[head]
    child_n = nn[chi]
    while True:
        shown_child = ~hidden[chi]
        fam_hidden = hidden[head]
        shown_sum = np.bincount(
            fam, weights=np.where(shown_child, child_n, 0.0), minlength=size * kinds
        )
        shown_pos = (
            np.bincount(fam, weights=(shown_child & (child_n > 0)), minlength=size * kinds) > 0
        )
        rest = fam_n - shown_sum
        small = rest < min_group - _EPS
        bad = (
            has_family
            & fam_sens
            & (
                (~fam_hidden & (rest > _EPS) & small)
                | (fam_hidden & shown_pos & (rest > -_EPS) & small)
            )
        )
        if not bad.any():
            return hidden
        # For every violated family, hide its smallest shown part with students.
        cand = bad[fam] & shown_child & (child_n > 0)
        if not cand.any():
            # Nothing left to hide below a shown total: hide the total (only reachable when the
            # total itself is small, which rule 1 already hides; kept for safety).
            hidden[head[bad & ~fam_hidden]] = True
            continue
        cp, cc, cn = fam[cand], chi[cand], child_n[cand]
        order = np.lexsort((cc, cn, cp))
        cp, cc = cp[order], cc[order]
        first = np.ones(cp.size, dtype=bool)
        first[1:] = cp[1:] != cp[:-1]
        hidden[cc[first]] = True
