// The audit log (a tenant's, or the platform's own entries): filter by actor, action, object and
// time; open an entry; export what the filters select; see whether the hash chain is intact.
import { useState, type FormEvent } from 'react';
import { $api, apiUrl, type Schemas } from '../../api/client';
import { allItems, cursorPaging } from '../../api/paging';
import { Dialog } from '../../components/Dialog';
import { EmptyState, LoadMore, PageHeader, QueryState, Section, TableWrap } from '../../components/ui';
import { describeError, isForbidden } from '../../errors';
import { fmtInt, fmtTime } from '../../format';
import { navigate, useRoute } from '../../router';

type Entry = Schemas['AuditEntryView'];
const FIELDS = ['actor', 'action', 'target_type', 'target_id', 'since', 'until'] as const;
type Filters = Record<(typeof FIELDS)[number], string>;

/** A `datetime-local` value as RFC 3339 (UTC), or undefined. */
function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function AuditView({ scope }: { scope: 'tenant' | 'platform' }) {
  const route = useRoute();
  const path = scope === 'tenant' ? 'audit' : 'platform/audit';
  const filters = Object.fromEntries(FIELDS.map((f) => [f, route.query.get(f) ?? ''])) as Filters;
  const [draft, setDraft] = useState<Filters>(filters);
  const [open, setOpen] = useState<Entry | null>(null);

  const query = {
    ...(filters.actor ? { actor: filters.actor } : {}),
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.target_type ? { target_type: filters.target_type } : {}),
    ...(filters.target_id ? { target_id: filters.target_id } : {}),
    ...(isoOf(filters.since) ? { since: isoOf(filters.since) } : {}),
    ...(isoOf(filters.until) ? { until: isoOf(filters.until) } : {}),
  };
  const list =
    scope === 'tenant'
      ? $api.useInfiniteQuery('get', '/v1/audit', { params: { query: { ...query, limit: 50 } } }, cursorPaging)
      : $api.useInfiniteQuery('get', '/v1/platform/audit', { params: { query: { ...query, limit: 50 } } }, cursorPaging);
  const items = allItems(list.data);
  const filtered = Object.values(query).some(Boolean);

  const apply = (next: Filters) => {
    setDraft(next);
    navigate(path, next);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };
  const exportUrl = (format: 'jsonl' | 'csv') =>
    apiUrl(scope === 'tenant' ? '/v1/audit/export' : '/v1/platform/audit/export', { format, ...query });

  return (
    <>
      <PageHeader
        title={scope === 'tenant' ? 'Audit log' : 'Platform audit'}
        description={scope === 'tenant' ? 'Who did what in this tenant, in order, tamper-evident.' : 'Installation-wide actions: tenants, plugin uploads, operator commands.'}
      >
        <a className="button ghost" href={exportUrl('jsonl')} download>Export JSON Lines</a>
        <a className="button ghost" href={exportUrl('csv')} download>Export CSV</a>
      </PageHeader>
      {scope === 'tenant' && <ChainStatus />}
      <form className="filters" role="search" aria-label="Filter the audit log" onSubmit={submit}>
        <label>
          Actor (user id)
          <input type="text" className="mono" value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: e.target.value.trim() })} placeholder="any" />
        </label>
        <label>
          Action
          <input type="text" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value.trim() })} placeholder="e.g. user.created or user.*" list="audit-actions" />
        </label>
        <label>
          Object type
          <input type="text" value={draft.target_type} onChange={(e) => setDraft({ ...draft, target_type: e.target.value.trim() })} placeholder="e.g. user" />
        </label>
        <label>
          Object id
          <input type="text" className="mono" value={draft.target_id} onChange={(e) => setDraft({ ...draft, target_id: e.target.value.trim() })} placeholder="any" />
        </label>
        <label>
          From
          <input type="datetime-local" value={draft.since} onChange={(e) => setDraft({ ...draft, since: e.target.value })} />
        </label>
        <label>
          Until
          <input type="datetime-local" value={draft.until} onChange={(e) => setDraft({ ...draft, until: e.target.value })} />
        </label>
        <div className="actions filter-actions">
          <button type="submit">Apply filters</button>
          {filtered && (
            <button type="button" className="ghost" onClick={() => apply({ actor: '', action: '', target_type: '', target_id: '', since: '', until: '' })}>Clear</button>
          )}
        </div>
        <datalist id="audit-actions">
          {[...new Set(items.map((i) => i.action))].sort().map((a) => <option key={a} value={a} />)}
        </datalist>
      </form>
      <QueryState query={list} what="the audit log">
        {() =>
          items.length === 0 ? (
            filtered ? (
              <EmptyState title="No entry matches these filters.">Widen the time range or clear a filter.</EmptyState>
            ) : (
              <EmptyState title="Nothing has been audited yet.">Sign-ins, changes to users, budgets, models, presets, plugins and shares appear here as they happen.</EmptyState>
            )
          ) : (
            <>
              <TableWrap>
                <table className="data-table audit-table">
                  <caption className="visually-hidden">Audit entries, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">#</th>
                      <th scope="col">When</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Action</th>
                      <th scope="col">Object</th>
                      <th scope="col">Outcome</th>
                      <th scope="col"><span className="visually-hidden">Details</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((e) => (
                      <tr key={e.id}>
                        <td className="num">{e.seq}</td>
                        <td className="nowrap">{fmtTime(e.created_at)}</td>
                        <td>
                          {e.actor_user_id ? (
                            <button type="button" className="link" title="Only this actor" onClick={() => apply({ ...filters, actor: e.actor_user_id! })}>{e.actor}</button>
                          ) : (
                            e.actor
                          )}
                        </td>
                        <td>
                          <button type="button" className="link mono" title="Only this action" onClick={() => apply({ ...filters, action: e.action })}>{e.action}</button>
                        </td>
                        <td>
                          {e.target_type ? (
                            <button type="button" className="link" title="Only this object" onClick={() => apply({ ...filters, target_type: e.target_type!, target_id: e.target_id ?? '' })}>
                              {e.target_type}
                              {e.target_id && <span className="muted mono"> {e.target_id.slice(0, 8)}</span>}
                            </button>
                          ) : (
                            <span className="muted">—</span>
                          )}
                        </td>
                        <td><span className={`badge status-${e.outcome}`}>{e.outcome}</span></td>
                        <td>
                          <button type="button" className="ghost small" onClick={() => setOpen(e)} aria-label={`Details of entry ${e.seq}`}>Details</button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <LoadMore query={list} shown={items.length} />
            </>
          )
        }
      </QueryState>
      {open && <EntryDialog entry={open} onClose={() => setOpen(null)} />}
    </>
  );
}

