import { describe, expect, it } from 'vitest';
import { apiBaseUrl } from './base';

describe('apiBaseUrl', () => {
  it.each([
    ['http://h:8081/', 'http://h:8081'],
    ['http://h:8081/#/users', 'http://h:8081'],
    ['http://h:8081/#/audit?action=auth.login&since=2026-01-01', 'http://h:8081'],
    ['http://h:8081/index.html#/users', 'http://h:8081'],
    ['http://h:8080/admin/', 'http://h:8080/admin'],
    ['http://h:8080/admin/#/platform/tenants', 'http://h:8080/admin'],
    ['http://h:8080/admin/index.html?x=1#/users', 'http://h:8080/admin'],
    ['https://confab.example.com/tools/admin/#/', 'https://confab.example.com/tools/admin'],
  ])('%s → %s', (href, base) => {
    expect(apiBaseUrl(href)).toBe(base);
  });

  it('never ends with a slash, so `${base}/v1/…` is one slash', () => {
    expect(`${apiBaseUrl('http://h:8080/admin/#/x')}/v1/me`).toBe('http://h:8080/admin/v1/me');
    expect(`${apiBaseUrl('http://h:8081/')}/v1/me`).toBe('http://h:8081/v1/me');
  });
});
