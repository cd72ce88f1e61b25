// The tenant at a glance: who is active, how much they chat, what it costs, how well it works.
import { useMemo, useState } from 'react';
import { $api, type ResponseOf } from '../../api/client';
import { DayChart } from '../../components/Chart';
import { EmptyState, PageHeader, QueryState, Section, TableWrap } from '../../components/ui';
import { fmtCompact, fmtCost, fmtInt, fmtPercent } from '../../format';

const RANGES = [7, 30, 90];
const ms = (v: number) => `${fmtInt(v)} ms`;
const pct = (v: number) => fmtPercent(v);

export default function OverviewView() {
  const [days, setDays] = useState(30);
  const overview = $api.useQuery('get', '/v1/tenant/overview', { params: { query: { days } } });

  return (
    <>
      <PageHeader title="Overview" description="Activity, cost and quality of this tenant's chat.">
        <label className="inline-label">
          Period
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {RANGES.map((d) => <option key={d} value={d}>Last {d} days</option>)}
          </select>
        </label>
      </PageHeader>
      <QueryState query={overview} what="the overview">
        {() => (overview.data ? <OverviewBody data={overview.data} /> : null)}
      </QueryState>
    </>
  );
}

type Data = ResponseOf<'/v1/tenant/overview', 'get'>;

function OverviewBody({ data }: { data: Data }) {
  const charts = useMemo(() => {
    const d = data.days;
    return {
      days: d.map((x) => x.day),
      active: [{ label: 'Active users', values: d.map((x) => x.active_users) }],
      turns: [
        { label: 'Turns', values: d.map((x) => x.turns) },
        { label: 'Failed', values: d.map((x) => x.failed_turns) },
      ],
      tokens: [
        { label: 'Input tokens', values: d.map((x) => x.input_tokens) },
        { label: 'Output tokens', values: d.map((x) => x.output_tokens) },
      ],
      cost: [{ label: 'Cost', values: d.map((x) => x.cost) }],
      errors: [{ label: 'Error rate', values: d.map((x) => (x.turns ? (100 * x.failed_turns) / x.turns : null)) }],
      ttft: [
        { label: 'p50', values: d.map((x) => x.ttft_p50_ms ?? null) },
        { label: 'p99', values: d.map((x) => x.ttft_p99_ms ?? null) },
      ],
    };
  }, [data]);
  const totals = data.days.reduce(
    (t, x) => ({ turns: t.turns + x.turns, failed: t.failed + x.failed_turns, tokens: t.tokens + x.input_tokens + x.output_tokens, cost: t.cost + x.cost }),
    { turns: 0, failed: 0, tokens: 0, cost: 0 },
  );

  return (
    <>
      <ul className="kpis" aria-label="Totals for the period">
        <li><span className="kpi-value">{fmtInt(data.users_active)}</span><span className="kpi-label">active of {fmtInt(data.users_total)} users</span></li>
        <li><span className="kpi-value">{fmtInt(totals.turns)}</span><span className="kpi-label">turns</span></li>
        <li><span className="kpi-value">{fmtCompact(totals.tokens)}</span><span className="kpi-label">tokens</span></li>
        <li><span className="kpi-value">{fmtCost(totals.cost)}</span><span className="kpi-label">cost</span></li>
        <li><span className="kpi-value">{totals.turns ? fmtPercent((100 * totals.failed) / totals.turns) : '—'}</span><span className="kpi-label">failed turns</span></li>
      </ul>
      {totals.turns === 0 ? (
        <EmptyState title="No chat activity in this period.">Charts appear once people use the chat. Check that models are configured under “Models and providers”.</EmptyState>
      ) : (
        <div className="chart-grid">
          <DayChart title="Active users per day" days={charts.days} series={charts.active} bars integer />
          <DayChart title="Turns per day" days={charts.days} series={charts.turns} integer />
          <DayChart title="Tokens per day" days={charts.days} series={charts.tokens} format={fmtCompact} integer />
          <DayChart title="Cost per day" days={charts.days} series={charts.cost} format={fmtCost} bars />
          <DayChart title="Error rate" days={charts.days} series={charts.errors} format={pct} />
          <DayChart title="Time to first token" days={charts.days} series={charts.ttft} format={ms} />
        </div>
      )}
      <Section title="Top models" id="top-models-heading">
        {data.top_models.length === 0 ? (
          <p className="muted">No model was used in this period.</p>
        ) : (
          <TableWrap>
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col" className="num">Turns</th>
                  <th scope="col" className="num">Input tokens</th>
                  <th scope="col" className="num">Output tokens</th>
                  <th scope="col" className="num">Cost</th>
                </tr>
              </thead>
              <tbody>
                {data.top_models.map((m) => (
                  <tr key={m.model}>
                    <th scope="row">{m.model}</th>
                    <td className="num">{fmtInt(m.turns)}</td>
                    <td className="num">{fmtInt(m.input_tokens)}</td>
                    <td className="num">{fmtInt(m.output_tokens)}</td>
                    <td className="num">{fmtCost(m.cost)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Section>
    </>
  );
}