function ChainStatus() {
  const verify = $api.useQuery('get', '/v1/audit/verify', {}, { staleTime: 60_000 });
  if (verify.error && isForbidden(verify.error)) return null;
  const v = verify.data;
  return (
    <Section title="Chain verification" id="chain-heading">
      {verify.isPending ? (
        <p className="muted" aria-busy="true">Checking the hash chain…</p>
      ) : verify.error ? (
        <p className="error" role="alert">Could not check the chain: {describeError(verify.error)}</p>
      ) : v?.ok ? (
        <p className="chain-ok">
          <span className="badge status-success">intact</span>{' '}
          {v.checked === null || v.checked === undefined ? 'Checked' : `${fmtInt(v.checked)} entries checked`} {fmtTime(v.checked_at)}: every entry is linked to the one before it and none was changed or removed.
        </p>
      ) : (
        <p className="chain-broken" role="alert">
          <span className="badge status-failure">broken</span> The chain breaks at entry #{v?.first_broken_seq ?? '?'}: {v?.problem ?? 'unknown problem'}. Entries may have been changed or removed outside Confab.
        </p>
      )}
      <div className="actions">
        <button type="button" className="ghost small" disabled={verify.isFetching} onClick={() => void verify.refetch()}>
          {verify.isFetching ? 'Checking…' : 'Check again'}
        </button>
      </div>
    </Section>
  );
}

function EntryDialog({ entry, onClose }: { entry: Entry; onClose: () => void }) {
  const rows: [string, string][] = [
    ['Sequence', String(entry.seq)],
    ['When', fmtTime(entry.created_at)],
    ['Actor', entry.actor],
    ['Actor id', entry.actor_user_id ?? '—'],
    ['Action', entry.action],
    ['Outcome', entry.outcome],
    ['Object type', entry.target_type ?? '—'],
    ['Object id', entry.target_id ?? '—'],
    ['Tenant', entry.tenant_id ?? '— (installation)'],
    ['IP address', entry.ip ?? '—'],
    ['Request id', entry.request_id ?? '—'],
    ['Hash', entry.hash],
  ];
  return (
    <Dialog title={`Audit entry #${entry.seq}`} onClose={onClose} wide>
      <dl className="detail-list">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd className={/id|Hash/.test(k) ? 'mono' : undefined}>{v}</dd>
          </div>
        ))}
      </dl>
      <h3>Details</h3>
      <pre className="json">{JSON.stringify(entry.details, null, 2)}</pre>
    </Dialog>
  );
}
