"""The harness's outputs: a console table, JSON, a Markdown table and an SVG latency plot."""

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

# name -> (the reference it is compared with, the target share, what the target says)
TARGETS = {
    "validate": ("three queries", 0.7),
    "activation cycle": ("three queries", 0.4),
    "policy page": ("plain template page", 0.8),
    "login": ("Argon2id alone", 0.8),
    "license list": ("three queries", 0.5),
    "license detail": ("three queries", 0.5),
    "integrator overview": ("three queries", 0.5),
    "account page": ("three queries", 0.6),
}


def ratios(run: dict, *, by: str = "rps") -> dict[str, float]:
    """Each endpoint's share of its reference, measured in the same run.

    ``by="rps"`` compares requests per second; ``by="cpu"`` compares the server CPU time
    per request (reference CPU / endpoint CPU), which other work on the machine hardly skews.
    """
    results = run["endpoints"]
    shares = {}
    for name, result in results.items():
        reference = TARGETS.get(name, ("three queries", None))[0]
        if name in ("bare JSON", "three queries"):
            continue
        if reference == "Argon2id alone":
            base = run["argon2"]["capacity_per_s"] if by == "rps" else run["argon2"]["verify_cpu_ms"]
        elif reference in results:
            base = results[reference]["rps" if by == "rps" else "cpu_ms"]
        else:
            continue
        if by == "rps":
            shares[name] = result["rps"] / base if base else 0.0
        else:
            shares[name] = base / result["cpu_ms"] if result["cpu_ms"] else 0.0
    return shares


def table(runs: list[dict]) -> str:
    lines = [
        "| licenses | endpoint | req/s | p50 ms | p99 ms | server CPU ms/req | share of | share (req/s) "
        "| share (CPU) | target | unexpected |",
        "|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for run in runs:
        shares = ratios(run)
        cpu_shares = ratios(run, by="cpu")
        for name, result in run["endpoints"].items():
            reference, target = TARGETS.get(name, ("three queries", None))
            if name in ("bare JSON", "three queries"):
                reference = ""
            share = f"{shares[name]:.2f}" if name in shares else ""
            cpu_share = f"{cpu_shares[name]:.2f}" if name in cpu_shares else ""
            wanted = f"≥ {target}" if target else ""
            lines.append(
                f"| {run['licenses']:,} | {name} | {result['rps']:.1f} | {result['p50_ms']:.1f} | "
                f"{result['p99_ms']:.1f} | {result.get('cpu_ms', 0):.1f} | {reference} | {share} | "
                f"{cpu_share} | {wanted} | {result['unexpected']} |"
            )
    return "\n".join(lines)


def admin_table(runs: list[dict]) -> str:
    lines = ["| licenses | admin page | median ms |", "|---:|---|---:|"]
    for run in runs:
        for label, ms in run.get("admin_ms", {}).items():
            lines.append(f"| {run['licenses']:,} | {label} | {ms:.0f} |")
    return "\n".join(lines)


def growth(runs: list[dict]) -> list[str]:
    """p99 at the largest scale against p99 at the smallest (target: at most 1.5 times)."""
    if len(runs) < 2:
        return []
    first, last = runs[0], runs[-1]
    lines = []
    for name in first["endpoints"]:
        if name in last["endpoints"] and name not in ("bare JSON", "three queries"):
            before, after = first["endpoints"][name]["p99_ms"], last["endpoints"][name]["p99_ms"]
            lines.append(
                f"p99 of {name}: {after:.1f} ms at {last['licenses']:,} licenses, "
                f"{before:.1f} ms at {first['licenses']:,} ({after / before if before else 0:.2f}x)"
            )
    return lines


def svg(runs: list[dict]) -> str:
    """p50 and p99 of each endpoint against the number of licenses (log scale), drawn by hand."""
    import math

    width, height, left, bottom, top, right = 760, 420, 60, 50, 20, 200
    names = [n for n in runs[0]["endpoints"] if all(n in r["endpoints"] for r in runs)]
    values = [r["endpoints"][n]["p99_ms"] for r in runs for n in names] or [1.0]
    y_max = max(values) * 1.1 or 1.0
    scales = [r["licenses"] for r in runs]
    x_lo, x_hi = math.log10(min(scales)), math.log10(max(scales))
    span = (x_hi - x_lo) or 1.0

    def x(licenses: int) -> float:
        return left + (math.log10(licenses) - x_lo) / span * (width - left - right)

    def y(ms: float) -> float:
        return height - bottom - ms / y_max * (height - bottom - top)

    colours = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#30638e", "#6a4c93", "#8a5a44", "#3d7b3d"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" '
        'stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="black"/>',
        f'<text x="{(width - right) / 2}" y="{height - 10}" text-anchor="middle">licenses (log scale)</text>',
        f'<text x="14" y="{top + 10}">ms</text>',
    ]
    for licenses in scales:
        parts.append(
            f'<text x="{x(licenses):.0f}" y="{height - bottom + 16}" text-anchor="middle">{licenses:,}</text>'
        )
    for step in range(5):
        ms = y_max * step / 4
        parts.append(f'<text x="{left - 6}" y="{y(ms) + 4:.0f}" text-anchor="end">{ms:.0f}</text>')
    for index, name in enumerate(names):
        colour = colours[index % len(colours)]
        for key, dash in (("p99_ms", ""), ("p50_ms", ' stroke-dasharray="4 3"')):
            points = " ".join(f"{x(r['licenses']):.1f},{y(r['endpoints'][name][key]):.1f}" for r in runs)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
            )
        legend_y = top + 16 * index
        parts.append(
            f'<rect x="{width - right + 12}" y="{legend_y}" width="10" height="10" fill="{colour}"/>'
        )
        parts.append(f'<text x="{width - right + 28}" y="{legend_y + 9}">{name}</text>')
    parts.append(
        f'<text x="{width - right + 12}" y="{top + 16 * len(names) + 14}">solid p99, dashed p50</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def write(runs: list[dict], meta: dict) -> list[Path]:
    RESULTS.mkdir(exist_ok=True)
    stamp = meta["started"].replace(":", "").replace("-", "")
    paths = [RESULTS / f"run-{stamp}.json", RESULTS / f"run-{stamp}.md", RESULTS / f"latency-{stamp}.svg"]
    paths[0].write_text(json.dumps({"meta": meta, "runs": runs}, indent=2))
    markdown = [
        f"# Benchmark {meta['started']}",
        "",
        f"`{meta['command']}`",
        "",
        f"{meta['machine']}",
        "",
        table(runs),
        "",
        admin_table(runs),
        "",
        *[f"- {line}" for line in growth(runs)],
        "",
    ]
    paths[1].write_text("\n".join(markdown))
    paths[2].write_text(svg(runs))
    return paths
