"""A self-contained HTML report of an event store.

One file, nothing fetched from the web: inline CSS, snapshots as base64 ``data:`` URIs,
charts as inline SVG. Every piece of text from the data goes through :func:`html.escape`.

Sections: a summary, the helmet-wearing rate per camera and time window (bars with Wilson
95 % interval whiskers (:func:`anfang.helmet.metrics.wilson_interval`), from ``rider`` events whose ``helmet`` detail is true/false), a
trajectory plot per falling object (image coordinates, y down), and the event table with
snapshots and evidence hashes.

Example
-------
>>> [round(v, 3) for v in wilson_interval(5, 10)]
[0.237, 0.763]
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import os
from collections import defaultdict
from typing import Any, Iterable, Mapping

from anfang.events import Event
from anfang.helmet.metrics import wilson_interval  # one implementation, re-exported here
from anfang.io.evidence import trajectory_points

__all__ = ["render_report", "write_report", "wilson_interval", "helmet_rates"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1b4f8a;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:24px} header p{margin:4px 0 0;opacity:.85}
main{padding:12px 28px 40px} section{background:#fff;border-radius:6px;padding:12px 18px;margin:14px 0;
box-shadow:0 1px 3px rgba(0,0,0,.12);overflow-x:auto} h2{font-size:18px;margin:6px 0 10px}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{border-bottom:1px solid #dde1e6;padding:5px 7px;
text-align:left;vertical-align:top} th{background:#eef1f5} td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
table.rates{width:auto;min-width:480px}
img.snap{max-width:220px;max-height:160px;image-rendering:pixelated;border:1px solid #ccd}
code{font-size:11px;color:#556;word-break:break-all}
td.details{min-width:180px;width:26%} td.details code{word-break:normal;overflow-wrap:anywhere}
td.evidence{width:22%;overflow-wrap:anywhere} .kpi{display:inline-block;margin-right:28px}
.kpi b{font-size:22px;display:block} .plots{display:flex;flex-wrap:wrap;gap:14px}
.plot{border:1px solid #dde1e6;padding:6px} .muted{color:#778}
"""


