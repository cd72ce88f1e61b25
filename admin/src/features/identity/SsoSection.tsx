// Single sign-on: the tenant's OpenID Connect provider. Everyone who may open the view reads the
// settings and the redirect URI to register; tenant admins set it up, change it and remove it.
// The client secret is write-only: the form can keep, replace or remove it, never show it.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, ConfabError } from '../../api/client';
import { useConfirm } from '../../components/confirm';
import { CopyField } from '../../components/CopyField';
import { useNotify } from '../../components/notify';
import { EmptyState, QueryState, Section, StatusBadge } from '../../components/ui';
import { fmtTime } from '../../format';
import { DEFAULT_SCOPES, draftOf, parseDomains, SSO_FIELDS, ssoRefusal, ssoRequest, unverifiedDomains, type SsoDraft, type SsoField, type SsoView } from './sso';

const SSO_KEY = $api.queryOptions('get', '/v1/tenant/sso').queryKey;

export function SsoSection({ canWrite }: { canWrite: boolean }) {
  const sso = $api.useQuery('get', '/v1/tenant/sso');
  const remove = $api.useMutation('delete', '/v1/tenant/sso');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  const [editing, setEditing] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);
  // Back from the form, the focus returns to the button that opened it.
  useEffect(() => {
    if (wasEditing.current && !editing) editButton.current?.focus();
    wasEditing.current = editing;
  }, [editing]);
  // 404: the tenant has no single sign-on (not a failure to show).
  const none = sso.error instanceof ConfabError && sso.error.status === 404;
  const view = none ? null : (sso.data ?? null);

  const onRemove = async (v: SsoView) => {
    const ok = await confirm({
      title: 'Remove single sign-on?',
      message: (
        <>
          <p>
            The sign-in page stops offering “Sign in with {v.display_name}”, addresses of the tenant’s domains no longer lead to the provider, and nobody is
            provisioned from it any more.
          </p>
          <p>Members sign in with their passwords again; accounts the provider created have no password of their own. Existing sessions are not ended.</p>
        </>
      ),
      confirmLabel: 'Remove single sign-on',
    });
    if (!ok) return;
    try {
      await remove.mutateAsync({});
      notify.ok('Single sign-on removed: members sign in with passwords.');
      await client.resetQueries({ queryKey: SSO_KEY });
    } catch (e) {
      notify.error(e);
    }
  };

  const saved = (v: SsoView, first: boolean) => {
    client.setQueryData(SSO_KEY, v);
    setEditing(false);
    notify.ok(first ? 'Single sign-on set up. Register the redirect URI at the provider.' : 'Single sign-on settings saved.');
  };

  return (
    <Section
      title="Single sign-on"
      id="sso-heading"
      actions={
        canWrite && view && !editing ? (
          <button ref={editButton} type="button" onClick={() => setEditing(true)}>
            Edit settings
          </button>
        ) : null
      }
    >
      <p className="muted">
        People sign in through the company’s OpenID Connect provider (Keycloak, Entra ID, Okta, …) with the button it gets on the sign-in page, or by typing an address
        of a verified domain. With a groups claim, the group mapping below decides their role at every sign-in.
      </p>
      {none ? (
        editing ? (
          <SsoForm view={null} onCancel={() => setEditing(false)} onSaved={(v) => saved(v, true)} />
        ) : (
          <EmptyState title="Single sign-on is not set up.">
            {canWrite ? (
              <>
                Members sign in with passwords. Register Confab as a client at the provider, then enter its issuer and client id here.
                <div className="empty-actions">
                  <button ref={editButton} type="button" onClick={() => setEditing(true)}>
                    Set up single sign-on
                  </button>
                </div>
              </>
            ) : (
              'Members sign in with passwords; a tenant admin can set it up here.'
            )}
          </EmptyState>
        )
      ) : (
        <QueryState query={sso} what="the single sign-on settings">
          {() =>
            view &&
            (editing ? (
              <SsoForm view={view} onCancel={() => setEditing(false)} onSaved={(v) => saved(v, false)} />
            ) : (
              <SsoSummary view={view} onRemove={canWrite ? () => void onRemove(view) : undefined} />
            ))
          }
        </QueryState>
      )}
    </Section>
  );
}

