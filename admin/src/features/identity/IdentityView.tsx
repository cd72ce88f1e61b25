// Sign-in and provisioning: how the tenant's identity provider reaches Confab. Single sign-on and
// the e-mail domains it routes by (SsoSection, DomainsSection), SCIM tokens (the identity provider
// creates, updates and removes users and groups with one) and the group → role mapping that SCIM
// and single sign-on groups go through. Tenant admins change them; auditors read them.
import { useEffect, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, apiBase, type Schemas } from '../../api/client';
import { useCanWrite } from '../../auth/context';
import { useConfirm } from '../../components/confirm';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/notify';
import { EmptyState, FormError, PageHeader, QueryState, Section, StatusBadge, TableWrap } from '../../components/ui';
import { fmtTime } from '../../format';
import { DomainsSection } from './DomainsSection';
import { mappingProblems, type MappingRow } from './mappings';
import { SsoSection } from './SsoSection';

type Token = Schemas['ScimTokenView'];
type Role = Schemas['TenantRole'];

const ROLE_LABEL: Record<Role, string> = { member: 'Member', auditor: 'Auditor', tenant_admin: 'Tenant admin' };
const MAPPABLE: Role[] = ['member', 'auditor', 'tenant_admin'];

export default function IdentityView() {
  const canWrite = useCanWrite('identity');
  return (
    <>
      <PageHeader
        title="Identity provider"
        description="Let people sign in through the company’s identity provider (Okta, Entra ID, Keycloak, …) with single sign-on, prove which e-mail domains are the company’s, keep this tenant’s accounts in step with the directory over SCIM 2.0, and say which directory groups make someone an auditor or a tenant admin."
      />
      <SsoSection canWrite={canWrite} />
      <DomainsSection canWrite={canWrite} />
      {canWrite && <ScimTokens />}
      <RoleMappingsSection canWrite={canWrite} />
    </>
  );
}

/** The absolute SCIM base URL: the API's origin (where this console was served from) and the tenant's path. */
function scimUrl(endpoint: string): string {
  const origin = new URL(apiBase || '/', location.href).origin;
  return `${origin}${endpoint}`;
}

