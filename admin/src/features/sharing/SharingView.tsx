// Every share of the tenant's conversations: who shared what with whom, who looked at it, revoking
// it; and whether link shares (readable signed out) are allowed at all.
import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, type Schemas } from '../../api/client';
import { allItems, cursorPaging } from '../../api/paging';
import { useCanWrite } from '../../auth/context';
import { useConfirm } from '../../components/confirm';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/notify';
import { EmptyState, LoadMore, PageHeader, QueryState, Section, StatusBadge, TableWrap } from '../../components/ui';
import { fmtInt, fmtTime } from '../../format';

type Share = Schemas['ShareView'];
const visibilityName = (v: string) => (v === 'link' ? 'anyone with the link' : v === 'users' ? 'named people' : 'whole tenant');

export default function SharingView() {
  const canWrite = useCanWrite('sharing');
  const [status, setStatus] = useState<'' | Schemas['ShareStatus']>('active');
  const [viewsOf, setViewsOf] = useState<Share | null>(null);
  const shares = $api.useInfiniteQuery('get', '/v1/tenant/shares', { params: { query: { status: status || undefined, limit: 50 } } }, cursorPaging);
  const users = $api.useQuery('get', '/v1/users', { params: { query: { limit: 200 } } });
  const emailOf = (id: string) => users.data?.items.find((u) => u.id === id)?.email ?? `${id.slice(0, 8)}…`;
  const revoke = $api.useMutation('delete', '/v1/shares/{id}');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  const items = allItems(shares.data);

  return (
    <>
      <PageHeader title="Sharing" description="Snapshots of conversations that people shared, and how they may share." />
      <LinkSetting canWrite={canWrite} />
      <Section title="Shares" id="shares-heading">
        <div className="filters compact">
          <label>
            Status
            <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
              <option value="active">Active</option>
              <option value="revoked">Revoked</option>
              <option value="expired">Expired</option>
              <option value="">Any</option>
            </select>
          </label>
        </div>
        <QueryState query={shares} what="shares">
          {() =>
            items.length === 0 ? (
              <EmptyState title={status ? `No ${status} shares.` : 'Nothing has been shared yet.'}>People share a conversation from the chat's “Share” button; every share shows up here.</EmptyState>
            ) : (
              <>
                <TableWrap>
                  <table className="data-table">
                    <thead>
                      <tr>
                        <th scope="col">Title</th>
                        <th scope="col">Shared by</th>
                        <th scope="col">With</th>
                        <th scope="col">Status</th>
                        <th scope="col">Created</th>
                        <th scope="col">Expires</th>
                        <th scope="col" className="num">Views</th>
                        <th scope="col"><span className="visually-hidden">Actions</span></th>
                      </tr>
                    </thead>
                    <tbody>
                      {items.map((s) => (
                        <tr key={s.id}>
                          <th scope="row" className="title-cell">{s.title}</th>
                          <td>{emailOf(s.owner_id)}</td>
                          <td>{visibilityName(s.visibility)}{s.visibility === 'users' && s.user_ids ? ` (${s.user_ids.length})` : ''}</td>
                          <td><StatusBadge status={s.status} /></td>
                          <td className="nowrap">{fmtTime(s.created_at)}</td>
                          <td className="nowrap">{s.expires_at ? fmtTime(s.expires_at) : 'never'}</td>
                          <td className="num">{fmtInt(s.view_count ?? 0)}</td>
                          <td>
                            <div className="actions row-actions">
                              <button type="button" className="ghost small" aria-label={`Viewers of “${s.title}”`} onClick={() => setViewsOf(s)}>Viewers</button>
                              {canWrite && s.status === 'active' && (
                                <button
                                  type="button"
                                  className="ghost small danger"
                                  aria-label={`Revoke the share “${s.title}”`}
                                  onClick={async () => {
                                    if (!(await confirm({ title: 'Revoke share?', message: <p>The snapshot “{s.title}” shared by {emailOf(s.owner_id)} with {visibilityName(s.visibility)} stops opening for everyone, at once. The conversation itself is not touched. This cannot be undone.</p>, confirmLabel: 'Revoke share' }))) return;
                                    try {
                                      await revoke.mutateAsync({ params: { path: { id: s.id } } });
                                      notify.ok(`Share “${s.title}” revoked.`);
                                      await client.invalidateQueries({ queryKey: ['get', '/v1/tenant/shares'] });
                                    } catch (e) {
                                      notify.error(e);
                                    }
                                  }}
                                >
                                  Revoke
                                </button>
                              )}
                            </div>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
                <LoadMore query={shares} shown={items.length} />
              </>
            )
          }
        </QueryState>
      </Section>
      {viewsOf && <ViewersDialog share={viewsOf} onClose={() => setViewsOf(null)} />}
    </>
  );
}

function LinkSetting({ canWrite }: { canWrite: boolean }) {
  const settings = $api.useQuery('get', '/v1/tenant/sharing');
  const save = $api.useMutation('put', '/v1/tenant/sharing');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  const change = async (allowed: boolean) => {
    const ok = await confirm(
      allowed
        ? { title: 'Allow link sharing?', message: <p>People can then share conversations with a link that anyone can open, without signing in.</p>, confirmLabel: 'Allow links', danger: false }
        : { title: 'Turn link sharing off?', message: <p>New link shares are refused, and existing link shares stop opening until link sharing is allowed again. Shares within the tenant are unaffected.</p>, confirmLabel: 'Turn links off' },
    );
    if (!ok) return;
    try {
      await save.mutateAsync({ body: { links_allowed: allowed } });
      notify.ok(allowed ? 'Link sharing allowed.' : 'Link sharing turned off.');
      await client.invalidateQueries({ queryKey: ['get', '/v1/tenant/sharing'] });
    } catch (e) {
      notify.error(e);
    }
  };
  return (
    <Section title="Link sharing" id="link-sharing-heading">
      <QueryState query={settings} what="the sharing settings">
        {() => (
          <div className="switch-row">
            <label className="switch">
              <input
                type="checkbox"
                role="switch"
                checked={settings.data?.links_allowed ?? false}
                disabled={!canWrite || save.isPending}
                onChange={(e) => void change(e.target.checked)}
              />
              Allow shares that anyone with the link can open (signed out)
            </label>
            <span className="muted small">{settings.data?.updated_at ? `Changed ${fmtTime(settings.data.updated_at)}` : 'Never changed (off by default)'}</span>
          </div>
        )}
      </QueryState>
    </Section>
  );
}

function ViewersDialog({ share, onClose }: { share: Share; onClose: () => void }) {
  const views = $api.useInfiniteQuery('get', '/v1/shares/{id}/views', { params: { path: { id: share.id }, query: { limit: 50 } } }, cursorPaging);
  const items = allItems(views.data);
  const total = views.data?.pages[0]?.total ?? 0;
  return (
    <Dialog title={`Viewers of “${share.title}”`} onClose={onClose} wide>
      <QueryState query={views} what="viewers">
        {() =>
          items.length === 0 ? (
            <p className="muted">Nobody has opened this share yet.</p>
          ) : (
            <>
              <p>{fmtInt(total)} view{total === 1 ? '' : 's'} in all.</p>
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Viewer</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((v) => (
                    <tr key={v.id}>
                      <td>{fmtTime(v.viewed_at)}</td>
                      <td>{v.viewer_name ?? (v.viewer_id ? v.viewer_id : <span className="muted">signed out (link)</span>)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <LoadMore query={views} shown={items.length} />
            </>
          )
        }
      </QueryState>
    </Dialog>
  );
}
