/** The report's stylesheet (inlined: the page must open offline, from a CI artifact or a mail attachment). */
export const REPORT_CSS = `
:root {
  --bg: #f6f7f9; --panel: #fff; --text: #1f2328; --muted: #59636e; --border: #d8dee4;
  --grid: #eceff3; --axis: #8c959f; --warn-bg: #fff8c5; --warn-border: #d4a72c;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --panel: #161b22; --text: #e6edf3; --muted: #9198a1; --border: #30363d;
    --grid: #21262d; --axis: #6e7681; --warn-bg: #2b2111; --warn-border: #9e6a03; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1440px; margin: 0 auto; padding: 24px clamp(12px, 3vw, 32px) 48px; }
h1 { font-size: 24px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--border); }
h3 { font-size: 15px; margin: 20px 0 8px; }
.facts { margin: 0; display: flex; flex-wrap: wrap; gap: 6px 8px; }
.facts span { background: var(--panel); border: 1px solid var(--border); border-radius: 999px; padding: 1px 10px;
  font-size: 13px; overflow-wrap: anywhere; }
.facts .path { color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.generated { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
.warnings { background: var(--warn-bg); border: 1px solid var(--warn-border); border-radius: 8px; padding: 10px 14px; margin-top: 16px; }
.warnings ul { margin: 4px 0 0; padding-left: 20px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin-top: 20px; }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 10px 14px; }
.card .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 420px), 1fr)); gap: 14px; }
.chart { margin: 0; background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 12px 12px 8px; min-width: 0; }
.chart figcaption { font-weight: 600; margin: 0 0 2px 4px; overflow-wrap: anywhere; }
.plot { display: block; width: 100%; height: auto; }
.plot .grid line { stroke: var(--grid); stroke-width: 1; }
.plot .axis { stroke: var(--axis); stroke-width: 1; fill: none; }
.plot text { fill: var(--muted); font-size: 11px; font-family: inherit; font-variant-numeric: tabular-nums; }
.plot .axis-title { font-size: 12px; }
/* A phone-width chart is drawn at about 0.6 scale: larger SVG text keeps the ticks readable. */
@media (max-width: 600px) { .plot text, .plot .axis-title { font-size: 16px; } }
.plot polyline { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
.legend { list-style: none; margin: 4px 0 0; padding: 0 4px; display: flex; flex-wrap: wrap; gap: 2px 16px; font-size: 12px; }
.legend li { display: flex; align-items: center; gap: 6px; min-width: 0; }
.legend .swatch { width: 24px; height: 10px; flex: none; }
.legend .swatch line { stroke-width: 2.5; }
.legend .name { overflow-wrap: anywhere; }
.legend .last { color: var(--muted); font-variant-numeric: tabular-nums; }
dl { margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 0 1px;
  background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 4px 0; }
dl div { padding: 6px 14px; min-width: 0; }
dt { color: var(--muted); font-size: 12px; overflow-wrap: break-word; }
dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; overflow-wrap: anywhere; }
dl.overview { grid-template-columns: repeat(auto-fill, minmax(min(100%, 280px), 1fr)); }
details.yaml { margin-top: 14px; }
details > summary { cursor: pointer; color: var(--muted); }
pre { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 12px; overflow: auto; max-height: 480px; font-size: 12px; }
.sample { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; margin: 8px 0; padding: 8px 12px; }
.sample > summary { font-weight: 500; }
.table-wrap { overflow-x: auto; margin-top: 8px; }
.more-rows { margin-top: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-top: 1px solid var(--border); padding: 6px 10px; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; white-space: nowrap; border-top: none; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 16em; overflow-y: auto; min-width: 12em;
  font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.text-sample { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; margin: 8px 0; padding: 8px 12px; }
.text-sample .step { color: var(--muted); font-size: 12px; margin-bottom: 4px; }
.note, .empty { color: var(--muted); font-size: 13px; margin: 4px 0; }
`;
