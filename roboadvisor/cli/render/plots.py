"""Pictures (PNG) written with matplotlib's Agg backend, imported only when a plot is asked for.

Files are written atomically: to a temporary file beside the target, then renamed over it, so a
failure never leaves a half-written picture.
"""

from __future__ import annotations

from pathlib import Path

from roboadvisor.errors import InputError
from roboadvisor.services.allocate import FRONTIER_NOTE, FrontierResult


def check_png_path(path: Path, option: str = "--plot") -> Path:
    """Refuse, before any work, a target that is not a .png in an existing, writable folder."""
    from roboadvisor.data.outputs import check_output

    return check_output(path, option, suffix=".png")


def plot_frontier(result: FrontierResult, path: Path) -> Path:
    """The frontier line, every asset (labelled) and the tier portfolios (labelled)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt
    from matplotlib.ticker import PercentFormatter

    est = result.estimates
    fig, ax = plt.subplots(figsize=(10, 7), dpi=120)
    try:
        vols = [a.volatility for a in result.points]
        rets = [a.expected_return for a in result.points]
        ax.plot(vols, rets, "-", color="tab:blue", lw=2,
                label="Efficient frontier (universe limits only)")
        ax.scatter(est.volatilities, est.expected_returns, s=22, color="0.45", zorder=3,
                   label="Individual ETFs")
        for t, v, m in zip(est.tickers, est.volatilities, est.expected_returns, strict=True):
            ax.annotate(t, (v, m), xytext=(4, 3), textcoords="offset points", fontsize=8,
                        color="0.3", zorder=6)
        tv = [a.volatility for a in result.tiers.values()]
        tr = [a.expected_return for a in result.tiers.values()]
        ax.scatter(tv, tr, s=90, marker="D", color="tab:red", edgecolor="black", zorder=4,
                   label="Tier portfolios (with suitability and class limits)")
        ax.axhline(est.risk_free_rate, color="0.7", lw=0.8, ls="--")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlim(left=0)
        ax.text(0.99, est.risk_free_rate, f"risk-free {est.risk_free_rate:.2%} ",
                transform=ax.get_yaxis_transform(), ha="right", va="bottom", fontsize=8,
                color="0.5")
        # Tier labels go above-left of their marker (the empty side of the frontier), in a
        # white box so asset labels underneath stay readable.
        left, right = ax.get_xlim()
        for tier, a in result.tiers.items():
            near_left = a.volatility < left + 0.12 * (right - left)
            ax.annotate(f"Tier {tier.value} {tier.label}", (a.volatility, a.expected_return),
                        xytext=(22, 18) if near_left else (-10, 8), textcoords="offset points",
                        ha="left" if near_left else "right", fontsize=9, fontweight="bold",
                        color="tab:red", zorder=5,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                              "alpha": 0.85})
        ax.set_xlabel("Volatility (annualised)")
        ax.set_ylabel("Expected return (annualised)")
        as_of = f", as of {est.as_of}" if est.as_of else ""
        source = ("capital market assumptions" if result.source.value == "cma"
                  else est.source.replace("_", "-"))
        ax.set_title(f"Efficient frontier · {result.universe.name}\n{source}{as_of}")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
        fig.text(0.01, 0.005, FRONTIER_NOTE, fontsize=7, color="0.4")
        fig.tight_layout(rect=(0, 0.02, 1, 1))
        return _save(fig, Path(path))
    finally:
        plt.close(fig)


def _save(fig: object, path: Path) -> Path:
    """Write the PNG whole or not at all (``data.outputs.write_outputs``), mode following the
    umask; a folder that became unwritable is one line, not a traceback."""
    import io

    from roboadvisor.data.outputs import write_outputs

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")  # type: ignore[attr-defined]
    write_outputs({path: buffer.getvalue()}, error=InputError)
    return path
