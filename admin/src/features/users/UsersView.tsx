// Users of the tenant: find, page, create, disable/enable, change role, end sessions, API tokens.
import { useEffect, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, type Schemas } from '../../api/client';
import { allItems, cursorPaging } from '../../api/paging';
import { useCanWrite, useSession } from '../../auth/context';
import { useConfirm } from '../../components/confirm';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/notify';
import { EmptyState, FormError, LoadMore, PageHeader, QueryState, StatusBadge, TableWrap } from '../../components/ui';
import { fmtTime } from '../../format';
import { useDebounced } from '../../hooks';
import { navigate, useRoute } from '../../router';

type User = Schemas['UserView'];
type Role = Schemas['TenantRole'];
const ROLES: Role[] = ['member', 'auditor', 'tenant_admin'];
const roleName = (r: string) => (r === 'tenant_admin' ? 'Tenant admin' : r.charAt(0).toUpperCase() + r.slice(1));

export default function UsersView() {
  const route = useRoute();
  const canWrite = useCanWrite('users');
  const [q, setQ] = useState(route.query.get('q') ?? '');
  const status = route.query.get('status') ?? '';
  const role = route.query.get('role') ?? '';
  const debouncedQ = useDebounced(q.trim());
  const [creating, setCreating] = useState(false);
  const [tokensOf, setTokensOf] = useState<User | null>(null);

  useEffect(() => {
    navigate('users', { q: debouncedQ, status, role }, true);
  }, [debouncedQ, status, role]);

  const query = {
    ...(debouncedQ ? { q: debouncedQ } : {}),
    ...(status ? { status: status as Schemas['ActivationStatus'] } : {}),
    ...(role ? { role: role as Role } : {}),
    limit: 50,
  };
  const users = $api.useInfiniteQuery('get', '/v1/users', { params: { query } }, cursorPaging);
  const items = allItems(users.data);
  const filtered = Boolean(debouncedQ || status || role);

  return (
    <>
      <PageHeader title="Users" description="Everyone who can sign in to this tenant, their role and their access.">
        {canWrite && <button type="button" onClick={() => setCreating(true)}>Create user</button>}
      </PageHeader>
      <form className="filters" role="search" aria-label="Filter users" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" placeholder="E-mail or name" value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => navigate('users', { q: debouncedQ, status: e.target.value, role }, true)}>
            <option value="">Any</option>
            <option value="active">Active</option>
            <option value="disabled">Disabled</option>
          </select>
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => navigate('users', { q: debouncedQ, status, role: e.target.value }, true)}>
            <option value="">Any</option>
            {ROLES.map((r) => <option key={r} value={r}>{roleName(r)}</option>)}
          </select>
        </label>
      </form>
      <QueryState query={users} what="users">
        {() =>
          items.length === 0 ? (
            filtered ? (
              <EmptyState title="No user matches these filters.">Clear the search or choose “Any” to see everyone.</EmptyState>
            ) : (
              <EmptyState title="No users yet.">{canWrite ? 'Create the first one with “Create user”.' : 'A tenant admin adds users here.'}</EmptyState>
            )
          ) : (
            <>
              <TableWrap>
                <table className="data-table">
                  <caption className="visually-hidden">Users</caption>
                  <thead>
                    <tr>
                      <th scope="col">User</th>
                      <th scope="col">Role</th>
                      <th scope="col">Status</th>
                      <th scope="col" className="hide-narrow">Joined</th>
                      <th scope="col"><span className="visually-hidden">Actions</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((u) => <UserRow key={u.id} user={u} canWrite={canWrite} onTokens={() => setTokensOf(u)} />)}
                  </tbody>
                </table>
              </TableWrap>
              <LoadMore query={users} shown={items.length} />
            </>
          )
        }
      </QueryState>
      {creating && <CreateUserDialog onClose={() => setCreating(false)} />}
      {tokensOf && <TokensDialog user={tokensOf} canWrite={canWrite} onClose={() => setTokensOf(null)} />}
    </>
  );
}

