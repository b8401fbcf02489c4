// prom-text: the Prometheus text exposition format 0.0.4 (one "# HELP" and one "# TYPE" line per
// family, then `name{label="value",...} value` lines; label values escape \ " and newline, HELP
// text escapes \ and newline; values are Go-style floats: NaN, +Inf, -Inf).

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'untyped';

export interface Sample {
  /** Appended to the family name (histograms: '_bucket', '_sum', '_count'); '' otherwise. */
  readonly suffix?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

export const PROM_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return '';
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  const parts: string[] = [];
  for (const k of keys) {
    if (!LABEL_RE.test(k) || k.startsWith('__')) throw new Error(`invalid label name '${k}'`);
    parts.push(`${k}="${escapeLabelValue(labels[k] ?? '')}"`);
  }
  return `{${parts.join(',')}}`;
}

/** Render families in the given order; a family without samples still gets its HELP and TYPE. */
export function renderExposition(families: readonly MetricFamily[]): string {
  let out = '';
  for (const f of families) {
    if (!NAME_RE.test(f.name)) throw new Error(`invalid metric name '${f.name}'`);
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) out += `${f.name}${s.suffix ?? ''}${labelText(s.labels)} ${formatValue(s.value)}\n`;
  }
  return out;
}

/** Histogram samples from cumulative buckets [upper bound, count] (+Inf is added from count). */
export function histogramSamples(
  buckets: readonly (readonly [number, number])[],
  sum: number,
  count: number,
  labels: Readonly<Record<string, string>> = {},
): Sample[] {
  const out: Sample[] = buckets.map(([le, n]) => ({
    suffix: '_bucket',
    labels: { ...labels, le: formatValue(le) },
    value: n,
  }));
  out.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: count });
  out.push({ suffix: '_sum', labels, value: sum });
  out.push({ suffix: '_count', labels, value: count });
  return out;
}
