// Charts over days, drawn by uPlot in a chunk of its own (loaded when the first chart shows).
// Every chart is a <figure> with a caption and its numbers as a table, for screen readers and for
// anyone who wants the figures.
import { lazy, Suspense } from 'react';
import { TableWrap } from './ui';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}
export interface DayChartProps {
  title: string;
  /** `YYYY-MM-DD` (UTC), one per value. */
  days: string[];
  series: ChartSeries[];
  /** How a value reads ("1,234 tokens", "$0.12"). */
  format?: (v: number) => string;
  bars?: boolean;
  /** The values are counts: whole-number ticks. */
  integer?: boolean;
  height?: number;
}

const UPlotChart = lazy(() => import('./UPlotChart'));

export function DayChart(props: DayChartProps) {
  const format = props.format ?? ((v: number) => v.toLocaleString());
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      <Suspense fallback={<div className="chart-placeholder" aria-hidden="true" />}>
        <UPlotChart {...props} />
      </Suspense>
      <details className="chart-data">
        <summary>Data table</summary>
        <TableWrap>
          <table>
            <caption className="visually-hidden">{props.title}</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {props.series.map((s) => <th key={s.label} scope="col">{s.label}</th>)}
              </tr>
            </thead>
            <tbody>
              {props.days.map((d, i) => (
                <tr key={d}>
                  <th scope="row">{d}</th>
                  {props.series.map((s) => {
                    const v = s.values[i];
                    return <td key={s.label} className="num">{v === null || v === undefined ? '—' : format(v)}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </details>
    </figure>
  );
}
