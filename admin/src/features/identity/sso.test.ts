import { describe, expect, it } from 'vitest';
import { ConfabError } from '../../api/client';
import { domainFailure, draftOf, normaliseDomain, parseDomains, parseList, ssoRefusal, ssoRequest, unverifiedDomains, verifiedByText, type Domain, type SsoView } from './sso';

const VIEW: SsoView = {
  display_name: 'Initech SSO',
  issuer: 'https://login.initech.example/realms/initech',
  client_id: 'confab-initech',
  has_client_secret: true,
  scopes: ['openid', 'email', 'profile', 'groups'],
  allowed_domains: ['initech.example', 'initech-labs.example'],
  email_claim: 'email',
  name_claim: 'name',
  groups_claim: 'groups',
  jit_provisioning: true,
  allow_passwords: false,
  enabled: true,
  redirect_uri: 'https://chat.initech.example/v1/auth/oidc/callback',
  updated_at: '2026-12-01T10:00:00Z',
};

function domain(name: string, verified: boolean): Domain {
  return {
    domain: name,
    verified,
    verified_at: verified ? '2026-12-01T10:00:00Z' : null,
    verified_by: verified ? 'dns' : null,
    txt_name: `_confab-challenge.${name}`,
    txt_value: 'confab-domain-verification=abc',
    created_at: '2026-12-01T09:00:00Z',
  };
}

const refusal = (status: number, message: string, field: string | null = null, code = 'validation_failed') => new ConfabError({ status, code, message, field });

describe('lists typed as text', () => {
  it('splits on spaces, commas and line breaks, once each, in order', () => {
    expect(parseList('openid email  profile,groups\nemail')).toEqual(['openid', 'email', 'profile', 'groups']);
    expect(parseList('  ')).toEqual([]);
  });

  it('reads domains as the server keeps them', () => {
    expect(parseDomains('Initech.example, @initech-labs.example. initech.example')).toEqual(['initech.example', 'initech-labs.example']);
    expect(parseDomains('')).toEqual([]);
    expect(normaliseDomain('  @Example.COM. ')).toBe('example.com');
  });
});

describe('the settings form', () => {
  it('starts from the saved settings, never with a secret', () => {
    const d = draftOf(VIEW);
    expect(d.client_secret).toBe('');
    expect(d.remove_secret).toBe(false);
    expect(d.scopes).toBe('openid email profile groups');
    expect(d.allowed_domains).toBe('initech.example, initech-labs.example');
    expect(d.groups_claim).toBe('groups');
  });

  it('starts a first setup with the server’s defaults', () => {
    const d = draftOf(null);
    expect(d).toMatchObject({ scopes: 'openid email profile', email_claim: 'email', name_claim: 'name', groups_claim: '', jit_provisioning: false, allow_passwords: true, enabled: true });
  });

  it('saves the settings as they were when nothing is changed, keeping the stored secret', () => {
    const body = ssoRequest(draftOf(VIEW));
    expect('client_secret' in body).toBe(false);
    expect(body).toEqual({
      display_name: 'Initech SSO',
      issuer: 'https://login.initech.example/realms/initech',
      client_id: 'confab-initech',
      scopes: ['openid', 'email', 'profile', 'groups'],
      allowed_domains: ['initech.example', 'initech-labs.example'],
      email_claim: 'email',
      name_claim: 'name',
      groups_claim: 'groups',
      jit_provisioning: true,
      allow_passwords: false,
      enabled: true,
    });
  });

  it('sends a typed secret, and "" to remove the stored one', () => {
    expect(ssoRequest({ ...draftOf(VIEW), client_secret: '  s3cret  ' }).client_secret).toBe('s3cret');
    expect('client_secret' in ssoRequest({ ...draftOf(VIEW), client_secret: '   ' })).toBe(false);
    expect(ssoRequest({ ...draftOf(VIEW), client_secret: 'typed then removed', remove_secret: true }).client_secret).toBe('');
  });

  it('leaves empty claims and scopes to the server’s defaults, and trims the rest', () => {
    const body = ssoRequest({ ...draftOf(VIEW), display_name: ' Okta ', issuer: ' https://x.example ', scopes: ' ', email_claim: '', name_claim: ' ', groups_claim: '  ', allowed_domains: '' });
    expect(body).toMatchObject({ display_name: 'Okta', issuer: 'https://x.example', scopes: null, email_claim: null, name_claim: null, groups_claim: null, allowed_domains: [] });
  });

  it('names the allowed domains the tenant has not verified', () => {
    expect(unverifiedDomains(['initech.example', 'initech-labs.example'], [domain('initech.example', true), domain('initech-labs.example', false)])).toEqual(['initech-labs.example']);
    expect(unverifiedDomains(['initech.example'], [domain('initech.example', true)])).toEqual([]);
  });
});

describe('refusals in words', () => {
  it('puts a validation error on its field, without the field’s name in front', () => {
    const e = refusal(422, 'issuer OpenID discovery at http://127.0.0.1:9/.well-known/openid-configuration failed: connection refused', 'issuer');
    expect(ssoRefusal(e)).toEqual({ field: 'issuer', reason: 'OpenID discovery at http://127.0.0.1:9/.well-known/openid-configuration failed: connection refused.' });
    expect(ssoRefusal(refusal(422, 'allowed_domains just-in-time provisioning needs domains the tenant has verified', 'allowed_domains'))).toEqual({
      field: 'allowed_domains',
      reason: 'Just-in-time provisioning needs domains the tenant has verified.',
    });
  });

  it('keeps other refusals for the form as a whole', () => {
    const conflict = refusal(409, 'storing a client secret needs a master key (secrets.master_key); ask the operator', null, 'conflict');
    expect(ssoRefusal(conflict)).toEqual({ field: null, reason: 'Storing a client secret needs a master key (secrets.master_key); ask the operator.' });
    expect(ssoRefusal(refusal(422, 'unknown_field is odd', 'unknown_field')).field).toBeNull();
    expect(ssoRefusal(refusal(422, 'constructor is odd', 'constructor')).field).toBeNull();
  });

  it('says what the DNS check found', () => {
    const missing = refusal(422, 'domain no TXT record at _confab-challenge.initech-labs.example yet (DNS changes can take a while to appear)', 'domain');
    expect(domainFailure(missing)).toBe('No TXT record at _confab-challenge.initech-labs.example yet (DNS changes can take a while to appear).');
    expect(domainFailure(refusal(503, 'the DNS lookup of _confab-challenge.x.example failed; try again later', null, 'unavailable'))).toBe('The DNS lookup of _confab-challenge.x.example failed; try again later.');
    expect(domainFailure(refusal(409, 'x.example is already verified by another tenant', null, 'conflict'))).toBe('x.example is already verified by another tenant.');
  });

  it('says who verified a domain', () => {
    expect(verifiedByText(domain('a.example', true))).toBe('by DNS');
    expect(verifiedByText({ ...domain('a.example', true), verified_by: 'operator' })).toBe('by the operator');
    expect(verifiedByText(domain('a.example', false))).toBe('');
  });
});