function SsoSummary({ view, onRemove }: { view: SsoView; onRemove?: () => void }) {
  const origin = new URL(view.redirect_uri).origin;
  return (
    <div className="stack">
      <div className="register-at-provider">
        <h3>Register at the provider</h3>
        <div className="register-grid">
          <CopyField label="Redirect URI" value={view.redirect_uri} what="the redirect URI" />
          <CopyField label="Post-logout redirect URI (optional)" value={`${origin}/`} what="the post-logout redirect URI" />
        </div>
      </div>
      <dl className="detail-list sso-settings">
        <Item term="Status">
          <StatusBadge status={view.enabled ? 'enabled' : 'disabled'} />{' '}
          <span className="muted small">{view.enabled ? 'the sign-in page offers the button' : 'no button; nobody signs in through the provider'}</span>
        </Item>
        <Item term="Display name">
          <span className="sso-name">{view.display_name}</span> <span className="muted small">(the button reads “Sign in with {view.display_name}”)</span>
        </Item>
        <Item term="Issuer">
          <span className="mono">{view.issuer}</span>
        </Item>
        <Item term="Client id">
          <span className="mono">{view.client_id}</span>
        </Item>
        <Item term="Client secret">{view.has_client_secret ? 'Stored (never shown)' : 'None: a public client (PKCE only)'}</Item>
        <Item term="Scopes">
          <span className="mono">{view.scopes.join(' ')}</span>
        </Item>
        <Item term="Allowed domains">{view.allowed_domains.length ? <span className="mono">{view.allowed_domains.join(', ')}</span> : 'Any address'}</Item>
        <Item term="Claims">
          e-mail <span className="mono">{view.email_claim}</span>, name <span className="mono">{view.name_claim}</span>, groups{' '}
          {view.groups_claim ? <span className="mono">{view.groups_claim}</span> : <span className="muted">none (roles stay as admins set them)</span>}
        </Item>
        <Item term="Just-in-time provisioning">
          {view.jit_provisioning ? 'On: a first sign-in creates the account and its membership (as a member)' : 'Off: only people with an account here can sign in'}
        </Item>
        <Item term="Passwords">{view.allow_passwords ? 'Members may still sign in with a password' : 'Off: members sign in only through the provider (platform admins keep theirs)'}</Item>
        <Item term="Last changed">{fmtTime(view.updated_at)}</Item>
      </dl>
      {onRemove && (
        <div className="actions">
          <button type="button" className="ghost danger" onClick={onRemove}>
            Remove single sign-on
          </button>
        </div>
      )}
    </div>
  );
}

