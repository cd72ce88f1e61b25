import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serve, withQueries } from '../../test-utils';
import { Login } from './components/Login';
import { ssoErrorMessage } from './sso';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  history.replaceState(null, '', '/');
});

const button = { tenant_slug: 'acme', display_name: 'Acme SSO', passwords_allowed: true, start_url: '/v1/auth/oidc/acme/start' };

function renderLogin() {
  const { wrapper: Wrapper } = withQueries();
  render(
    <Wrapper>
      <Login themeToggle={null} />
    </Wrapper>,
  );
}

describe('single sign-on on the sign-in page', () => {
  it('offers the button for the typed address’s domain, sending only the domain', async () => {
    const asked = serve(({ path, url }) =>
      path === '/v1/auth/oidc/discover' ? [200, { sso: url.searchParams.get('email')?.endsWith('@acme.example') ? button : null }] : undefined,
    );
    renderLogin();
    fireEvent.change(screen.getByLabelText('E-mail'), { target: { value: 'Ann.Lee@Acme.example' } });
    const link = await screen.findByRole('link', { name: 'Sign in with Acme SSO' });
    expect(link.getAttribute('href')).toBe('/v1/auth/oidc/acme/start?login_hint=Ann.Lee%40Acme.example');
    expect(asked.filter((a) => a.startsWith('GET /v1/auth/oidc/discover'))).toEqual(['GET /v1/auth/oidc/discover?email=user%40acme.example']);
    // The password form stays for accounts that have one.
    expect(screen.getByRole('button', { name: 'Sign in with a password' })).toBeTruthy();
  });

  it('shows the tenant’s button from ?tenant= and hides passwords when the tenant allows none', async () => {
    history.replaceState(null, '', '/?tenant=acme');
    serve(({ path, url }) =>
      path === '/v1/auth/oidc/discover' && url.searchParams.get('tenant') === 'acme' ? [200, { sso: { ...button, passwords_allowed: false } }] : undefined,
    );
    renderLogin();
    await screen.findByRole('link', { name: 'Sign in with Acme SSO' });
    expect(screen.queryByLabelText('Password')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Administrator sign-in with a password' }));
    expect(screen.getByLabelText('Password')).toBeTruthy();
  });

  it('explains a failed sign-in once, and forgets it', async () => {
    history.replaceState(null, '', '/?sso_error=no_account');
    serve(() => undefined);
    renderLogin();
    expect((await screen.findByRole('alert')).textContent).toBe(ssoErrorMessage('no_account'));
    expect(location.search).toBe('');
  });

  it('has a message for every code and a generic one for the rest', () => {
    for (const code of ['expired', 'denied', 'invalid_token', 'email_not_allowed', 'no_account', 'use_password', 'unavailable', 'not_configured', 'error']) {
      expect(ssoErrorMessage(code)).not.toBe('');
    }
    expect(ssoErrorMessage('<script>')).toBe(ssoErrorMessage('error'));
  });
});
