// Single sign-on settings and e-mail domains as the console edits them: the form's draft, the
// request it saves, and the server's refusals in words. The server checks everything again and
// stays the judge.
import { ConfabError, type Schemas } from '../../api/client';
import { describeError } from '../../errors';

export type SsoView = Schemas['SsoSettingsView'];
export type SsoRequest = Schemas['SsoSettingsRequest'];
export type Domain = Schemas['DomainView'];

/** What the form holds: lists as the text typed, the secret as typed (empty keeps the stored one). */
export interface SsoDraft {
  display_name: string;
  issuer: string;
  client_id: string;
  client_secret: string;
  /** Remove the stored secret: the client becomes a public one (PKCE only). */
  remove_secret: boolean;
  scopes: string;
  allowed_domains: string;
  email_claim: string;
  name_claim: string;
  groups_claim: string;
  jit_provisioning: boolean;
  allow_passwords: boolean;
  enabled: boolean;
}

/** The fields the server names in a refusal, with the form's label for each. */
export const SSO_FIELDS = {
  display_name: 'Display name',
  issuer: 'Issuer',
  client_id: 'Client id',
  client_secret: 'Client secret',
  scopes: 'Scopes',
  allowed_domains: 'Allowed domains',
  email_claim: 'E-mail claim',
  name_claim: 'Name claim',
  groups_claim: 'Groups claim',
} as const;
export type SsoField = keyof typeof SSO_FIELDS;

export const DEFAULT_SCOPES = 'openid email profile';

/** The form for the saved settings, or for a first setup with the server's defaults. */
export function draftOf(view: SsoView | null): SsoDraft {
  return {
    display_name: view?.display_name ?? '',
    issuer: view?.issuer ?? '',
    client_id: view?.client_id ?? '',
    client_secret: '',
    remove_secret: false,
    scopes: (view?.scopes ?? DEFAULT_SCOPES.split(' ')).join(' '),
    allowed_domains: (view?.allowed_domains ?? []).join(', '),
    email_claim: view?.email_claim ?? 'email',
    name_claim: view?.name_claim ?? 'name',
    groups_claim: view?.groups_claim ?? '',
    jit_provisioning: view?.jit_provisioning ?? false,
    allow_passwords: view?.allow_passwords ?? true,
    enabled: view?.enabled ?? true,
  };
}

/** Words separated by spaces, commas or line breaks, once each, in the order typed. */
export function parseList(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(/[\s,;]+/)) if (word && !out.includes(word)) out.push(word);
  return out;
}

/** A domain as the server keeps it: lower-case, without a leading `@` or a trailing dot. */
export function normaliseDomain(text: string): string {
  return text.trim().replace(/^@+/, '').replace(/\.+$/, '').toLowerCase();
}

export function parseDomains(text: string): string[] {
  return parseList(text.toLowerCase()).map(normaliseDomain).filter((d, i, all) => d && all.indexOf(d) === i);
}

/**
 * The request that saves the draft. The secret is sent only when typed (omitted, the server keeps
 * the stored one) or removed (`""`); empty claims and scopes take the server's defaults.
 */
export function ssoRequest(d: SsoDraft): SsoRequest {
  const scopes = parseList(d.scopes);
  const secret = d.client_secret.trim();
  const optional = (v: string) => (v.trim() ? v.trim() : null);
  return {
    display_name: d.display_name.trim(),
    issuer: d.issuer.trim(),
    client_id: d.client_id.trim(),
    ...(d.remove_secret ? { client_secret: '' } : secret ? { client_secret: secret } : {}),
    scopes: scopes.length ? scopes : null,
    allowed_domains: parseDomains(d.allowed_domains),
    email_claim: optional(d.email_claim),
    name_claim: optional(d.name_claim),
    groups_claim: optional(d.groups_claim),
    jit_provisioning: d.jit_provisioning,
    allow_passwords: d.allow_passwords,
    enabled: d.enabled,
  };
}

/** Allowed domains the tenant has not verified (just-in-time provisioning needs them all verified). */
export function unverifiedDomains(allowed: string[], claims: Domain[]): string[] {
  const verified = new Set(claims.filter((c) => c.verified).map((c) => c.domain));
  return allowed.filter((d) => !verified.has(d));
}

/** "no TXT record at …" → "No TXT record at ….": a capital for a plain word (not for "x.example"), a full stop. */
export function sentence(text: string): string {
  const t = text.trim();
  const s = /^[a-z][a-z-]*(\s|$)/.test(t) ? t.charAt(0).toUpperCase() + t.slice(1) : t;
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** The reason of a validation error, without the field's name the server puts in front. */
export function reasonOf(e: { field: string | null; message: string }): string {
  const f = e.field;
  return sentence(f && e.message.startsWith(`${f} `) ? e.message.slice(f.length + 1) : e.message);
}

/** A refusal of the settings: the field at fault when the form has it, and why. */
export function ssoRefusal(e: unknown): { field: SsoField | null; reason: string } {
  if (e instanceof ConfabError && e.status === 422 && e.field && Object.hasOwn(SSO_FIELDS, e.field)) {
    return { field: e.field as SsoField, reason: reasonOf(e) };
  }
  return { field: null, reason: describeError(e) };
}

/** Why a domain was not claimed or did not verify: the server's finding ("No TXT record at … yet …") in full. */
export function domainFailure(e: unknown): string {
  if (e instanceof ConfabError && (e.status === 422 || e.status === 409)) return reasonOf(e);
  // The server's own 503 names the lookup that failed; a proxy's says nothing useful.
  if (e instanceof ConfabError && e.status === 503 && e.code !== 'http_503') return sentence(e.message);
  return describeError(e);
}

/** Who verified a domain, in words: "by DNS" (its TXT record) or "by the operator"; nothing while pending. */
export function verifiedByText(d: Domain): string {
  if (!d.verified) return '';
  if (d.verified_by === 'dns') return 'by DNS';
  if (d.verified_by === 'operator') return 'by the operator';
  return d.verified_by ? `by ${d.verified_by}` : '';
}
