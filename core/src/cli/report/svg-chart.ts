import { escapeHtml, formatNumber } from './html.js';
import { baseName, seriesNames, type ChartSpec, type Point, type Series } from './metric-charts.js';

/** The SVG's coordinate system; CSS scales it to the grid cell (text scales with it). */
const WIDTH = 560;
const HEIGHT = 300;
const PLOT = { left: 64, right: 18, top: 14, bottom: 46 };
const PLOT_W = WIDTH - PLOT.left - PLOT.right;
const PLOT_H = HEIGHT - PLOT.top - PLOT.bottom;
/** Tableau 10: distinct on white and for the common colour-vision deficiencies. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#9c755f', '#ff9da7', '#edc948', '#bab0ac'];
/** Up to this many points a series also gets dots, each with its value as a hover title (sparse eval series stay visible). */
const MARKER_LIMIT = 40;

interface Axis {
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly ticks: readonly number[];
}

/** A `<figure>`: title, the pre-rendered SVG (grid, axes with ticks, one polyline per series) and an HTML legend. */
export function renderChart(chart: ChartSpec): string {
  const points = chart.series.flatMap((s) => s.points);
  const x = axis(points.map((p) => p[0]), { integer: true, niceMax: false });
  const y = axis([...points.map((p) => p[1]), ...(chart.fromZero ? [0] : [])], { integer: false, niceMax: true });
  const colour = colours(chart.series);
  const place = (p: Point): string => `${round(scaleX(x, p[0]))},${round(scaleY(y, p[1]))}`;
  const lines = chart.series.map((s) => seriesSvg(s, colour(s), place)).join('');
  const label = `${chart.title} over steps: ${chart.series.map(seriesLabel).join(', ')}`;
  return `<figure class="chart" data-chart="${escapeHtml(chart.id)}">
<figcaption>${escapeHtml(chart.title)}</figcaption>
<svg class="plot" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(label)}">
${gridSvg(x, y)}${axesSvg(x, y)}<g class="series">${lines}</g>
</svg>
${legendHtml(chart.series, colour)}
</figure>`;
}

function gridSvg(x: Axis, y: Axis): string {
  const horizontal = y.ticks.map((t) => hLine(scaleY(y, t))).join('');
  const vertical = x.ticks.map((t) => vLine(scaleX(x, t))).join('');
  return `<g class="grid">${horizontal}${vertical}</g>`;
}

function axesSvg(x: Axis, y: Axis): string {
  const bottom = PLOT.top + PLOT_H;
  const xTicks = x.ticks.map((t) => `<text x="${round(scaleX(x, t))}" y="${bottom + 18}" text-anchor="middle">${tickLabel(t, x)}</text>`);
  const yTicks = y.ticks.map((t) => `<text x="${PLOT.left - 8}" y="${round(scaleY(y, t) + 4)}" text-anchor="end">${tickLabel(t, y)}</text>`);
  const frame = `<path class="axis" d="M${PLOT.left},${PLOT.top}V${bottom}H${PLOT.left + PLOT_W}"/>`;
  const title = `<text class="axis-title" x="${PLOT.left + PLOT_W / 2}" y="${HEIGHT - 6}" text-anchor="middle">step</text>`;
  return `<g class="axes">${frame}${xTicks.join('')}${yTicks.join('')}${title}</g>`;
}

function seriesSvg(series: Series, colour: string, place: (p: Point) => string): string {
  const dash = series.eval ? ' stroke-dasharray="6 4"' : '';
  const line = `<polyline data-series="${escapeHtml(series.key)}" points="${series.points.map(place).join(' ')}" stroke="${colour}"${dash}/>`;
  if (series.points.length > MARKER_LIMIT) return line;
  const dots = series.points.map((p) => {
    const [cx, cy] = place(p).split(',');
    return `<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"><title>${escapeHtml(seriesLabel(series))} · step ${p[0]}: ${formatNumber(p[1])}</title></circle>`;
  });
  return `${line}${dots.join('')}`;
}

function legendHtml(series: readonly Series[], colour: (s: Series) => string): string {
  const items = series.map((s) => {
    const dash = s.eval ? ' stroke-dasharray="5 3"' : '';
    const swatch = `<svg class="swatch" viewBox="0 0 24 10" aria-hidden="true"><line x1="1" y1="5" x2="23" y2="5" stroke="${colour(s)}"${dash}/></svg>`;
    return `<li>${swatch}<span class="name">${escapeHtml(seriesLabel(s))}</span><span class="last">${formatNumber(s.points.at(-1)![1])}</span></li>`;
  });
  return `<ul class="legend">${items.join('')}</ul>`;
}

/** A series' name: its keys joined by `=` when several metrics have its values. */
const seriesLabel = (series: Series): string => seriesNames(series).join(' = ');

/** One colour per metric name, shared by its train and eval series. */
function colours(series: readonly Series[]): (s: Series) => string {
  const names = [...new Set(series.map((s) => baseName(s.key)))];
  return (s) => PALETTE[names.indexOf(baseName(s.key)) % PALETTE.length]!;
}

/**
 * A linear axis with ticks at 1, 2 or 5 × 10^k, its domain widened down to a whole tick (step 1 starts at 0).
 * `niceMax` widens the top too (y); steps end at the last logged step so lines reach the right edge (x).
 */
function axis(values: readonly number[], options: { integer: boolean; niceMax: boolean }): Axis {
  let min = values.reduce((a, b) => Math.min(a, b));
  let max = values.reduce((a, b) => Math.max(a, b));
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    [min, max] = [min - pad, max + pad];
  }
  const step = tickStep(max - min, options.integer);
  min = Math.floor(min / step) * step;
  if (options.niceMax) max = Math.ceil(max / step) * step;
  const first = Math.ceil(min / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i * step <= max + step * 1e-9; i += 1) ticks.push(Number((i * step).toPrecision(12)));
  return { min, max, step, ticks };
}

function tickStep(span: number, integer: boolean): number {
  const raw = span / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9))!;
  return integer ? Math.max(1, step) : step;
}

/** Ticks are multiples of the step, so the step's decimals suffice; exponents when every tick is tiny or huge. */
function tickLabel(value: number, axis: Axis): string {
  const k = Math.floor(Math.log10(axis.step) + 1e-9);
  const largest = Math.max(Math.abs(axis.min), Math.abs(axis.max));
  if (largest >= 1e-3 && largest < 1e6) return value.toFixed(Math.max(0, -k));
  if (value === 0) return '0';
  const digits = Math.max(0, Math.floor(Math.log10(largest) + 1e-9) - k);
  return value.toExponential(digits).replace(/\.?0+e/, 'e').replace('e+', 'e');
}

const scaleX = (x: Axis, v: number): number => PLOT.left + ((v - x.min) / (x.max - x.min)) * PLOT_W;
const scaleY = (y: Axis, v: number): number => PLOT.top + PLOT_H - ((v - y.min) / (y.max - y.min)) * PLOT_H;
const round = (v: number): number => Math.round(v * 10) / 10;
const hLine = (y: number): string => `<line x1="${PLOT.left}" x2="${PLOT.left + PLOT_W}" y1="${round(y)}" y2="${round(y)}"/>`;
const vLine = (x: number): string => `<line x1="${round(x)}" x2="${round(x)}" y1="${PLOT.top}" y2="${PLOT.top + PLOT_H}"/>`;
