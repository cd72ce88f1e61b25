// The installation's tenants and the storage their files take: create one (with its first admin),
// disable or enable it.
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, type Schemas } from '../../api/client';
import { allItems, cursorPaging } from '../../api/paging';
import { useConfirm } from '../../components/confirm';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/notify';
import { EmptyState, FormError, LoadMore, PageHeader, QueryState, StatusBadge, TableWrap } from '../../components/ui';
import { fmtBytes, fmtInt, fmtTime } from '../../format';

export default function TenantsView() {
  const tenants = $api.useInfiniteQuery('get', '/v1/tenants', { params: { query: { limit: 50 } } }, cursorPaging);
  const disable = $api.useMutation('post', '/v1/tenants/{id}/disable');
  const enable = $api.useMutation('post', '/v1/tenants/{id}/enable');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  const [creating, setCreating] = useState(false);
  const items = allItems(tenants.data);
  // Listed for the tenants that have files; the others take nothing.
  const storage = $api.useQuery('get', '/v1/storage/tenants');
  const stored = new Map((storage.data?.items ?? []).map((t) => [t.tenant_id, t]));
  const refresh = () => client.invalidateQueries({ queryKey: ['get', '/v1/tenants'] });

  return (
    <>
      <PageHeader title="Tenants" description="Each tenant is an organisation with its own users, data, budgets and plugins.">
        <button type="button" onClick={() => setCreating(true)}>Create tenant</button>
      </PageHeader>
      <QueryState query={tenants} what="tenants">
        {() =>
          items.length === 0 ? (
            <EmptyState title="No tenants.">Create the first one with “Create tenant”.</EmptyState>
          ) : (
            <>
              <TableWrap>
                <table className="data-table">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Slug</th>
                      <th scope="col">Status</th>
                      <th scope="col" className="num">File storage</th>
                      <th scope="col">Created</th>
                      <th scope="col"><span className="visually-hidden">Actions</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((t) => (
                      <tr key={t.id}>
                        <th scope="row">{t.name}</th>
                        <td className="mono">{t.slug}</td>
                        <td><StatusBadge status={t.status} /></td>
                        <td className="num"><StorageCell storage={storage.data ? (stored.get(t.id) ?? null) : undefined} /></td>
                        <td>{fmtTime(t.created_at)}</td>
                        <td>
                          {t.status === 'active' ? (
                            <button
                              type="button"
                              className="ghost small danger"
                              aria-label={`Disable tenant ${t.name}`}
                              onClick={async () => {
                                if (!(await confirm({ title: `Disable ${t.name}?`, message: <p>Nobody in {t.name} can sign in or use the API until it is enabled again; running sessions end. Its data is kept.</p>, confirmLabel: 'Disable tenant' }))) return;
                                try {
                                  await disable.mutateAsync({ params: { path: { id: t.id } } });
                                  notify.ok(`${t.name} disabled.`);
                                  await refresh();
                                } catch (e) {
                                  notify.error(e);
                                }
                              }}
                            >
                              Disable
                            </button>
                          ) : (
                            <button
                              type="button"
                              className="ghost small"
                              aria-label={`Enable tenant ${t.name}`}
                              onClick={async () => {
                                if (!(await confirm({ title: `Enable ${t.name}?`, message: <p>Its people can sign in again.</p>, confirmLabel: 'Enable tenant', danger: false }))) return;
                                try {
                                  await enable.mutateAsync({ params: { path: { id: t.id } } });
                                  notify.ok(`${t.name} enabled.`);
                                  await refresh();
                                } catch (e) {
                                  notify.error(e);
                                }
                              }}
                            >
                              Enable
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <LoadMore query={tenants} shown={items.length} />
            </>
          )
        }
      </QueryState>
      {creating && <CreateTenantDialog onClose={() => setCreating(false)} onCreated={() => void refresh()} />}
    </>
  );
}

/** A tenant's files: their size (of its quota, when there is one) and count; undefined while unknown. */
function StorageCell({ storage }: { storage: Schemas['TenantStorage'] | null | undefined }) {
  if (storage === undefined) return <span className="muted">—</span>;
  if (storage === null) return <span className="muted">No files</span>;
  return (
    <>
      <div>{fmtBytes(storage.bytes)}{storage.quota_bytes ? <span className="muted"> of {fmtBytes(storage.quota_bytes)}</span> : null}</div>
      <div className="muted small">{fmtInt(storage.files)} file{storage.files === 1 ? '' : 's'}</div>
    </>
  );
}

function CreateTenantDialog({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const create = $api.useMutation('post', '/v1/tenants');
  const notify = useNotify();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [admin, setAdmin] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await create.mutateAsync({ body: { name: name.trim(), slug: slug.trim() || undefined, admin_email: admin.trim() || undefined } });
      notify.ok(`Tenant ${name.trim()} created.`);
      onCreated();
      onClose();
    } catch {
      /* shown below */
    }
  };
  return (
    <Dialog title="Create tenant" onClose={onClose}>
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <label>
          Name
          <input type="text" required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Slug <span className="muted">(optional; from the name when empty)</span>
          <input type="text" className="mono" pattern="[a-z0-9-]*" value={slug} onChange={(e) => setSlug(e.target.value)} />
        </label>
        <label>
          First admin's e-mail <span className="muted">(optional; an existing user)</span>
          <input type="email" value={admin} onChange={(e) => setAdmin(e.target.value)} />
        </label>
        <FormError error={create.error} />
        <div className="actions end">
          <button type="button" className="ghost" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={create.isPending}>Create tenant</button>
        </div>
      </form>
    </Dialog>
  );
}
