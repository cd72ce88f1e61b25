// Token budgets (the tenant's, the default per user, one user's), who is close to theirs, and
// where the tokens and money went: by day, by user, by model.
import { useMemo, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, type Schemas } from '../../api/client';
import { useCanWrite } from '../../auth/context';
import { DayChart } from '../../components/Chart';
import { useConfirm } from '../../components/confirm';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/notify';
import { EmptyState, FormError, PageHeader, QueryState, Section, TableWrap } from '../../components/ui';
import { UserPicker } from '../../components/UserPicker';
import { fmtBytes, fmtCompact, fmtCost, fmtInt, fmtPercent, fmtTime, utcDay } from '../../format';

type Quota = Schemas['QuotaView'];
const subjectName = (s: string) => (s === 'tenant' ? 'Whole tenant' : s === 'user_default' ? 'Each user (default)' : 'One user');

export default function UsageView() {
  const canWrite = useCanWrite('usage');
  const [from, setFrom] = useState(utcDay(29));
  const [to, setTo] = useState(utcDay(0));
  return (
    <>
      <PageHeader title="Quotas and usage" description="Token budgets and what was spent, by day, user and model; the storage uploaded files take." />
      <Standing />
      <Budgets canWrite={canWrite} />
      <Storage />
      <Section title="Usage" id="usage-heading">
        <div className="filters compact">
          <label>
            From
            <input type="date" value={from} max={to} onChange={(e) => e.target.value && setFrom(e.target.value)} />
          </label>
          <label>
            To
            <input type="date" value={to} min={from} onChange={(e) => e.target.value && setTo(e.target.value)} />
          </label>
        </div>
        <UsageByDay from={from} to={to} />
        <div className="two-columns">
          <UsageTable from={from} to={to} by="user" />
          <UsageTable from={from} to={to} by="model" />
        </div>
      </Section>
    </>
  );
}

/** What the files people attached take of the tenant's storage. */
function Storage() {
  const storage = $api.useQuery('get', '/v1/tenant/storage');
  return (
    <Section title="File storage" id="storage-heading">
      <QueryState query={storage} what="file storage">
        {() => {
          const s = storage.data;
          if (!s) return null;
          const percent = s.quota_bytes ? (100 * s.bytes) / s.quota_bytes : null;
          return (
            <ul className="kpis" aria-label="File storage">
              <li><span className="kpi-value">{fmtInt(s.files)}</span><span className="kpi-label">files uploaded</span></li>
              <li><span className="kpi-value">{fmtBytes(s.bytes)}</span><span className="kpi-label">stored</span></li>
              <li>
                <span className={`kpi-value${percent !== null && percent >= 100 ? ' error' : ''}`}>{s.quota_bytes ? fmtBytes(s.quota_bytes) : 'No limit'}</span>
                <span className="kpi-label">{percent !== null ? `quota · ${fmtPercent(percent, 0)} used` : 'tenant quota'}</span>
                {percent !== null && <meter min={0} max={100} low={80} high={99} optimum={0} value={Math.min(100, percent)} aria-label={`${fmtPercent(percent, 0)} of the storage quota used`} />}
              </li>
            </ul>
          );
        }}
      </QueryState>
    </Section>
  );
}

