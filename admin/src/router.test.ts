import { describe, expect, it } from 'vitest';
import { parseHash, routeHash } from './router';

describe('hash routes', () => {
  it('reads the path and the query', () => {
    const r = parseHash('#/audit?action=auth.login&target_type=user');
    expect(r.path).toBe('audit');
    expect(r.query.get('action')).toBe('auth.login');
    expect(r.query.get('target_type')).toBe('user');
    expect(parseHash('').path).toBe('');
    expect(parseHash('#/platform/tenants/').path).toBe('platform/tenants');
  });

  it('writes only the filters that are set', () => {
    expect(routeHash('users', { q: 'ann', status: '', role: undefined })).toBe('#/users?q=ann');
    expect(routeHash('overview')).toBe('#/overview');
    expect(parseHash(routeHash('audit', { action: 'a b&c' })).query.get('action')).toBe('a b&c');
  });
});