def _helmet_value(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return bool(v >= 0.5)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("yes", "true", "helmet", "on", "wearing"):
            return True
        if s in ("no", "false", "none", "no_helmet", "off", "without"):
            return False
    return None


def helmet_rates(events: Iterable[Event], window: float = 60.0) -> list[dict]:
    """Helmet-wearing rate per ``(camera_id, window)`` from ``rider`` events.

    A rider counts in the window holding its ``t_start``; a ``helmet_violation`` event is a
    rider without a helmet (the helmet detector emits one event per rider: ``rider`` when a
    helmet is worn, ``helmet_violation`` when not); riders whose ``helmet`` detail is
    missing or unreadable are left out. The counting and the Wilson 95 % interval are
    :class:`anfang.helmet.WearingRate`'s. Returns rows sorted by camera and window start
    with ``camera_id``, ``t0``, ``t1``, ``k`` (with helmet), ``n``, ``rate``, ``lo``, ``hi``.
    """
    from anfang.helmet.rate import WearingRate

    if isinstance(window, bool) or not isinstance(window, (int, float)) or not window > 0:
        raise ValueError(f"window: expected seconds > 0, got {window!r}")
    wr = WearingRate(window=float(window))
    for e in events:
        if e.kind == "helmet_violation":
            h = False
        elif e.kind == "rider":
            h = _helmet_value(e.get("helmet"))
        else:
            continue
        if h is not None:
            wr.add(str(e.camera_id), float(e.t_start), h)
    return [{"camera_id": r["camera_id"], "t0": r["window_start"], "t1": r["window_end"], "k": r["helmeted"],
             "n": r["riders"], "rate": r["rate"], "lo": r["ci_low"], "hi": r["ci_high"]}
            for r in wr.table()]


def _short(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters with an ellipsis (the full text is in the bar's title)."""
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _rate_svg(rows: list[dict]) -> str:
    if not rows:
        return '<p class="muted">No rider events with a helmet decision.</p>'
    bw, gap, h, top, left = 34, 44, 220, 16, 44
    width = left + len(rows) * (bw + gap) + 20
    y = lambda v: top + (1 - v) * h  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h + top + 70}" '
             f'role="img" aria-label="helmet wearing rate">']
    for v in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#dde1e6"/>'
                     f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end">{v:.0%}</text>')
    for i, r in enumerate(rows):
        x = left + 8 + i * (bw + gap)
        label = html.escape(f"{r['camera_id']} {r['t0']:g}-{r['t1']:g}s: {r['k']}/{r['n']} = "
                            f"{r['rate']:.0%} [{r['lo']:.0%}, {r['hi']:.0%}]")
        parts.append(f'<g class="bar"><title>{label}</title>'
                     f'<rect x="{x}" y="{y(r["rate"]):.1f}" width="{bw}" height="{h * r["rate"]:.1f}" fill="#2f7d4f"/>'
                     f'<line x1="{x + bw / 2}" x2="{x + bw / 2}" y1="{y(r["hi"]):.1f}" y2="{y(r["lo"]):.1f}" stroke="#111" stroke-width="1.5"/>'
                     f'<line x1="{x + bw / 2 - 7}" x2="{x + bw / 2 + 7}" y1="{y(r["hi"]):.1f}" y2="{y(r["hi"]):.1f}" stroke="#111"/>'
                     f'<line x1="{x + bw / 2 - 7}" x2="{x + bw / 2 + 7}" y1="{y(r["lo"]):.1f}" y2="{y(r["lo"]):.1f}" stroke="#111"/>'
                     f'<text x="{x + bw / 2}" y="{top + h + 14}" font-size="10" text-anchor="middle">n={r["n"]}</text>'
                     f'<text x="{x + bw / 2}" y="{top + h + 27}" font-size="10" text-anchor="middle">'
                     f'{html.escape(_short(str(r["camera_id"]), 13))}</text>'
                     f'<text x="{x + bw / 2}" y="{top + h + 40}" font-size="10" text-anchor="middle">'
                     f'{r["t0"]:g}&ndash;{r["t1"]:g} s</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _png_size(uri: str | None) -> tuple[int, int] | None:
    if not uri:
        return None
    head = base64.b64decode(uri.split(",", 1)[1][:44])
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _trajectory_svg(ev: Event, size: tuple[int, int] | None, background: str | None = None) -> str:
    pts = trajectory_points(ev.get("trajectory"))
    if len(pts) == 0:
        return ""
    if size is None:
        size = _png_size(background)
    if size is None:
        x1 = max(float(pts[:, 0].max()), ev.bbox[2] if ev.bbox else 0) * 1.1 + 1
        y1 = max(float(pts[:, 1].max()), ev.bbox[3] if ev.bbox else 0) * 1.1 + 1
        size = (int(x1), int(y1))
    w, h = size
    scale = 260.0 / max(w, h, 1)
    poly = " ".join(f"{x * scale:.1f},{y * scale:.1f}" for x, y in pts)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * scale:.0f}" height="{h * scale:.0f}" '
           f'viewBox="0 0 {w * scale:.1f} {h * scale:.1f}" class="traj">'
           f'<rect width="100%" height="100%" fill="#20242c"/>'
           + (f'<image href="{background}" width="{w * scale:.1f}" height="{h * scale:.1f}" '
              f'preserveAspectRatio="none" opacity="0.6"/>' if background else "")
           + f'<polyline points="{poly}" fill="none" stroke="#ffd400" stroke-width="2"/>'
           f'<circle cx="{pts[0, 0] * scale:.1f}" cy="{pts[0, 1] * scale:.1f}" r="3" fill="#00dcff"/>'
           f'<circle cx="{pts[-1, 0] * scale:.1f}" cy="{pts[-1, 1] * scale:.1f}" r="3" fill="#ff2828"/>']
    origin = ev.get("origin")
    if isinstance(origin, Mapping) and origin.get("floor") is not None:
        out.append(f'<text x="6" y="16" fill="#fff" font-size="12">origin floor '
                   f'{html.escape(str(origin["floor"]))}</text>')
    out.append("</svg>")
    return "".join(out)


