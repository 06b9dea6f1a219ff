"""Figure builders: each returns a plan of its figure (lib.framework.figure_store), drawn when saved unless one drawn from the
same values is stored; saving is the artifacts fixture's job. builder.draw(...) draws at once."""
import io
from pathlib import Path

import matplotlib
import numpy as np

from lib.framework.atomic import write_with
from lib.framework.figure_store import FigurePlan, planned, png

matplotlib.use("Agg")


SETTING_COLOURS = {"Leaky": "C1", "ReLU": "C0", "relu": "C0", "He": "C3", "Xavier": "C2", "Glorot": "C2",
                   "U(−1, 1)": "C4", "sigmoid": "C5", "tanh": "C6"}
TARGET_STYLES = {"f1": "-", "f2": "--", "f3": ":"}


def styles(labels) -> list[dict]:
    """Per label, a colour and a line style: a setting keeps its colour in every figure of a claim (ReLU, Leaky,
    He, Xavier, …) unless two labels of one figure would share it; a Lu target its line style (f1 solid, f2
    dashed, f3 dotted)."""
    labels = list(labels)
    known = [_setting_colour(label) for label in labels]
    spare = iter(c for c in (f"C{i}" for i in range(10)) if c not in known)
    colours = [c if c is not None and sum(k == c for k, l in zip(known, labels) if _setting(l) != _setting(label)) == 0
               else next(spare, "k") for c, label in zip(known, labels)]
    return [{"color": c, "linestyle": _target_style(label)} for c, label in zip(colours, labels)]


def _setting(label: str) -> str:
    """The label without its Lu target (so 'ReLU f1' and 'ReLU f2' are one setting)."""
    return " ".join(w for w in label.replace(",", " ").split() if w not in TARGET_STYLES)


def _setting_colour(label: str) -> str | None:
    words = label.replace(",", " ").split()
    return next((c for key, c in SETTING_COLOURS.items() if key in words or label.startswith(key)), None)


def _target_style(label: str) -> str:
    return next((TARGET_STYLES[w] for w in label.replace(",", " ").split() if w in TARGET_STYLES), "-")


def save_figure(figure, path: Path, store: Path | None = None) -> Path:
    """Save a Figure or a FigurePlan as PNG at path (atomically) and return the path: a plan's PNG comes from the
    cache folder store when one drawn from the same values is there, and is drawn and stored there otherwise."""
    data = png(figure, store, lambda: render(figure.draw())) if isinstance(figure, FigurePlan) else render(figure)
    write_with(path, lambda stream: stream.write(data))
    return Path(path)


def pyplot():
    """matplotlib.pyplot, imported when a figure is first drawn: its import takes about half a second, which a run
    whose figures all come from the cache never needs."""
    import matplotlib.pyplot

    return matplotlib.pyplot


def render(figure) -> bytes:
    """The figure as PNG bytes (90 dpi, cropped to what is drawn); the figure is closed."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    pyplot().close(figure)
    return buffer.getvalue()


def _finish(figure, ax, xlabel: str, ylabel: str, title: str):
    """Label the axes, title and legend of a one-panel figure, and lay it out."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


VIOLIN_POINTS = 2001


def quantile_sketch(values, points: int = VIOLIN_POINTS) -> np.ndarray:
    """values' quantiles at points evenly spaced levels (all values when there are no more than points)."""
    values = np.ravel(values)
    return values if values.size <= points else np.quantile(values, np.linspace(0, 1, points))


