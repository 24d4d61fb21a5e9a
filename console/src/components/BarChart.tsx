/**
 * A bar chart (uPlot) of counts per week, with the same numbers in a table beside it for
 * screen readers and keyboard users. Sized to its container (works at phone widths).
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { WeekCount } from '../types.ts';

export function BarChart({ title, series, unit }: { title: string; series: WeekCount[]; unit: string }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (element === null) return;
    const xs = series.map((_, i) => i);
    const ys = series.map((w) => w.count);
    const width = Math.max(240, Math.min(element.clientWidth || 600, 720));
    const plot = new uPlot(
      {
        width,
        height: 220,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [-0.5, Math.max(0.5, series.length - 0.5)] }, y: { range: [0, Math.max(1, ...ys) * 1.15] } },
        axes: [
          { values: (_u, ticks) => ticks.map((t) => series[t]?.week_start.slice(5) ?? ''), stroke: '#1f2937', grid: { show: false } },
          // Counts: whole-number ticks only.
          { stroke: '#1f2937', grid: { stroke: '#e5e7eb' }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 100_000] },
        ],
        series: [{}, { label: unit, stroke: '#1d4ed8', fill: '#3b82f6', paths: uPlot.paths.bars!({ size: [0.6, 48] }), points: { show: false } }],
      },
      [xs, ys],
      element,
    );
    return () => plot.destroy();
  }, [series, unit]);
  const id = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return (
    <figure class="chart" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`}>{title}</figcaption>
      <div ref={holder} class="plot" role="img" aria-label={`${title}: ${series.map((w) => `week of ${w.week_start}: ${w.count}`).join(', ')}`} />
      <table class="numbers">
        <caption class="visually-hidden">{title} (numbers)</caption>
        <thead>
          <tr>
            <th scope="col">Week of</th>
            <th scope="col">{unit}</th>
          </tr>
        </thead>
        <tbody>
          {series.map((w) => (
            <tr key={w.week_start}>
              <td>{w.week_start}</td>
              <td>{w.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