function Item({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function SsoForm({ view, onCancel, onSaved }: { view: SsoView | null; onCancel: () => void; onSaved: (v: SsoView) => void }) {
  const save = $api.useMutation('put', '/v1/tenant/sso');
  const domains = $api.useQuery('get', '/v1/tenant/domains');
  const confirm = useConfirm();
  const [draft, setDraft] = useState<SsoDraft>(() => draftOf(view));
  const [refusal, setRefusal] = useState<{ field: SsoField | null; reason: string } | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const set = (patch: Partial<SsoDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const focus = (field: SsoField) => formRef.current?.querySelector<HTMLInputElement>(`#sso-${field}`)?.focus();
  const unverified = draft.jit_provisioning && domains.data ? unverifiedDomains(parseDomains(draft.allowed_domains), domains.data.domains) : [];

  useEffect(() => focus('display_name'), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setRefusal(null);
    if (view?.allow_passwords !== false && !draft.allow_passwords) {
      const ok = await confirm({
        title: 'Turn password sign-in off?',
        message: (
          <p>
            Members can then sign in only through the provider, and password sessions cannot switch into this tenant. Platform admins keep signing in with their
            password. Check that single sign-on works for you first.
          </p>
        ),
        confirmLabel: 'Save without passwords',
      });
      if (!ok) return;
    }
    try {
      onSaved(await save.mutateAsync({ body: ssoRequest(draft) }));
    } catch (err) {
      const r = ssoRefusal(err);
      setRefusal(r);
      if (r.field) focus(r.field);
    }
  };

  // The id, validity and description of one field's input; its error is shown under it.
  const field = (f: SsoField, hint = false) => ({
    id: `sso-${f}`,
    'aria-invalid': refusal?.field === f ? true : undefined,
    'aria-describedby': [hint ? `sso-${f}-hint` : '', refusal?.field === f ? `sso-${f}-error` : ''].filter(Boolean).join(' ') || undefined,
  });
  const fieldError = (f: SsoField) =>
    refusal?.field === f ? (
      <span id={`sso-${f}-error`} className="error field-error">
        {refusal.reason}
      </span>
    ) : null;

  return (
    <form ref={formRef} className="stack sso-form" onSubmit={(e) => void submit(e)} aria-labelledby="sso-heading">
      <div className="grid-2">
        <div className="field">
          <label htmlFor="sso-display_name">Display name</label>
          <input type="text" required maxLength={100} value={draft.display_name} onChange={(e) => set({ display_name: e.target.value })} {...field('display_name', true)} />
          <span id="sso-display_name-hint" className="muted small">
            The button reads “Sign in with {draft.display_name.trim() || '…'}”.
          </span>
          {fieldError('display_name')}
        </div>
        <div className="field">
          <label htmlFor="sso-client_id">Client id</label>
          <input type="text" required maxLength={512} value={draft.client_id} onChange={(e) => set({ client_id: e.target.value })} {...field('client_id')} />
          {fieldError('client_id')}
        </div>
      </div>
      <div className="field">
        <label htmlFor="sso-issuer">Issuer</label>
        <input
          type="url"
          required
          className="mono"
          placeholder="https://login.example.com/realms/example"
          value={draft.issuer}
          onChange={(e) => set({ issuer: e.target.value })}
          {...field('issuer', true)}
        />
        <span id="sso-issuer-hint" className="muted small">
          The provider’s issuer identifier. Confab fetches its OpenID discovery document when saving.
        </span>
        {fieldError('issuer')}
      </div>
      <div className="field">
        <label htmlFor="sso-client_secret">Client secret</label>
        <input
          type="password"
          autoComplete="new-password"
          maxLength={4096}
          disabled={draft.remove_secret}
          placeholder={view?.has_client_secret ? 'A secret is stored: leave empty to keep it' : 'None: a public client (PKCE only)'}
          value={draft.remove_secret ? '' : draft.client_secret}
          onChange={(e) => set({ client_secret: e.target.value })}
          {...field('client_secret', true)}
        />
        <span id="sso-client_secret-hint" className="muted small">
          Write-only: stored encrypted and never shown. {view?.has_client_secret ? 'Type a new one to replace the stored secret.' : 'Leave empty for a public client.'}
        </span>
        {view?.has_client_secret && (
          <label className="inline small">
            <input type="checkbox" checked={draft.remove_secret} onChange={(e) => set({ remove_secret: e.target.checked, client_secret: '' })} />
            Remove the stored secret (the client becomes a public one, PKCE only)
          </label>
        )}
        {fieldError('client_secret')}
      </div>
      <div className="grid-2">
        <div className="field">
          <label htmlFor="sso-scopes">Scopes</label>
          <input type="text" className="mono" placeholder={DEFAULT_SCOPES} value={draft.scopes} onChange={(e) => set({ scopes: e.target.value })} {...field('scopes', true)} />
          <span id="sso-scopes-hint" className="muted small">
            Separated by spaces; <span className="mono">openid</span> is always requested.
          </span>
          {fieldError('scopes')}
        </div>
        <div className="field">
          <label htmlFor="sso-allowed_domains">Allowed domains</label>
          <input
            type="text"
            className="mono"
            placeholder="example.com"
            value={draft.allowed_domains}
            onChange={(e) => set({ allowed_domains: e.target.value })}
            {...field('allowed_domains', true)}
          />
          <span id="sso-allowed_domains-hint" className="muted small">
            E-mail domains that may sign in, separated by commas; empty allows any address.
          </span>
          {fieldError('allowed_domains')}
        </div>
      </div>
      <div className="grid-3">
        <div className="field">
          <label htmlFor="sso-email_claim">E-mail claim</label>
          <input type="text" className="mono" placeholder="email" value={draft.email_claim} onChange={(e) => set({ email_claim: e.target.value })} {...field('email_claim')} />
          {fieldError('email_claim')}
        </div>
        <div className="field">
          <label htmlFor="sso-name_claim">Name claim</label>
          <input type="text" className="mono" placeholder="name" value={draft.name_claim} onChange={(e) => set({ name_claim: e.target.value })} {...field('name_claim')} />
          {fieldError('name_claim')}
        </div>
        <div className="field">
          <label htmlFor="sso-groups_claim">Groups claim</label>
          <input type="text" className="mono" placeholder="none" value={draft.groups_claim} onChange={(e) => set({ groups_claim: e.target.value })} {...field('groups_claim', true)} />
          <span id="sso-groups_claim-hint" className="muted small">
            E.g. <span className="mono">groups</span>: the group mapping then sets the role at every sign-in.
          </span>
          {fieldError('groups_claim')}
        </div>
      </div>
      <fieldset className="radio-group">
        <legend>Sign-in</legend>
        <label className="inline">
          <input type="checkbox" checked={draft.enabled} onChange={(e) => set({ enabled: e.target.checked })} />
          <span>
            Enabled <span className="muted small">— the sign-in page offers the button</span>
          </span>
        </label>
        <label className="inline">
          <input type="checkbox" checked={draft.jit_provisioning} onChange={(e) => set({ jit_provisioning: e.target.checked })} />
          <span>
            Just-in-time provisioning <span className="muted small">— a first sign-in creates the account and its membership; needs every allowed domain verified</span>
          </span>
        </label>
        <label className="inline">
          <input type="checkbox" checked={draft.allow_passwords} onChange={(e) => set({ allow_passwords: e.target.checked })} />
          <span>
            Allow passwords <span className="muted small">— members may still sign in with a password (platform admins always may)</span>
          </span>
        </label>
      </fieldset>
      {unverified.length > 0 && (
        <p className="notice-inline" role="note">
          Not verified yet: {unverified.join(', ')}. Just-in-time provisioning needs every allowed domain verified under “E-mail domains” below.
        </p>
      )}
      {refusal && (
        <p className="error" role="alert">
          Not saved. {refusal.field ? `${SSO_FIELDS[refusal.field]}: ` : ''}
          {refusal.reason}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? 'Checking the issuer…' : view ? 'Save settings' : 'Set up single sign-on'}
        </button>
        <button type="button" className="ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
