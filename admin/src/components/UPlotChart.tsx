// The uPlot drawing of a DayChart. uPlot sets element styles through the CSSOM (allowed by the
// console's `style-src 'self'`) and its stylesheet is a file of this chunk.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { DayChartProps } from './Chart';

const PALETTE = ['--chart-1', '--chart-2', '--chart-3', '--chart-4'];

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function dayToSeconds(day: string): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / 1000;
}

/** Wide enough for the longest tick label. */
const axisSize = (_u: uPlot, values: string[] | null) => Math.max(36, ...(values ?? []).map((v) => (v ?? '').length * 7.5 + 16));
const dayOf = (ts: number) => new Date(ts * 1000).toISOString().slice(0, 10);

export default function UPlotChart({ days, series, format, bars, integer, height = 200 }: DayChartProps) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let plot: uPlot | null = null;
    const fmt = format ?? ((v: number) => v.toLocaleString());
    const draw = () => {
      plot?.destroy();
      const fg = cssVar('--muted');
      const grid = cssVar('--border');
      const axis: uPlot.Axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
      const opts: uPlot.Options = {
        width: Math.max(240, el.clientWidth),
        height,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        legend: { show: series.length > 1 },
        cursor: { drag: { x: false, y: false } },
        scales: {
          // Bars stand on their day: half a day of room at both ends.
          x: { time: true, range: (_u, min, max) => (bars ? [min - 43200, max + 43200] : [min, max]) },
          y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          { ...axis, space: 60 },
          {
            ...axis,
            size: axisSize,
            values: (_u, vals) => vals.map((v) => fmt(v)),
            // Counts have whole-number ticks.
            ...(integer ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8] } : {}),
          },
        ],
        series: [
          { label: 'Day', value: (_u: uPlot, ts: number | null) => (ts === null ? '—' : dayOf(ts)) },
          ...series.map((s, i) => {
            const colour = cssVar(PALETTE[i % PALETTE.length]!);
            return {
              label: s.label,
              stroke: colour,
              width: 2,
              fill: bars ? colour : undefined,
              value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmt(v)),
              paths: bars ? uPlot.paths.bars!({ size: [0.6, 40], align: 0 }) : undefined,
              points: { show: days.length <= 14 },
            } satisfies uPlot.Series;
          }),
        ],
      };
      plot = new uPlot(opts, [days.map(dayToSeconds), ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    };
    draw();
    const resize = new ResizeObserver(() => plot?.setSize({ width: Math.max(240, el.clientWidth), height }));
    resize.observe(el);
    // Redraw in the other theme's colours.
    const theme = new MutationObserver(draw);
    theme.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => {
      resize.disconnect();
      theme.disconnect();
      plot?.destroy();
    };
  }, [days, series, format, bars, integer, height]);

  return <div ref={box} className="chart-canvas" aria-hidden="true" />;
}
