import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfirmProvider } from '../../components/confirm';
import { NotifyProvider } from '../../components/notify';
import { DomainsSection } from './DomainsSection';
import { SsoSection } from './SsoSection';
import type { Domain, SsoRequest, SsoView } from './sso';

afterEach(() => vi.unstubAllGlobals());

// jsdom has <dialog> without its modal methods.
HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
  this.open = true;
};
HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
  this.open = false;
};
// Nor ResizeObserver (tables watch their width).
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

const SETTINGS: SsoView = {
  display_name: 'Initech SSO',
  issuer: 'https://login.initech.example',
  client_id: 'confab-initech',
  has_client_secret: true,
  scopes: ['openid', 'email', 'profile'],
  allowed_domains: ['initech.example'],
  email_claim: 'email',
  name_claim: 'name',
  groups_claim: 'groups',
  jit_provisioning: true,
  allow_passwords: true,
  enabled: true,
  redirect_uri: 'https://chat.initech.example/v1/auth/oidc/callback',
  updated_at: '2026-12-01T10:00:00Z',
};

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const refused = (status: number, code: string, message: string, field: string | null = null) => json({ error: { code, message, field, request_id: 'r1' } }, status);

/** A fake Confab with the tenant's settings and domains; records what is saved. */
function serve(settings: SsoView | null, domains: Domain[] = []) {
  const puts: SsoRequest[] = [];
  const state = { settings: settings ? { ...settings } : null };
  vi.stubGlobal('fetch', async (request: Request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/v1/tenant/sso') {
      if (request.method === 'PUT') {
        const body = (await request.json()) as SsoRequest;
        puts.push(body);
        if (body.issuer.startsWith('http://127.0.0.1:9')) {
          return refused(422, 'validation_failed', `issuer OpenID discovery at ${body.issuer}/.well-known/openid-configuration failed: connection refused`, 'issuer');
        }
        const { client_secret, ...rest } = body;
        state.settings = {
          ...SETTINGS,
          display_name: rest.display_name,
          issuer: rest.issuer,
          client_id: rest.client_id,
          groups_claim: rest.groups_claim ?? null,
          allow_passwords: rest.allow_passwords,
          has_client_secret: client_secret === undefined ? !!state.settings?.has_client_secret : client_secret !== '',
        };
      }
      return state.settings ? json(state.settings) : refused(404, 'not_found', 'sso not found');
    }
    if (pathname === '/v1/tenant/domains') return json({ domains });
    if (pathname.endsWith('/verify')) return refused(422, 'validation_failed', 'domain no TXT record at _confab-challenge.initech-labs.example yet (DNS changes can take a while to appear)', 'domain');
    return json({}, 404);
  });
  return { puts, state };
}

function renderWith(children: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <NotifyProvider>
        <ConfirmProvider>{children}</ConfirmProvider>
      </NotifyProvider>
    </QueryClientProvider>,
  );
}

