/**
 * Hot-path counters and histograms for the per-call metrics. prom-client validates and hashes
 * the labels on every observation; here the caller resolves a label set to its series once
 * (and keeps it), and an observation is an array update. They register in a prom-client
 * registry as ordinary metrics (`get()` in its format), so the exposition is prom-client's.
 */
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;
interface Value {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

abstract class SeriesMetric<S> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  abstract readonly type: 'counter' | 'histogram';
  protected readonly series = new Map<string, { labels: Labels; series: S }>();

  constructor(options: { name: string; help: string; registry: Registry }) {
    this.name = options.name;
    this.help = options.help;
    options.registry.registerMetric(this as never);
  }

  protected abstract create(): S;

  /** The series of one label set (keep it: resolving costs a key join and a map lookup). */
  of(labels: Labels): S {
    const key = Object.keys(labels)
      .sort()
      .map((k) => `${k}\u0000${labels[k] ?? ''}`)
      .join('\u0001');
    let found = this.series.get(key);
    if (found === undefined) {
      found = { labels: { ...labels }, series: this.create() };
      this.series.set(key, found);
    }
    return found.series;
  }

  reset(): void {
    this.series.clear();
  }
}

export class CounterSeries {
  value = 0;
  inc(): void {
    this.value++;
  }
}

export class FastCounter extends SeriesMetric<CounterSeries> {
  readonly type = 'counter' as const;
  protected create(): CounterSeries {
    return new CounterSeries();
  }
  get(): { name: string; help: string; type: 'counter'; aggregator: 'sum'; values: Value[] } {
    const values = [...this.series.values()].map(({ labels, series }) => ({ labels, value: series.value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class HistogramSeries {
  readonly #bounds: readonly number[];
  /** Non-cumulative counts per bucket; the last slot is above every bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

export class FastHistogram extends SeriesMetric<HistogramSeries> {
  readonly type = 'histogram' as const;
  readonly #bounds: readonly number[];

  constructor(options: { name: string; help: string; registry: Registry; buckets: readonly number[] }) {
    super(options);
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
  }

  protected create(): HistogramSeries {
    return new HistogramSeries(this.#bounds);
  }

  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Value[] } {
    const values: Value[] = [];
    for (const { labels, series } of this.series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
