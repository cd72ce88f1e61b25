import { describe, expect, it } from 'vitest';
import { parseRoute } from './router';

describe('routes', () => {
  it('parses client routes', () => {
    expect(parseRoute('/c/abc')).toEqual({ name: 'chat', id: 'abc' });
    expect(parseRoute('/s/tok%2F')).toEqual({ name: 'share', token: 'tok/' });
    expect(parseRoute('/shared/x')).toEqual({ name: 'shared', id: 'x' });
    expect(parseRoute('/nope/1/2')).toEqual({ name: 'unknown' });
  });
});