describe('the single sign-on section', () => {
  it('shows the settings and the redirect URI, never the secret; a new name is saved and the stored secret kept', async () => {
    const { puts } = serve(SETTINGS);
    renderWith(<SsoSection canWrite />);
    await screen.findByText('Stored (never shown)');
    expect((screen.getByLabelText('Redirect URI') as HTMLInputElement).value).toBe(SETTINGS.redirect_uri);
    fireEvent.click(screen.getByRole('button', { name: 'Edit settings' }));
    const secret = screen.getByLabelText('Client secret') as HTMLInputElement;
    expect(secret.type).toBe('password');
    expect(secret.value).toBe('');
    expect(secret.placeholder).toMatch(/stored: leave empty to keep it/);
    fireEvent.change(screen.getByLabelText('Display name'), { target: { value: 'Initech Login' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByText('Initech Login');
    expect(puts).toHaveLength(1);
    const [put] = puts as [SsoRequest];
    expect(put).toMatchObject({ display_name: 'Initech Login', issuer: SETTINGS.issuer, scopes: SETTINGS.scopes, allowed_domains: ['initech.example'], groups_claim: 'groups' });
    expect('client_secret' in put).toBe(false);
  });

  it('shows the server’s reason beside the issuer, and keeps the form', async () => {
    const { state } = serve(SETTINGS);
    renderWith(<SsoSection canWrite />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit settings' }));
    fireEvent.change(screen.getByLabelText('Issuer'), { target: { value: 'http://127.0.0.1:9' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/^Not saved\. Issuer: OpenID discovery at http:\/\/127\.0\.0\.1:9\/\.well-known\/openid-configuration failed/);
    const issuer = screen.getByLabelText('Issuer');
    expect(issuer.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(issuer.getAttribute('aria-describedby')?.split(' ').find((id) => id.endsWith('-error')) ?? '')?.textContent).toMatch(/^OpenID discovery/);
    expect(state.settings?.issuer).toBe(SETTINGS.issuer);
  });

  it('removes the stored secret when asked', async () => {
    const { puts } = serve(SETTINGS);
    renderWith(<SsoSection canWrite />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit settings' }));
    fireEvent.click(screen.getByLabelText(/Remove the stored secret/));
    expect((screen.getByLabelText('Client secret') as HTMLInputElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByText('None: a public client (PKCE only)');
    expect(puts[0]?.client_secret).toBe('');
  });

  it('asks before turning password sign-in off', async () => {
    const { puts } = serve(SETTINGS);
    renderWith(<SsoSection canWrite />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit settings' }));
    fireEvent.click(screen.getByLabelText(/^Allow passwords/));
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(puts).toHaveLength(0);
  });

  it('is read-only for an auditor', async () => {
    serve(SETTINGS);
    renderWith(<SsoSection canWrite={false} />);
    await screen.findByText('Initech SSO');
    expect(screen.queryByRole('button', { name: 'Edit settings' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Remove single sign-on' })).toBeNull();
  });

  it('offers a setup to an admin when there is none, and only says so to an auditor', async () => {
    serve(null);
    const { unmount } = renderWith(<SsoSection canWrite />);
    await screen.findByText('Single sign-on is not set up.');
    fireEvent.click(screen.getByRole('button', { name: 'Set up single sign-on' }));
    expect((screen.getByLabelText('Scopes') as HTMLInputElement).value).toBe('openid email profile');
    unmount();
    renderWith(<SsoSection canWrite={false} />);
    await screen.findByText('Single sign-on is not set up.');
    expect(screen.queryByRole('button', { name: 'Set up single sign-on' })).toBeNull();
  });
});

describe('the e-mail domains section', () => {
  const pending: Domain = {
    domain: 'initech-labs.example',
    verified: false,
    verified_at: null,
    verified_by: null,
    txt_name: '_confab-challenge.initech-labs.example',
    txt_value: 'confab-domain-verification=abc123',
    created_at: '2026-12-01T09:00:00Z',
  };
  const verified: Domain = { ...pending, domain: 'initech.example', verified: true, verified_at: '2026-12-01T10:00:00Z', verified_by: 'dns', txt_name: '_confab-challenge.initech.example' };

  it('shows the record to publish and what the DNS check found', async () => {
    serve(null, [verified, pending]);
    renderWith(<DomainsSection canWrite />);
    const row = (await screen.findByRole('rowheader', { name: 'initech-labs.example' })).closest('tbody') as HTMLElement;
    expect((within(row).getByLabelText('TXT record name') as HTMLInputElement).value).toBe('_confab-challenge.initech-labs.example');
    expect((within(row).getByLabelText('TXT record value') as HTMLInputElement).value).toBe('confab-domain-verification=abc123');
    const done = screen.getByRole('rowheader', { name: 'initech.example' }).closest('tbody') as HTMLElement;
    expect(within(done).getByText(/^by DNS, /)).toBeTruthy();
    expect(within(done).queryByRole('button', { name: /^Verify/ })).toBeNull();
    fireEvent.click(within(row).getByRole('button', { name: 'Verify initech-labs.example' }));
    const alert = await within(row).findByRole('alert');
    expect(alert.textContent).toBe('Not verified: No TXT record at _confab-challenge.initech-labs.example yet (DNS changes can take a while to appear).');
  });

  it('is read-only for an auditor', async () => {
    serve(null, [pending]);
    renderWith(<DomainsSection canWrite={false} />);
    await screen.findByRole('rowheader', { name: 'initech-labs.example' });
    expect(screen.queryAllByRole('button').map((b) => b.textContent)).toEqual(['Copy the TXT record name of initech-labs.example', 'Copy the TXT record value of initech-labs.example']);
    expect(screen.queryByLabelText('Domain')).toBeNull();
  });
});
