import { describe, expect, it } from 'vitest';
import { parseRoute, privatePath } from './router';

describe('routes', () => {
  it('parses client routes', () => {
    expect(parseRoute('/c/abc')).toEqual({ name: 'chat', id: 'abc' });
    expect(parseRoute('/s/tok%2F')).toEqual({ name: 'share', token: 'tok/' });
    expect(parseRoute('/shared/x')).toEqual({ name: 'shared', id: 'x' });
    expect(parseRoute('/nope/1/2')).toEqual({ name: 'unknown' });
  });

  it('finds a private conversation in the fragment of the home page only', () => {
    expect(parseRoute('/', '#/private/p-1')).toEqual({ name: 'private', id: 'p-1' });
    expect(parseRoute('/', '#/private')).toEqual({ name: 'private', id: null });
    expect(parseRoute('/', '#other')).toEqual({ name: 'home' });
    expect(parseRoute('/c/abc', '#/private/p-1')).toEqual({ name: 'chat', id: 'abc' });
    expect(privatePath('a b')).toBe('/#/private/a%20b');
    expect(parseRoute('/', privatePath('a b').slice(1))).toEqual({ name: 'private', id: 'a b' });
  });
});