function useRefreshUsers() {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: ['get', '/v1/users'] });
}

function UserRow({ user, canWrite, onTokens }: { user: User; canWrite: boolean; onTokens: () => void }) {
  const { me } = useSession();
  const confirm = useConfirm();
  const notify = useNotify();
  const refresh = useRefreshUsers();
  const disable = $api.useMutation('post', '/v1/users/{id}/disable');
  const enable = $api.useMutation('post', '/v1/users/{id}/enable');
  const setRole = $api.useMutation('put', '/v1/users/{id}/role');
  const revoke = $api.useMutation('post', '/v1/users/{id}/sessions/revoke');
  const who = user.display_name ? `${user.display_name} (${user.email})` : user.email;
  const self = user.id === me.id;
  const path = { params: { path: { id: user.id } } };

  const run = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      notify.ok(done);
      await refresh();
    } catch (e) {
      notify.error(e);
    }
  };

  const changeRole = async (next: Role) => {
    if (next === user.role) return;
    const ok = await confirm({
      title: 'Change role?',
      message: <p>{who} becomes <strong>{roleName(next)}</strong> instead of {roleName(user.role)}. {next === 'tenant_admin' ? 'They can then manage users, budgets, models and plugins.' : 'Their access changes at once.'}</p>,
      confirmLabel: `Make ${roleName(next).toLowerCase()}`,
      danger: false,
    });
    if (ok) await run(() => setRole.mutateAsync({ ...path, body: { role: next } }), `${user.email} is now ${roleName(next).toLowerCase()}.`);
  };

  return (
    <tr>
      <td>
        <div className="cell-main">{user.display_name || user.email}</div>
        {user.display_name && <div className="muted small">{user.email}</div>}
      </td>
      <td>
        {canWrite && !self ? (
          <select aria-label={`Role of ${user.email}`} value={user.role} onChange={(e) => void changeRole(e.target.value as Role)}>
            {ROLES.map((r) => <option key={r} value={r}>{roleName(r)}</option>)}
          </select>
        ) : (
          roleName(user.role)
        )}
      </td>
      <td><StatusBadge status={user.status} /></td>
      <td className="nowrap hide-narrow">{fmtTime(user.created_at)}</td>
      <td>
        <div className="actions row-actions">
          <button type="button" className="ghost small" onClick={onTokens} aria-label={`API tokens of ${user.email}`}>Tokens</button>
          {canWrite && !self && (
            <>
              <button
                type="button"
                className="ghost small"
                aria-label={`Sign out ${user.email} everywhere`}
                onClick={async () => {
                  if (await confirm({ title: 'Sign out everywhere?', message: <p>Every session of {who} ends now; they must sign in again. Their API tokens keep working (revoke those under “Tokens”).</p>, confirmLabel: 'End sessions' }))
                    await run(() => revoke.mutateAsync(path), `Sessions of ${user.email} ended.`);
                }}
              >
                Sign out
              </button>
              {user.status === 'active' ? (
                <button
                  type="button"
                  className="ghost small danger"
                  aria-label={`Disable ${user.email}`}
                  onClick={async () => {
                    if (await confirm({ title: 'Disable user?', message: <p>{who} can no longer sign in, their sessions end and their API tokens stop working. Their conversations are kept; you can enable them again later.</p>, confirmLabel: 'Disable user' }))
                      await run(() => disable.mutateAsync(path), `${user.email} is disabled.`);
                  }}
                >
                  Disable
                </button>
              ) : (
                <button
                  type="button"
                  className="ghost small"
                  aria-label={`Enable ${user.email}`}
                  onClick={async () => {
                    if (await confirm({ title: 'Enable user?', message: <p>{who} can sign in again with their password.</p>, confirmLabel: 'Enable user', danger: false }))
                      await run(() => enable.mutateAsync(path), `${user.email} is enabled.`);
                  }}
                >
                  Enable
                </button>
              )}
            </>
          )}
        </div>
      </td>
    </tr>
  );
}

function temporaryPassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function CreateUserDialog({ onClose }: { onClose: () => void }) {
  const notify = useNotify();
  const refresh = useRefreshUsers();
  const create = $api.useMutation('post', '/v1/users');
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [password, setPassword] = useState(temporaryPassword);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await create.mutateAsync({ body: { email: email.trim(), display_name: name.trim() || undefined, role, password } });
      notify.ok(`${email.trim()} can now sign in with the temporary password.`);
      await refresh();
      onClose();
    } catch {
      /* shown below */
    }
  };

  return (
    <Dialog title="Create user" onClose={onClose}>
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <label>
          E-mail
          <input type="email" required autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Name <span className="muted">(optional)</span>
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => <option key={r} value={r}>{roleName(r)}</option>)}
          </select>
        </label>
        <label>
          Temporary password
          <input type="text" required minLength={8} autoComplete="off" className="mono" value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby="new-user-password-hint" />
        </label>
        <p id="new-user-password-hint" className="muted small">Give it to the person through a safe channel; they should change it after signing in.</p>
        <FormError error={create.error} />
        <div className="actions end">
          <button type="button" className="ghost" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={create.isPending}>{create.isPending ? 'Creating…' : 'Create user'}</button>
        </div>
      </form>
    </Dialog>
  );
}

function TokensDialog({ user, canWrite, onClose }: { user: User; canWrite: boolean; onClose: () => void }) {
  const confirm = useConfirm();
  const notify = useNotify();
  const client = useQueryClient();
  const tokens = $api.useInfiniteQuery('get', '/v1/tokens', { params: { query: { user_id: user.id, limit: 50 } } }, cursorPaging);
  const revoke = $api.useMutation('delete', '/v1/tokens/{id}');
  const items = allItems(tokens.data).filter((t) => t.user_id === user.id);
  return (
    <Dialog title={`API tokens of ${user.email}`} onClose={onClose} wide>
      <QueryState query={tokens} what="tokens">
        {() =>
          items.length === 0 ? (
            <EmptyState title="No API tokens.">People create their own tokens in the chat's settings; they show up here.</EmptyState>
          ) : (
            <>
              <TableWrap>
                <table className="data-table">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Prefix</th>
                      <th scope="col">Role</th>
                      <th scope="col">Last used</th>
                      <th scope="col">Expires</th>
                      <th scope="col">Status</th>
                      <th scope="col"><span className="visually-hidden">Actions</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((t) => (
                      <tr key={t.id}>
                        <td>{t.name}</td>
                        <td className="mono">{t.prefix}…</td>
                        <td>{roleName(t.role)}</td>
                        <td>{fmtTime(t.last_used_at)}</td>
                        <td>{t.expires_at ? fmtTime(t.expires_at) : 'never'}</td>
                        <td><StatusBadge status={t.revoked_at ? 'revoked' : 'active'} /></td>
                        <td>
                          {canWrite && !t.revoked_at && (
                            <button
                              type="button"
                              className="ghost small danger"
                              aria-label={`Revoke token ${t.name}`}
                              onClick={async () => {
                                if (!(await confirm({ title: 'Revoke token?', message: <p>The token “{t.name}” ({t.prefix}…) stops working at once. Programs using it get “unauthenticated”. This cannot be undone.</p>, confirmLabel: 'Revoke token' }))) return;
                                try {
                                  await revoke.mutateAsync({ params: { path: { id: t.id } } });
                                  notify.ok(`Token “${t.name}” revoked.`);
                                  await client.invalidateQueries({ queryKey: ['get', '/v1/tokens'] });
                                } catch (e) {
                                  notify.error(e);
                                }
                              }}
                            >
                              Revoke
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <LoadMore query={tokens} shown={items.length} />
            </>
          )
        }
      </QueryState>
    </Dialog>
  );
}