function ScimTokens() {
  const tokens = $api.useQuery('get', '/v1/tenant/scim/tokens');
  const revoke = $api.useMutation('delete', '/v1/tenant/scim/tokens/{id}');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  const [creating, setCreating] = useState(false);
  const refresh = () => client.invalidateQueries({ queryKey: ['get', '/v1/tenant/scim/tokens'] });
  const items = tokens.data?.items ?? [];

  const onRevoke = async (t: Token) => {
    const ok = await confirm({
      title: `Revoke the SCIM token “${t.name}”?`,
      message: (
        <p>
          The identity provider’s next request with it is refused, so accounts stop following the directory until it is given a new token. Users and their sessions are not touched.
        </p>
      ),
      confirmLabel: 'Revoke token',
    });
    if (!ok) return;
    try {
      await revoke.mutateAsync({ params: { path: { id: t.id } } });
      notify.ok(`SCIM token “${t.name}” revoked.`);
      await refresh();
    } catch (e) {
      notify.error(e);
    }
  };

  return (
    <Section
      title="SCIM tokens"
      id="scim-heading"
      actions={
        <button type="button" onClick={() => setCreating(true)}>
          Create a token
        </button>
      }
    >
      <p className="muted">
        The identity provider authenticates with a bearer token. Deprovisioning someone there (deactivating or deleting the user) disables the account here and ends every session and API token within seconds.
      </p>
      <QueryState query={tokens} what="the SCIM tokens">
        {() =>
          items.length === 0 ? (
            <EmptyState title="No SCIM tokens.">Create one and paste it, with the SCIM base URL it shows, into the identity provider’s provisioning settings.</EmptyState>
          ) : (
            <TableWrap label="SCIM tokens">
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">Token</th>
                    <th scope="col">Status</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col"><span className="visually-hidden">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((t) => (
                    <tr key={t.id}>
                      <th scope="row" className="title-cell">
                        <span className="cell-main">{t.name}</span>
                        <span className="muted small block mono">{t.prefix}…</span>
                      </th>
                      <td>
                        <StatusBadge status={t.revoked_at ? 'revoked' : 'active'} />
                        {t.revoked_at && <span className="muted small block">{fmtTime(t.revoked_at)}</span>}
                      </td>
                      <td className="nowrap">{fmtTime(t.created_at)}</td>
                      <td className="nowrap">{t.last_used_at ? fmtTime(t.last_used_at) : <span className="muted">never</span>}</td>
                      <td>
                        {!t.revoked_at && (
                          <div className="actions row-actions">
                            <button type="button" className="ghost small danger" aria-label={`Revoke the SCIM token ${t.name}`} onClick={() => void onRevoke(t)}>
                              Revoke
                            </button>
                          </div>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </QueryState>
      {creating && <CreateTokenDialog onClose={() => setCreating(false)} onCreated={() => void refresh()} />}
    </Section>
  );
}

function CreateTokenDialog({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const create = $api.useMutation('post', '/v1/tenant/scim/tokens');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<Schemas['CreatedScimToken'] | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const data = await create.mutateAsync({ body: { name: name.trim() } });
      setCreated(data);
      onCreated();
    } catch {
      /* shown below */
    }
  };

  if (created) {
    return (
      <Dialog title="SCIM token created" onClose={onClose}>
        <div className="stack">
          <p>Copy the token now: Confab keeps only a hash of it and cannot show it again.</p>
          <label>
            SCIM base URL
            <input type="text" readOnly className="mono" value={scimUrl(created.endpoint)} onFocus={(e) => e.currentTarget.select()} />
          </label>
          <label>
            Bearer token
            <input type="text" readOnly className="mono" value={created.secret} onFocus={(e) => e.currentTarget.select()} />
          </label>
          <div className="actions end">
            <button type="button" onClick={onClose}>Done</button>
          </div>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog title="Create a SCIM token" onClose={onClose}>
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <label>
          Name <span className="muted">(what it is for, e.g. “Okta”)</span>
          <input type="text" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <FormError error={create.error} />
        <div className="actions end">
          <button type="button" className="ghost" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={create.isPending || !name.trim()}>Create token</button>
        </div>
      </form>
    </Dialog>
  );
}

function RoleMappingsSection({ canWrite }: { canWrite: boolean }) {
  const mappings = $api.useQuery('get', '/v1/tenant/role-mappings');
  const save = $api.useMutation('put', '/v1/tenant/role-mappings');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  const [rows, setRows] = useState<MappingRow[] | null>(null);
  const saved = mappings.data?.mappings;
  // The form starts from what is saved, and again after each save.
  useEffect(() => {
    if (saved) setRows(saved.map((m) => ({ group: m.group, role: m.role })));
  }, [saved]);
  const problems = rows ? mappingProblems(rows) : [];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!rows || problems.length > 0) return;
    const ok = await confirm({
      title: 'Save the group mapping?',
      message: <p>Every provisioned user’s role is recomputed at once. Anyone whose role changes is signed out everywhere and signs in again with the new role.</p>,
      confirmLabel: 'Save mapping',
      danger: false,
    });
    if (!ok) return;
    try {
      await save.mutateAsync({ body: { mappings: rows.map((r) => ({ group: r.group.trim(), role: r.role })) } });
      notify.ok('Group mapping saved.');
      await client.invalidateQueries({ queryKey: ['get', '/v1/tenant/role-mappings'] });
    } catch {
      /* shown below */
    }
  };

  const update = (i: number, patch: Partial<MappingRow>) => setRows((all) => all && all.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  return (
    <Section title="Groups and roles" id="mappings-heading">
      <p className="muted">
        Members of a mapped directory group get its role in this tenant; someone in several mapped groups gets the highest, and provisioned users in no mapped group are members. Group names are matched without regard to case.
      </p>
      <QueryState query={mappings} what="the group mapping">
        {() =>
          !rows ? null : !canWrite ? (
            rows.length === 0 ? (
              <EmptyState title="No groups are mapped.">Every provisioned user is a member.</EmptyState>
            ) : (
              <TableWrap label="Group mapping">
                <table className="data-table">
                  <thead>
                    <tr>
                      <th scope="col">Directory group</th>
                      <th scope="col">Role</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((r) => (
                      <tr key={r.group}>
                        <th scope="row">{r.group}</th>
                        <td>{ROLE_LABEL[r.role]}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )
          ) : (
            <form className="stack" onSubmit={(e) => void submit(e)}>
              {rows.length === 0 && <p>No groups are mapped: every provisioned user is a member.</p>}
              {rows.map((r, i) => (
                <div className="mapping-row" key={i}>
                  <label>
                    Directory group
                    <input type="text" maxLength={512} value={r.group} onChange={(e) => update(i, { group: e.target.value })} />
                  </label>
                  <label>
                    Role
                    <select value={r.role} onChange={(e) => update(i, { role: e.target.value as Role })}>
                      {MAPPABLE.map((role) => (
                        <option key={role} value={role}>
                          {ROLE_LABEL[role]}
                        </option>
                      ))}
                    </select>
                  </label>
                  <button type="button" className="ghost small danger" aria-label={`Remove the mapping of ${r.group || 'this group'}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                    Remove
                  </button>
                </div>
              ))}
              {problems.map((p) => (
                <p key={p} className="error" role="alert">
                  {p}
                </p>
              ))}
              <FormError error={save.error} />
              <div className="actions">
                <button type="button" className="ghost" disabled={rows.length >= 200} onClick={() => setRows([...rows, { group: '', role: 'tenant_admin' }])}>
                  Add a group
                </button>
                <button type="submit" disabled={save.isPending || problems.length > 0}>
                  Save mapping
                </button>
              </div>
            </form>
          )
        }
      </QueryState>
    </Section>
  );
}