def _data_uri(path: str | None, base_dir: str | None) -> str | None:
    if not path:
        return None
    p = path if os.path.isabs(path) or base_dir is None else os.path.join(base_dir, path)
    try:
        with open(p, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _fmt_details(ev: Event) -> str:
    d = {k: v for k, v in ev.to_dict().items()
         if k not in ("kind", "t_start", "t_end", "frame_start", "frame_end", "camera_id", "bbox",
                      "track_id", "confidence", "trajectory", "physics")}
    s = json.dumps(d, sort_keys=True, default=str)
    return html.escape(s if len(s) < 300 else s[:297] + "...")


def render_report(rows: list, *, title: str = "anfang events", source: str = "",
                  rate_window: float = 60.0, base_dir: str | None = None,
                  frame_size: tuple[int, int] | None = None, max_images: int = 200) -> str:
    """The report for ``rows`` (:class:`anfang.store.StoredEvent` or plain events) as HTML.

    At most ``max_images`` snapshots are embedded (the first ones in time order); later rows
    name their snapshot file instead, so a long report stays a reasonable size.
    """
    if int(max_images) < 0:
        raise ValueError(f"max_images: expected >= 0, got {max_images!r}")
    budget = [int(max_images)]

    def embed(path):
        if budget[0] <= 0:
            return None
        uri = _data_uri(path, base_dir)
        if uri:
            budget[0] -= 1
        return uri

    from anfang.store import StoredEvent

    items = [r if isinstance(r, StoredEvent) else StoredEvent(i + 1, r, "") for i, r in enumerate(rows)]
    events = [r.event for r in items]
    esc = html.escape
    kinds: dict[str, int] = defaultdict(int)
    for e in events:
        kinds[e.kind] += 1
    cams = sorted({e.camera_id for e in events})
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
           f'<header id="top"><h1>{esc(title)}</h1><p>{esc(source) + " &middot; " if source else ""}generated {now}</p></header><main>']
    out.append('<section id="summary"><h2>Summary</h2>'
               f'<span class="kpi"><b>{len(events)}</b>events</span>'
               f'<span class="kpi"><b>{len(cams)}</b>cameras</span>'
               + "".join(f'<span class="kpi"><b>{n}</b>{esc(k)}</span>' for k, n in sorted(kinds.items()))
               + "</section>")
    rates = helmet_rates(events, rate_window)
    if rates or kinds.get("rider"):
        table = "".join(
            f"<tr><td>{esc(r['camera_id'])}</td><td class=num>{r['t0']:g}&ndash;{r['t1']:g}</td>"
            f"<td class=num>{r['k']}/{r['n']}</td><td class=num>{r['rate']:.1%}</td>"
            f"<td class=num>{r['lo']:.1%} &ndash; {r['hi']:.1%}</td></tr>" for r in rates)
        out.append(f'<section id="helmet-rate"><h2>Helmet wearing rate (per camera, {rate_window:g} s windows,'
                   f' Wilson 95 % interval)</h2>{_rate_svg(rates)}'
                   f'<table class="rates"><tr><th>camera</th><th class=num>window (s)</th><th class=num>with helmet</th>'
                   f"<th class=num>rate</th><th class=num>95 % interval</th></tr>{table}</table></section>")
    falls = [r for r in items if r.event.kind == "falling_object" and r.event.get("trajectory")]
    if falls:
        out.append('<section id="trajectories"><h2>Falling objects: trajectories (image coordinates, y down)</h2>'
                   '<div class="plots">')
        for r in falls:
            out.append(f'<div class="plot"><div>#{r.id} {esc(r.event.camera_id)} t={r.event.t_start:.2f}s</div>'
                       f"{_trajectory_svg(r.event, frame_size, embed(r.snapshot_path))}</div>")
        out.append("</div></section>")
    out.append('<section id="events"><h2>Events</h2><table id="event-table"><tr><th>#</th><th>kind</th>'
               "<th>camera</th><th>t start (s)</th><th>t end (s)</th><th>frames</th><th>track</th>"
               "<th>conf.</th><th>details</th><th>snapshot</th><th>evidence</th></tr>")
    for r in items:
        e = r.event
        uri = embed(r.snapshot_path)
        if uri:
            snap = f'<img class="snap" alt="snapshot {r.id}" src="{uri}">'
        elif r.snapshot_path:
            snap = f'<code>{esc(os.path.basename(r.snapshot_path))}</code>'
        else:
            snap = '<span class="muted">none</span>'
        ev_txt = []
        if r.snapshot_sha256:
            ev_txt.append(f"png sha256 <code>{esc(r.snapshot_sha256)}</code>")
        if r.clip_path:
            ev_txt.append(f"clip {esc(os.path.basename(r.clip_path))} sha256 <code>{esc(r.clip_sha256 or '')}</code>")
        out.append(
            f'<tr class="event" data-kind="{esc(e.kind)}"><td class=num>{r.id}</td><td>{esc(e.kind)}</td>'
            f"<td>{esc(e.camera_id)}</td><td class=num>{e.t_start:.3f}</td><td class=num>{e.t_end:.3f}</td>"
            f"<td class=num>{e.frame_start}&ndash;{e.frame_end}</td>"
            f"<td class=num>{'' if e.track_id is None else e.track_id}</td><td class=num>{e.confidence:.2f}</td>"
            f'<td class="details"><code>{_fmt_details(e)}</code></td><td>{snap}</td>'
            f"<td class=\"evidence\">{'<br>'.join(ev_txt)}</td></tr>")
    if not items:
        out.append('<tr><td colspan="11" class="muted">No events.</td></tr>')
    out.append("</table></section></main></body></html>")
    return "\n".join(out)


def write_report(store_or_path: Any, out: str | os.PathLike, **kwargs: Any) -> str:
    """Render every event of a store (object or path) into ``out``; returns the path."""
    from anfang.store import EventStore

    filters = {k: kwargs.pop(k) for k in ("kind", "camera_id", "since", "until") if k in kwargs}
    if isinstance(store_or_path, EventStore):
        rows = store_or_path.rows(**filters)
        src = store_or_path.path
    else:
        if not os.path.exists(os.fspath(store_or_path)):
            raise ValueError(f"db: no such event store: {os.fspath(store_or_path)!r}")
        with EventStore(store_or_path) as st:
            rows = st.rows(**filters)
            src = st.path
    kwargs.setdefault("source", os.path.basename(src))
    kwargs.setdefault("base_dir", os.path.dirname(os.path.abspath(src)))
    page = render_report(rows, **kwargs)
    out = os.fspath(out)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(page)
    return out
