/**
 * The demo's timeline chart: a self-contained HTML page (inline SVG, no script, no external
 * resource) with each group's successful writes per second over time, vertical markers for the
 * emulator's timeline events, and the per-group summary table.
 */
import type { TimelineEvent } from '../src/emulator.js';
import type { GroupOutage } from '../bench/failover/outage.js';
import { formatErrors } from '../bench/failover/report.js';
import { formatSummary } from '../bench/failover/stats.js';
import type { WorkerRecord } from '../bench/failover/worker-loop.js';

export interface ChartInput {
  title: string;
  groups: ReadonlyMap<string, readonly WorkerRecord[]>;
  outages: readonly GroupOutage[];
  timeline: readonly TimelineEvent[];
  /** Origin of the time axis (the fault). */
  faultAt: number;
  from: number;
  to: number;
  /** aurora-ha's own view over the same time (getClusterStatus), when sampled. */
  status?: readonly { at: number; text: string }[];
}

const BUCKET_MS = 250;
/** Width kept free right of an event line for its label. */
const LABEL_ROOM = 170;
const WIDTH = 960;
const HEIGHT = 360;
const MARGIN = { left: 60, right: 20, top: 20, bottom: 40 };
const COLORS = ['#1b7f3b', '#c0392b', '#2c6fbb', '#8e44ad'];
const MARKED_EVENTS = new Set<TimelineEvent['kind']>([
  'writer-lost',
  'promoted',
  'dns-switched',
  'old-writer-back',
]);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Successful writes per second of a group, one value per bucket from `from` to `to`. */
function ratePerSecond(records: readonly WorkerRecord[], from: number, to: number): number[] {
  const buckets = new Array<number>(Math.max(1, Math.ceil((to - from) / BUCKET_MS))).fill(0);
  for (const r of records)
    for (const t of r.successes) {
      const i = Math.floor((t - from) / BUCKET_MS);
      if (i >= 0 && i < buckets.length) buckets[i]! += 1000 / BUCKET_MS;
    }
  return buckets;
}

function svg(input: ChartInput): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const series = [...input.groups].map(([name, records]) => ({
    name,
    rates: ratePerSecond(records, input.from, input.to),
  }));
  const maxRate = Math.max(1, ...series.flatMap((s) => s.rates));
  const x = (t: number): number => MARGIN.left + ((t - input.from) / (input.to - input.from)) * plotW;
  const y = (rate: number): number => MARGIN.top + plotH - (rate / maxRate) * plotH;
  const parts: string[] = [];
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ccc"/>`,
  );
  const firstSecond = Math.ceil((input.from - input.faultAt) / 1000);
  const lastSecond = Math.floor((input.to - input.faultAt) / 1000);
  const step = lastSecond - firstSecond > 30 ? 5 : 1;
  for (let s = firstSecond; s <= lastSecond; s++) {
    if (s % step !== 0) continue;
    const px = x(input.faultAt + s * 1000).toFixed(1);
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 4}" stroke="#666"/>`,
    );
    parts.push(
      `<text x="${px}" y="${MARGIN.top + plotH + 16}" font-size="10" text-anchor="middle">${s}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" font-size="12" text-anchor="middle">seconds since the fault (failover() called)</text>`,
  );
  for (const frac of [0, 0.5, 1]) {
    const rate = maxRate * frac;
    parts.push(
      `<text x="${MARGIN.left - 6}" y="${(y(rate) + 4).toFixed(1)}" font-size="10" text-anchor="end">${Math.round(rate)}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" font-size="12" text-anchor="middle">successful writes / s</text>`,
  );
  series.forEach((s, i) => {
    const points = s.rates
      .map((rate, b) => `${x(input.from + (b + 0.5) * BUCKET_MS).toFixed(1)},${y(rate).toFixed(1)}`)
      .join(' ');
    const color = COLORS[i % COLORS.length]!;
    parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`);
    parts.push(
      `<text x="${MARGIN.left + 10}" y="${MARGIN.top + 16 + i * 16}" font-size="12" fill="${color}">${escapeHtml(s.name)}</text>`,
    );
  });
  let labelRow = 0;
  for (const e of input.timeline) {
    if (!MARKED_EVENTS.has(e.kind) || e.at < input.from || e.at > input.to) continue;
    const px = x(e.at).toFixed(1);
    const label = `${e.kind}${e.instanceId === undefined ? '' : ` ${e.instanceId}`}`;
    // Labels near the right edge go to the left of their line so they stay inside the chart.
    const leftOfLine = x(e.at) > MARGIN.left + plotW - LABEL_ROOM;
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#555" stroke-dasharray="4 3"/>`,
    );
    parts.push(
      `<text x="${(x(e.at) + (leftOfLine ? -4 : 4)).toFixed(1)}" y="${MARGIN.top + plotH - 8 - (labelRow % 3) * 14}" font-size="11" fill="#333" text-anchor="${leftOfLine ? 'end' : 'start'}">${escapeHtml(label)}</text>`,
    );
    labelRow++;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">${parts.join('')}</svg>`;
}

function summaryTable(outages: readonly GroupOutage[]): string {
  const rows = outages
    .map(
      (o) =>
        `<tr><td>${escapeHtml(o.group)}</td><td>${o.workers}</td><td>${formatSummary(o.downtime)}</td><td>${formatSummary(o.afterPromotion)}</td><td>${o.unrecovered}</td><td>${escapeHtml(formatErrors(o.errors))}</td></tr>`,
    )
    .join('');
  return `<table><tr><th>group</th><th>workers</th><th>downtime p50 / p95 / max (ms)</th><th>first write after promotion p50 / p95 / max (ms)</th><th>unrecovered</th><th>errors by type</th></tr>${rows}</table>`;
}

function timelineList(timeline: readonly TimelineEvent[], faultAt: number): string {
  const items = timeline
    .map((e) => {
      const rel = Math.round(e.at - faultAt);
      const who = e.instanceId === undefined ? '' : ` ${e.instanceId}`;
      const detail = e.detail === undefined ? '' : ` (${e.detail})`;
      return `<li>${rel >= 0 ? '+' : ''}${rel} ms: ${escapeHtml(`${e.kind}${who}${detail}`)}</li>`;
    })
    .join('');
  return `<ul>${items}</ul>`;
}

function statusList(status: readonly { at: number; text: string }[], faultAt: number): string {
  const items = status
    .map((s) => {
      const rel = Math.round(s.at - faultAt);
      return `<li>${rel >= 0 ? '+' : ''}${rel} ms: ${escapeHtml(s.text)}</li>`;
    })
    .join('');
  return `<ul>${items}</ul>`;
}

export function timelineChartHtml(input: ChartInput): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:16px 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:13px}th{background:#f0f0f0}</style></head>
<body><h1>${escapeHtml(input.title)}</h1>
${svg(input)}
<h2>Per group</h2>${summaryTable(input.outages)}
<p>Downtime: per worker, last successful write before the fault → first successful write after it.
First write after promotion: that first write minus the emulator's <code>promoted</code> event.</p>
<h2>Emulator timeline (relative to the fault)</h2>${timelineList(input.timeline, input.faultAt)}
${input.status === undefined ? '' : `<h2>aurora-ha's view: <code>getClusterStatus()</code> (relative to the fault)</h2>${statusList(input.status, input.faultAt)}`}
</body></html>
`;
}
