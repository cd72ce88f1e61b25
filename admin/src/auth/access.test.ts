import { describe, expect, it } from 'vitest';
import { accessOf, canOpen, canWrite, consoleTenants, hasAccess, homeView, viewsFor, type Me } from './access';

const tenant = (role: 'member' | 'auditor' | 'tenant_admin', name = 'Acme') => ({ id: `t-${name}`, name, slug: name.toLowerCase(), role });
function me(role: 'member' | 'auditor' | 'tenant_admin' | null, platform = false, extra: ReturnType<typeof tenant>[] = []): Me {
  const active = role ? tenant(role) : null;
  return {
    id: 'u1',
    email: 'x@acme.example',
    display_name: 'X',
    credential: 'session',
    is_platform_admin: platform,
    active_tenant: active,
    tenants: [...(active ? [active] : []), ...extra],
  } as Me;
}
const ids = (m: Me) => viewsFor(accessOf(m)).map((v) => v.id);

describe('who gets the console', () => {
  it('refuses a member, and an account with no tenant and no platform role', () => {
    expect(hasAccess(accessOf(me('member')))).toBe(false);
    expect(hasAccess(accessOf(me(null)))).toBe(false);
    expect(viewsFor(accessOf(me('member')))).toEqual([]);
    expect(homeView(accessOf(me('member')))).toBeNull();
  });

  it('admits tenant admins, auditors and platform admins', () => {
    expect(hasAccess(accessOf(me('tenant_admin')))).toBe(true);
    expect(hasAccess(accessOf(me('auditor')))).toBe(true);
    expect(hasAccess(accessOf(me('member', true)))).toBe(true);
    expect(hasAccess(accessOf(me(null, true)))).toBe(true);
  });
});

describe('views and write rights', () => {
  it('gives a tenant admin every tenant view, writable, and no platform view', () => {
    expect(ids(me('tenant_admin'))).toEqual(['overview', 'users', 'audit', 'usage', 'models', 'presets', 'plugins', 'sharing', 'retention', 'siem', 'identity']);
    const a = accessOf(me('tenant_admin'));
    for (const v of viewsFor(a)) expect(canWrite(a, v.id)).toBe(true);
    expect(canOpen(a, 'platform/tenants')).toBe(false);
  });

  it('gives an auditor read-only views (users, retention and SIEM sinks included), without sharing', () => {
    const a = accessOf(me('auditor'));
    expect(ids(me('auditor'))).toEqual(['overview', 'users', 'audit', 'usage', 'models', 'presets', 'plugins', 'retention', 'siem', 'identity']);
    expect(canWrite(a, 'retention')).toBe(false);
    expect(canWrite(a, 'siem')).toBe(false);
    for (const v of viewsFor(a)) expect(canWrite(a, v.id)).toBe(false);
    expect(canOpen(a, 'users')).toBe(true);
    expect(canWrite(a, 'users')).toBe(false);
    expect(canOpen(a, 'sharing')).toBe(false);
  });

  it('gives a platform admin who is a member only the platform views', () => {
    const a = accessOf(me('member', true));
    expect(ids(me('member', true))).toEqual(['platform/tenants', 'platform/plugins', 'platform/audit', 'platform/siem', 'platform/retention', 'platform/health']);
    expect(canWrite(a, 'platform/tenants')).toBe(true);
    expect(canWrite(a, 'platform/retention')).toBe(true);
    expect(canWrite(a, 'platform/siem')).toBe(true);
    expect(canWrite(a, 'retention')).toBe(false);
    expect(canWrite(a, 'users')).toBe(false);
    expect(homeView(a)).toBe('platform/tenants');
  });

  it('gives a platform admin who governs a tenant both sections, tenant first', () => {
    const a = accessOf(me('tenant_admin', true));
    expect(ids(me('tenant_admin', true))).toHaveLength(17);
    expect(homeView(a)).toBe('overview');
  });

  it('offers to switch only to tenants the account governs or audits', () => {
    const m = me('tenant_admin', false, [tenant('member', 'Globex'), tenant('auditor', 'Initech')]);
    expect(consoleTenants(m).map((t) => t.name)).toEqual(['Acme', 'Initech']);
  });

  it('knows no unknown view', () => {
    expect(canOpen(accessOf(me('tenant_admin', true)), 'legal-holds')).toBe(false);
  });
});