@planned
def layer_violins(samples: dict[str, np.ndarray], layer_names: list[str], title: str, columns: int = 4,
                  sharey: bool = False, central: float | None = None, ylabel: str = "value"):
    """One panel per setting: the distribution of each layer's values as violins (Perunicic's figure).
    central (e.g. 0.98) clips every panel to that shared central share of all values, so heavy tails
    do not flatten the violins; the title says so. Each violin's density is estimated from at most VIOLIN_POINTS of
    its values' quantiles (evenly spaced), which draws the same shape as all of them at a fraction of the cost."""
    columns = min(columns, len(samples))  # no empty panels
    rows = -(-len(samples) // columns)
    figure, axes = pyplot().subplots(rows, columns, figsize=(3.4 * columns, 2.8 * rows), squeeze=False, sharey=sharey)
    if central is not None:
        everything = np.concatenate([np.ravel(v) for v in samples.values()])
        low, high = np.quantile(everything, [(1 - central) / 2, (1 + central) / 2])
        samples = {label: np.clip(values, low, high) for label, values in samples.items()}
        title = f"{title} (central {central:.0%} of all values shown)"
    for ax, (label, values) in zip(axes.flat, samples.items()):
        ax.violinplot([quantile_sketch(v) for v in values], showextrema=False)
        ax.set_xticks(range(1, len(layer_names) + 1), layer_names)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("layer")
        ax.set_ylabel(ylabel)
    for ax in list(axes.flat)[len(samples):]:
        ax.axis("off")
    figure.suptitle(title)
    figure.tight_layout()
    return figure


@planned
def per_layer_lines(series: dict[str, np.ndarray], layer_names: list[str], ylabel: str, title: str, log: bool = True):
    """Per setting, the median over networks of a per-layer quantity [K, layers], with its 10–90% band."""
    figure, ax = pyplot().subplots(figsize=(6.5, 4))
    x = np.arange(1, len(layer_names) + 1)
    for look, (label, values) in zip(styles(series), series.items()):
        low, mid, high = np.percentile(values, [10, 50, 90], axis=0)
        ax.plot(x, mid, marker="o", label=f"{label} (median, n = {len(values)})", **look)
        ax.fill_between(x, low, high, alpha=0.2, color=look["color"])
    ax.set_xticks(x, layer_names)
    ax.set_xlabel("layer (band: 10–90% of networks)")
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


@planned
def curves(series: dict[str, np.ndarray], xlabel: str, ylabel: str, title: str, reference: float | None = None,
           x: np.ndarray | None = None, log: bool = False):
    """Per setting, each run's curve [runs, steps] thin, and their mean thick; an optional reference line."""
    figure, ax = pyplot().subplots(figsize=(6.5, 4))
    for look, (label, values) in zip(styles(series), series.items()):
        steps = np.arange(values.shape[1]) if x is None else x
        ax.plot(steps, values.T, color=look["color"], alpha=0.25, linewidth=0.8)
        ax.plot(steps, values.mean(axis=0), linewidth=2, label=label, **look)
    if reference is not None:
        ax.axhline(reference, color="grey", linestyle="--", linewidth=1)
    if log:
        ax.set_yscale("log")
    return _finish(figure, ax, xlabel, ylabel, title)


@planned
def rate_bars(groups: dict[str, dict[str, tuple[float, float, float]]], ylabel: str, title: str, reference: float | None = None):
    """Grouped bars of rates with interval whiskers: groups[group][series] = (value, low, high)."""
    figure, ax = pyplot().subplots(figsize=(6.5, 4))
    series = list(next(iter(groups.values())))
    width = 0.8 / len(series)
    for s, (name, look) in enumerate(zip(series, styles(series))):
        values = np.array([groups[g][name] for g in groups])
        x = np.arange(len(groups)) + (s - (len(series) - 1) / 2) * width
        ax.bar(x, values[:, 0], width, label=name, color=look["color"])
        ax.errorbar(x, values[:, 0], yerr=[values[:, 0] - values[:, 1], values[:, 2] - values[:, 0]], fmt="none", color="k", capsize=3)
    if reference is not None:
        ax.axhline(reference, color="grey", linestyle="--", linewidth=1)
    ax.set_xticks(range(len(groups)), list(groups))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


@planned
def fits(x: np.ndarray, target: np.ndarray, outputs: dict[str, np.ndarray], title: str):
    """A target over the domain and some networks' outputs on the same grid."""
    figure, ax = pyplot().subplots(figsize=(6.5, 4))
    ax.plot(x, target, color="k", linewidth=2, label="target")
    for label, y in outputs.items():
        ax.plot(x, y, label=label)
    ax.set_xlabel("x")
    ax.set_ylabel("network output")
    ax.set_title(title)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


@planned
def rate_lines(x, lines: dict[str, np.ndarray], xlabel: str, ylabel: str, title: str, log_x: bool = False,
               theory: dict[str, np.ndarray] | None = None):
    """Rates against x, each line [len(x), 3] = (value, low, high) as points with a band; optional theory lines."""
    figure, ax = pyplot().subplots(figsize=(6.5, 4))
    for look, (label, values) in zip(styles(lines), lines.items()):
        values = np.asarray(values)
        look = look | ({"linestyle": "none"} if theory is not None else {})
        ax.plot(x, values[:, 0], marker="o", label=label, **look)
        ax.fill_between(x, values[:, 1], values[:, 2], color=look["color"], alpha=0.2)
        if theory is not None:
            ax.plot(x, theory[label], color=look["color"], linewidth=1)
    if log_x:
        ax.set_xscale("log")
        ax.set_xticks(list(x), [f"{v:g}" for v in x])  # the measured points, not 2×10⁰, 3×10⁰, …
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    return _finish(figure, ax, xlabel, ylabel, title)


@planned
def heatmap(values: np.ndarray, rows: list, columns: list, row_label: str, column_label: str, title: str):
    """A table of values in [0, 1] as colours, each cell annotated."""
    figure, ax = pyplot().subplots(figsize=(1.3 * len(columns) + 2, 0.7 * len(rows) + 1.5))
    image = ax.imshow(values, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for (r, c), v in np.ndenumerate(values):
        ax.text(c, r, f"{v:.3f}", ha="center", va="center", color="w" if v < 0.6 else "k", fontsize=9)
    ax.set_xticks(range(len(columns)), columns)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel(column_label)
    ax.set_ylabel(row_label)
    ax.set_title(title)
    figure.colorbar(image, ax=ax)
    figure.tight_layout()
    return figure


@planned
def functions(x: np.ndarray, lines: dict[str, np.ndarray], title: str, dots: dict[str, np.ndarray] | None = None):
    """Some functions of x as lines, and optionally others as dots on top (Week10 1.2–1.3)."""
    figure, ax = pyplot().subplots(figsize=(6.5, 4))
    for label, y in lines.items():
        ax.plot(x, y, label=label)
    for label, y in (dots or {}).items():
        ax.plot(x, y, ".", label=label)
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


@planned
def constants_vs_means(points: dict[str, tuple[np.ndarray, np.ndarray]], title: str):
    """Per setting, each run's (mean, constant) as a dot, against the diagonal constant = mean (Lu et al.)."""
    figure, ax = pyplot().subplots(figsize=(5, 5))
    for label, (constant, mean) in points.items():
        ax.scatter(mean, constant, s=6, label=label)
    low, high = ax.get_xlim()
    ax.plot([low, high], [low, high], color="grey", linewidth=1)
    ax.set_xlabel("mean of the run's training targets")
    ax.set_ylabel("the collapsed net's constant output")
    ax.set_title(title)
    ax.legend()
    return figure


@planned
def sign_scatters(panels: dict[str, tuple[np.ndarray, np.ndarray]]):
    """One panel per setting: per sample, one gradient entry against another, with both axes' zero lines."""
    figure, axes = pyplot().subplots(1, len(panels), figsize=(4.5 * len(panels), 4), squeeze=False)
    for ax, (title, (x, y)) in zip(axes.flat, panels.items()):
        ax.scatter(x, y, s=8)
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set_title(title, fontsize=9)
    figure.tight_layout()
    return figure
