// Single sign-on on the sign-in page: which "Sign in with …" button to show (by the tenant in the
// URL, or by the typed address's domain: the server looks up no account), and what a failed sign-in
// (`/?sso_error=<code>`, set by the server's callback) means for the person in front of it.
import { $api } from '../../api/query';
import type { components } from '@confab/client';

export type SsoButton = components['schemas']['SsoButtonView'];

const MESSAGES: Record<string, string> = {
  expired: 'The sign-in took too long or was already used. Please try again.',
  denied: 'Your organization’s sign-in service did not let you in (or the sign-in was cancelled).',
  invalid_token: 'Your organization’s sign-in service answered in a way Confab cannot trust. Please try again or ask your administrator.',
  email_not_allowed: 'Your account’s e-mail address may not sign in to this organization.',
  no_account: 'There is no active Confab account for you in this organization. Ask your administrator.',
  use_password: 'This account signs in with its password.',
  unavailable: 'Your organization’s sign-in service could not be reached. Please try again later.',
  not_configured: 'Single sign-on is not set up for this organization.',
  error: 'Signing in failed. Please try again.',
};

/** The message for a callback's error code (unknown codes get the generic one). */
export function ssoErrorMessage(code: string): string {
  return MESSAGES[code] ?? MESSAGES.error!;
}

/** Reads `sso_error` and `tenant` from the address and removes `sso_error` (it is shown once). */
export function takeSsoParams(): { ssoError: string | null; tenant: string | null } {
  const params = new URLSearchParams(location.search);
  const ssoError = params.get('sso_error');
  const tenant = params.get('tenant');
  if (ssoError) {
    params.delete('sso_error');
    const rest = params.toString();
    history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}`);
  }
  return { ssoError, tenant };
}

const looksLikeAddress = (s: string) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s);

/** The button for the tenant in the URL, else for the typed address's domain; null when none. */
export function useSsoButton(tenant: string | null, email: string): SsoButton | null {
  const byTenant = $api.useQuery('get', '/v1/auth/oidc/discover', { params: { query: { tenant: tenant ?? '' } } }, { enabled: tenant !== null, staleTime: 60_000 });
  const domain = looksLikeAddress(email) ? email.split('@')[1]!.toLowerCase() : '';
  // Only the domain is sent: the server needs no more to pick the button.
  const byEmail = $api.useQuery('get', '/v1/auth/oidc/discover', { params: { query: { email: `user@${domain}` } } }, {
    enabled: tenant === null && domain !== '',
    staleTime: 60_000,
  });
  if (tenant !== null) return byTenant.data?.sso ?? null;
  return domain ? (byEmail.data?.sso ?? null) : null;
}
