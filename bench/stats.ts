/** Latency statistics for benchmarks: medians and tail percentiles, in microseconds. */

export interface LatencySummary {
  p50_us: number;
  p90_us: number;
  p99_us: number;
  mean_us: number;
  max_us: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    p50_us: round(percentile(sorted, 50)),
    p90_us: round(percentile(sorted, 90)),
    p99_us: round(percentile(sorted, 99)),
    mean_us: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
    max_us: round(sorted[sorted.length - 1] ?? 0),
  };
}
