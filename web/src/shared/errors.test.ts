import { describe, expect, it } from 'vitest';
import { ConfabError, ConfabNetworkError } from '../api/client';
import { describeError } from './errors';

describe('friendly errors', () => {
  const apiError = (status: number, code: string, message: string, more: Partial<ConstructorParameters<typeof ConfabError>[0]> = {}) =>
    new ConfabError({ status, code, message, ...more });
  it('explains a spent quota with what is left and when it resets', () => {
    const e = apiError(429, 'quota_exceeded', 'quota', {
      retryAfter: 3600,
      quota: { scope: 'user', period: 'day', limit: 1000, used: 990, remaining: 10, requested: 200, resets_at: '2030-01-02T00:00:00Z' },
    });
    expect(describeError(e)).toMatch(/used 990 of 1,000 tokens today; 10 left/);
  });
  it('says when to retry a rate limit, and never shows a bare status', () => {
    expect(describeError(apiError(429, 'rate_limited', 'slow down', { retryAfter: 12 }))).toBe('Too many requests right now. Please try again in 12 seconds.');
    expect(describeError(apiError(503, 'unavailable', 'x'))).toMatch(/temporarily unavailable/);
    expect(describeError(apiError(404, 'not_found', 'x'))).toMatch(/not found/);
    expect(describeError(apiError(403, 'forbidden', 'public links are turned off'))).toBe('You are not allowed to do this: public links are turned off.');
    expect(describeError(apiError(401, 'unauthenticated', 'x'))).toMatch(/sign in again/);
    expect(describeError(new ConfabNetworkError())).toMatch(/could not be reached/);
    expect(describeError(apiError(500, 'internal', 'x', { requestId: 'req-1' }))).toMatch(/req-1/);
  });
});