function Standing() {
  const standing = $api.useQuery('get', '/v1/tenant/quotas/standing', { params: { query: { min_percent: 80 } } });
  return (
    <Section title="Near or over their budget" id="standing-heading">
      <QueryState query={standing} what="budget standing">
        {() => {
          const items = standing.data?.items ?? [];
          if (items.length === 0) return <p className="muted">Nobody has used 80 % or more of a budget in the current period.</p>;
          return (
            <TableWrap>
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Period</th>
                    <th scope="col" className="num">Used</th>
                    <th scope="col" className="num">Budget</th>
                    <th scope="col">Share used</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((s) => (
                    <tr key={`${s.user_id ?? 'tenant'}-${s.period}`}>
                      <td>{s.user_id ? (s.email ?? s.user_id) : <strong>Whole tenant</strong>}</td>
                      <td>{s.period === 'day' ? 'today' : 'this month'}</td>
                      <td className="num">{fmtInt(s.used)}</td>
                      <td className="num">{fmtInt(s.limit)}</td>
                      <td>
                        <div className="meter-cell">
                          <meter min={0} max={100} low={80} high={99} optimum={0} value={Math.min(100, s.percent)} aria-label={`${s.email ?? 'Whole tenant'}: ${fmtPercent(s.percent, 0)} of the budget`} />
                          <span className={s.percent >= 100 ? 'error' : ''}>{fmtPercent(s.percent, 0)}</span>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          );
        }}
      </QueryState>
    </Section>
  );
}

function Budgets({ canWrite }: { canWrite: boolean }) {
  const quotas = $api.useQuery('get', '/v1/tenant/quotas');
  const users = $api.useQuery('get', '/v1/users', { params: { query: { limit: 200 } } }, { enabled: canWrite });
  // Auditors may not list users; every user with a budget is in the standings (from 0 %).
  const standings = $api.useQuery('get', '/v1/tenant/quotas/standing', { params: { query: { min_percent: 0 } } });
  const emailOf = (id: string | null | undefined) =>
    users.data?.items.find((u) => u.id === id)?.email ?? standings.data?.items.find((s) => s.user_id === id)?.email ?? (id ? `user ${id.slice(0, 8)}…` : '');
  const [editing, setEditing] = useState<Partial<Quota> | null>(null);
  const remove = $api.useMutation('delete', '/v1/tenant/quotas/{id}');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();

  return (
    <Section title="Budgets" id="budgets-heading" actions={canWrite ? <button type="button" onClick={() => setEditing({})}>Set a budget</button> : undefined}>
      <p className="muted small">A budget caps the tokens (input and output) used per day or month. A user's own budget replaces the default one; the tenant's budget applies on top.</p>
      <QueryState query={quotas} what="budgets">
        {() => {
          const items = quotas.data?.items ?? [];
          if (items.length === 0) return <EmptyState title="No budgets.">Without a budget, use is unlimited. {canWrite ? 'Use “Set a budget” to cap the tenant or its users.' : ''}</EmptyState>;
          return (
            <TableWrap>
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">Applies to</th>
                    <th scope="col">Period</th>
                    <th scope="col" className="num">Tokens</th>
                    <th scope="col">Changed</th>
                    {canWrite && <th scope="col"><span className="visually-hidden">Actions</span></th>}
                  </tr>
                </thead>
                <tbody>
                  {items.map((q) => {
                    const who = q.subject === 'user' ? emailOf(q.user_id) : subjectName(q.subject);
                    return (
                      <tr key={q.id}>
                        <td>{who}</td>
                        <td>per {q.period}</td>
                        <td className="num">{fmtInt(q.token_limit)}</td>
                        <td>{fmtTime(q.updated_at)}</td>
                        {canWrite && (
                          <td>
                            <div className="actions row-actions">
                              <button type="button" className="ghost small" aria-label={`Change the budget of ${who} per ${q.period}`} onClick={() => setEditing(q)}>Change</button>
                              <button
                                type="button"
                                className="ghost small danger"
                                aria-label={`Remove the budget of ${who} per ${q.period}`}
                                onClick={async () => {
                                  const ok = await confirm({
                                    title: 'Remove budget?',
                                    message: <p>The {q.period}ly budget of {fmtInt(q.token_limit)} tokens for {who} is removed. {q.subject === 'user' ? 'The default per-user budget applies to them again, if there is one.' : 'Use is no longer capped at this level.'}</p>,
                                    confirmLabel: 'Remove budget',
                                  });
                                  if (!ok) return;
                                  try {
                                    await remove.mutateAsync({ params: { path: { id: q.id } } });
                                    notify.ok('Budget removed.');
                                    await client.invalidateQueries({ queryKey: ['get', '/v1/tenant/quotas'] });
                                  } catch (e) {
                                    notify.error(e);
                                  }
                                }}
                              >
                                Remove
                              </button>
                            </div>
                          </td>
                        )}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableWrap>
          );
        }}
      </QueryState>
      {editing && <BudgetDialog initial={editing} userEmail={emailOf(editing.user_id)} onClose={() => setEditing(null)} />}
    </Section>
  );
}

function BudgetDialog({ initial, userEmail, onClose }: { initial: Partial<Quota>; userEmail: string; onClose: () => void }) {
  const client = useQueryClient();
  const notify = useNotify();
  const set = $api.useMutation('put', '/v1/tenant/quotas');
  const [subject, setSubject] = useState<Schemas['QuotaSubject']>(initial.subject ?? 'user');
  const [user, setUser] = useState<Schemas['UserView'] | null>(
    initial.user_id ? ({ id: initial.user_id, email: userEmail } as Schemas['UserView']) : null,
  );
  const [period, setPeriod] = useState<Schemas['QuotaPeriod']>(initial.period ?? 'day');
  const [limit, setLimit] = useState(initial.token_limit !== undefined ? String(initial.token_limit) : '');
  const [problem, setProblem] = useState<string | null>(null);
  const fixed = initial.id !== undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 0) return setProblem('The budget is a whole number of tokens, 0 or more.');
    if (subject === 'user' && !user) return setProblem('Choose the user this budget is for.');
    setProblem(null);
    try {
      await set.mutateAsync({ body: { subject, period, token_limit: n, user_id: subject === 'user' ? user?.id : undefined } });
      notify.ok('Budget saved.');
      await client.invalidateQueries({ queryKey: ['get', '/v1/tenant/quotas'] });
      onClose();
    } catch {
      /* shown below */
    }
  };

  return (
    <Dialog title={fixed ? 'Change budget' : 'Set a budget'} onClose={onClose}>
      <form className="stack" onSubmit={(e) => void submit(e)} noValidate>
        <label>
          Applies to
          <select value={subject} disabled={fixed} onChange={(e) => setSubject(e.target.value as Schemas['QuotaSubject'])}>
            <option value="tenant">Whole tenant</option>
            <option value="user_default">Each user (default)</option>
            <option value="user">One user</option>
          </select>
        </label>
        {subject === 'user' && (fixed ? <p>User: <strong>{userEmail}</strong></p> : <UserPicker label="User" value={user} onChange={setUser} />)}
        <label>
          Period
          <select value={period} disabled={fixed} onChange={(e) => setPeriod(e.target.value as Schemas['QuotaPeriod'])}>
            <option value="day">Per day (UTC)</option>
            <option value="month">Per month (UTC)</option>
          </select>
        </label>
        <label>
          Tokens
          <input type="number" min={0} step={1} inputMode="numeric" value={limit} onChange={(e) => setLimit(e.target.value)} required />
        </label>
        {problem && <p className="error" role="alert">{problem}</p>}
        <FormError error={set.error} />
        <div className="actions end">
          <button type="button" className="ghost" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={set.isPending}>Save budget</button>
        </div>
      </form>
    </Dialog>
  );
}

function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`) && out.length < 400; t += 86400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

function UsageByDay({ from, to }: { from: string; to: string }) {
  const usage = $api.useQuery('get', '/v1/tenant/usage', { params: { query: { from, to, group_by: 'day' } } });
  const charts = useMemo(() => {
    const days = daysBetween(from, to);
    const rows = new Map((usage.data?.rows ?? []).map((r) => [r.day ?? '', r]));
    return {
      days,
      tokens: [
        { label: 'Input tokens', values: days.map((d) => rows.get(d)?.input_tokens ?? 0) },
        { label: 'Output tokens', values: days.map((d) => rows.get(d)?.output_tokens ?? 0) },
      ],
      cost: [{ label: 'Cost', values: days.map((d) => rows.get(d)?.cost ?? 0) }],
      any: (usage.data?.rows ?? []).some((r) => r.turns > 0),
    };
  }, [usage.data, from, to]);
  return (
    <QueryState query={usage} what="usage by day">
      {() =>
        charts.any ? (
          <div className="chart-grid">
            <DayChart title="Tokens by day" days={charts.days} series={charts.tokens} format={fmtCompact} integer />
            <DayChart title="Cost by day" days={charts.days} series={charts.cost} format={fmtCost} bars />
          </div>
        ) : (
          <EmptyState title="No usage in this period.">Pick an earlier start date, or wait for people to use the chat.</EmptyState>
        )
      }
    </QueryState>
  );
}

function UsageTable({ from, to, by }: { from: string; to: string; by: 'user' | 'model' }) {
  const usage = $api.useQuery('get', '/v1/tenant/usage', { params: { query: { from, to, group_by: by } } });
  const rows = [...(usage.data?.rows ?? [])].sort((a, b) => b.cost - a.cost || b.input_tokens + b.output_tokens - (a.input_tokens + a.output_tokens));
  const title = by === 'user' ? 'By user' : 'By model';
  return (
    <div>
      <h3>{title}</h3>
      <QueryState query={usage} what={`usage ${title.toLowerCase()}`}>
        {() =>
          rows.length === 0 ? (
            <p className="muted">No usage in this period.</p>
          ) : (
            <TableWrap>
              <table className="data-table">
                <caption className="visually-hidden">Usage {title.toLowerCase()}</caption>
                <thead>
                  <tr>
                    <th scope="col">{by === 'user' ? 'User' : 'Model'}</th>
                    <th scope="col" className="num">Turns</th>
                    <th scope="col" className="num">Tokens in / out</th>
                    <th scope="col" className="num">Cost</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={(by === 'user' ? r.user_id : r.model) ?? '?'}>
                      <th scope="row">{by === 'user' ? (r.email ?? r.user_id) : r.model}</th>
                      <td className="num">{fmtInt(r.turns)}</td>
                      <td className="num">{fmtInt(r.input_tokens)} / {fmtInt(r.output_tokens)}</td>
                      <td className="num">{fmtCost(r.cost)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </QueryState>
    </div>
  );
}
