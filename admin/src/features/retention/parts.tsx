// Pieces the tenant's and the platform's retention views share: one period's input, the legal
// holds table and what a hold covers.
import { useState } from 'react';
import { $api, type Schemas } from '../../api/client';
import { allItems, cursorPaging } from '../../api/paging';
import { EmptyState, LoadMore, QueryState, StatusBadge, TableWrap } from '../../components/ui';
import { fmtTime } from '../../format';
import type { PeriodMeta } from './periods';

export type Hold = Schemas['LegalHoldView'];

/** Days (a text box) or "keep forever" (a box to tick), with the server's complaint under it. */
export function PeriodInput({
  id,
  meta,
  label,
  days,
  forever,
  error,
  hint,
  onDays,
  onForever,
}: {
  id: string;
  meta: PeriodMeta;
  /** The input's accessible name, e.g. "Conversations (days)" or "Floor: Shares (days)". */
  label: string;
  days: string;
  forever: boolean;
  error?: string | null;
  hint?: string;
  onDays: (v: string) => void;
  onForever: (v: boolean) => void;
}) {
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const described = [error ? errorId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="period-input">
      <div className="period-row">
        <input
          id={id}
          type="text"
          inputMode="numeric"
          className="days"
          aria-label={label}
          aria-invalid={error ? true : undefined}
          aria-describedby={described}
          disabled={forever}
          value={forever ? '' : days}
          placeholder={forever ? 'forever' : String(meta.min)}
          onChange={(e) => onDays(e.target.value)}
        />
        <span className={`muted small${forever ? ' invisible' : ''}`} aria-hidden="true">days</span>
        <label className="inline small">
          <input type="checkbox" checked={forever} onChange={(e) => onForever(e.target.checked)} aria-label={`Keep forever (${label})`} />
          Keep forever
        </label>
      </div>
      {hint && <span id={hintId} className="muted small">{hint}</span>}
      {error && <span id={errorId} className="error field-error" role="alert">{error}</span>}
    </div>
  );
}

/** A user of the active tenant by their e-mail address (their id when they are gone). */
export function UserName({ id }: { id: string }) {
  const user = $api.useQuery('get', '/v1/users/{id}', { params: { path: { id } } }, { retry: false, staleTime: 60_000 });
  if (user.data) return <>{user.data.email}</>;
  return <span className="mono">{id}</span>;
}

/** What a hold covers, in words. */
export function HoldSubject({ hold, tenantLevel }: { hold: Hold; tenantLevel?: boolean }) {
  if (hold.scope === 'tenant') return <>Whole tenant</>;
  if (hold.scope === 'user') {
    return (
      <>
        User <strong>{hold.subject_id && !tenantLevel ? <UserName id={hold.subject_id} /> : <span className="mono">{hold.subject_id}</span>}</strong>
      </>
    );
  }
  return (
    <>
      Conversation <span className="mono">{hold.subject_id}</span>
    </>
  );
}

/**
 * The legal holds of the tenant (or, for platform admins, of every tenant), newest first, with
 * a filter for active ones, and a release button per active hold when `onRelease` is given.
 */
export function HoldsTable({
  platform = false,
  onRelease,
  emptyHint,
  tenantName,
}: {
  platform?: boolean;
  onRelease?: (h: Hold) => void;
  emptyHint: string;
  tenantName?: (id: string) => string;
}) {
  const [status, setStatus] = useState<'active' | 'all'>('active');
  const query = { active: status === 'active' ? true : undefined, limit: 50 };
  const tenantHolds = $api.useInfiniteQuery('get', '/v1/tenant/legal-holds', { params: { query } }, { ...cursorPaging, enabled: !platform });
  const platformHolds = $api.useInfiniteQuery('get', '/v1/platform/legal-holds', { params: { query } }, { ...cursorPaging, enabled: platform });
  const holds = platform ? platformHolds : tenantHolds;
  const items = allItems<Hold>(holds.data);
  return (
    <>
      <div className="filters compact">
        <label>
          Show
          <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
            <option value="active">Active holds</option>
            <option value="all">Active and released</option>
          </select>
        </label>
      </div>
      <QueryState query={holds} what="legal holds">
        {() =>
          items.length === 0 ? (
            <EmptyState title={status === 'active' ? 'No active legal holds.' : 'No legal holds yet.'}>{emptyHint}</EmptyState>
          ) : (
            <>
              <TableWrap label="Legal holds">
                <table className="data-table holds-table">
                  <thead>
                    <tr>
                      <th scope="col">Case</th>
                      {platform && <th scope="col">Tenant</th>}
                      <th scope="col">Covers</th>
                      <th scope="col">Reason</th>
                      <th scope="col">Placed</th>
                      <th scope="col">Status</th>
                      {onRelease && <th scope="col"><span className="visually-hidden">Actions</span></th>}
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((h) => (
                      <tr key={h.id}>
                        <th scope="row" className="title-cell">{h.case_name}</th>
                        {platform && <td>{tenantName ? tenantName(h.tenant_id) : <span className="mono">{h.tenant_id}</span>}</td>}
                        <td className="detail-cell"><HoldSubject hold={h} tenantLevel={platform} /></td>
                        <td className="detail-cell reason-cell">{h.reason}</td>
                        <td>
                          <span className="nowrap">{fmtTime(h.created_at)}</span>
                          <br />
                          <span className="muted small">by {h.created_by}</span>
                        </td>
                        <td>
                          <StatusBadge status={h.released_at ? 'released' : 'active'} />
                          {h.released_at && (
                            <span className="muted small block">
                              {fmtTime(h.released_at)}
                              {h.released_by ? ` by ${h.released_by}` : ''}
                            </span>
                          )}
                        </td>
                        {onRelease && (
                          <td>
                            {!h.released_at && (
                              <button type="button" className="ghost small danger" aria-label={`Release the hold “${h.case_name}”`} onClick={() => onRelease(h)}>
                                Release
                              </button>
                            )}
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <LoadMore query={holds} shown={items.length} />
            </>
          )
        }
      </QueryState>
    </>
  );
}
