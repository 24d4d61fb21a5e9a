/**
 * For tests: a strict parser of the Prometheus text exposition format (version 0.0.4), so
 * tests check that what /metrics serves parses, and read sample values by name and labels.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  /** The value of the one sample with this name and exactly these labels (undefined when absent). */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Sum over the samples of this name whose labels include `labels`. */
  sum(name: string, labels?: Record<string, string>): number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)",?/gy;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(raw: string, line: string): number {
  // Prometheus reads values with Go's ParseFloat: Inf and NaN in any letter case (prom-client writes `Nan`).
  if (/^\+?inf$/i.test(raw)) return Infinity;
  if (/^-inf$/i.test(raw)) return -Infinity;
  if (/^nan$/i.test(raw)) return NaN;
  if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`bad value in: ${line}`);
  return Number(raw);
}

function parseLabels(raw: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let at = 0;
  while (at < raw.length) {
    LABEL.lastIndex = at;
    const m = LABEL.exec(raw);
    if (m === null) throw new Error(`bad labels in: ${line}`);
    const name = m[1] as string;
    if (name in labels) throw new Error(`repeated label ${name} in: ${line}`);
    labels[name] = (m[2] as string).replace(/\\(\\|"|n)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    at = LABEL.lastIndex;
  }
  return labels;
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
      if (m === null) continue; // other comments are allowed
      if (m[1] === 'TYPE') {
        if (!TYPES.has(m[3] as string)) throw new Error(`bad type in: ${line}`);
        if (types.has(m[2] as string)) throw new Error(`repeated TYPE in: ${line}`);
        types.set(m[2] as string, m[3] as string);
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`bad sample line: ${line}`);
    samples.push({ name: m[1] as string, labels: m[2] === undefined ? {} : parseLabels(m[2], line), value: parseValue(m[3] as string, line) });
  }
  const matches = (s: Sample, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  return {
    samples,
    types,
    value(name, labels = {}) {
      const found = samples.filter((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && matches(s, labels));
      if (found.length > 1) throw new Error(`${found.length} samples of ${name} with those labels`);
      return found[0]?.value;
    },
    sum(name, labels = {}) {
      return samples.filter((s) => s.name === name && matches(s, labels)).reduce((total, s) => total + s.value, 0);
    },
  };
}
