// The client's request handling against scripted responses: headers, idempotency keys, retries
// and errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfabError, ConfabNetworkError, createConfabClient, parseRetryAfter } from '../../src/index.js';

interface Seen {
  method: string;
  url: string;
  headers: Headers;
  body: string;
  at: number;
}

function scripted(responses: (() => Response | Promise<Response>)[]) {
  const calls: Seen[] = [];
  const impl = async (request: Request) => {
    calls.push({ method: request.method, url: request.url, headers: request.headers, body: await request.text(), at: Date.now() });
    const next = responses.shift();
    if (!next) throw new TypeError('no more responses');
    return next();
  };
  return { impl, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const turn = { conversation_id: 'c', user_message: {}, assistant_message: { id: 'a' } };
const failure = (code: string) => ({ error: { code, message: code, request_id: `req-${code}` } });

describe('createConfabClient', () => {
  it('sends the token as a bearer, and in a session the CSRF token on changes only', async () => {
    const { impl, calls } = scripted([() => json(200, {}), () => json(201, {}), () => json(200, {}), () => json(201, {})]);
    const tokenClient = createConfabClient({ baseUrl: 'http://x', token: 'cfb_secret', fetch: impl });
    await tokenClient.unwrap(tokenClient.api.GET('/v1/me'));
    await tokenClient.unwrap(tokenClient.api.POST('/v1/conversations', { body: {} }));
    assert.equal(calls[0]?.headers.get('Authorization'), 'Bearer cfb_secret');
    assert.equal(calls[1]?.headers.get('Authorization'), 'Bearer cfb_secret');

    const session = createConfabClient({ baseUrl: 'http://x', fetch: impl, credentials: 'same-origin' });
    session.setCsrfToken('csrf-1');
    await session.unwrap(session.api.GET('/v1/me'));
    await session.unwrap(session.api.POST('/v1/conversations', { body: {} }));
    assert.equal(calls[2]?.headers.get('Authorization'), null);
    assert.equal(calls[2]?.headers.get('X-CSRF-Token'), null);
    assert.equal(calls[3]?.headers.get('X-CSRF-Token'), 'csrf-1');
  });

  it('gives every turn call its own Idempotency-Key, and no key to other calls', async () => {
    const { impl, calls } = scripted([() => json(202, turn), () => json(202, turn), () => json(201, {})]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl });
    const send = () => client.unwrap(client.api.POST('/v1/conversations/{id}/messages', { params: { path: { id: 'c' } }, body: { content: 'hi' } }));
    await send();
    await send();
    await client.unwrap(client.api.POST('/v1/conversations', { body: {} }));
    const [a, b] = [calls[0]?.headers.get('Idempotency-Key'), calls[1]?.headers.get('Idempotency-Key')];
    assert.match(a ?? '', /^[0-9a-f-]{36}$/);
    assert.match(b ?? '', /^[0-9a-f-]{36}$/);
    assert.notEqual(a, b);
    assert.equal(calls[2]?.headers.get('Idempotency-Key'), null);
  });

  it('retries a 503 after its Retry-After with the same key and body', async () => {
    const { impl, calls } = scripted([() => json(503, failure('unavailable'), { 'Retry-After': '1' }), () => json(202, turn)]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl });
    const data = await client.unwrap(client.api.POST('/v1/conversations/{id}/messages', { params: { path: { id: 'c' } }, body: { content: 'hi' } }));
    assert.ok(typeof data === 'object' && 'assistant_message' in data && data.assistant_message.id === 'a');
    assert.equal(calls.length, 2);
    assert.ok(calls[1]!.at - calls[0]!.at >= 950, `waited ${calls[1]!.at - calls[0]!.at} ms`);
    assert.equal(calls[1]?.headers.get('Idempotency-Key'), calls[0]?.headers.get('Idempotency-Key'));
    assert.equal(calls[1]?.body, '{"content":"hi"}');
  });

  it('retries a lost connection of a turn call with the same key, but not of a plain POST', async () => {
    const { impl, calls } = scripted([
      () => {
        throw new TypeError('fetch failed');
      },
      () => json(202, turn),
      () => {
        throw new TypeError('fetch failed');
      },
    ]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl, retry: { baseDelayMs: 1 } });
    await client.unwrap(client.api.POST('/v1/conversations/{id}/messages', { params: { path: { id: 'c' } }, body: { content: 'hi' } }));
    assert.equal(calls.length, 2);
    assert.equal(calls[1]?.headers.get('Idempotency-Key'), calls[0]?.headers.get('Idempotency-Key'));
    await assert.rejects(client.unwrap(client.api.POST('/v1/conversations', { body: {} })), ConfabNetworkError);
    assert.equal(calls.length, 3);
  });

  it('does not wait for a Retry-After beyond maxDelayMs, and stops after `retries`', async () => {
    const quota = {
      error: {
        code: 'quota_exceeded',
        message: 'over budget',
        request_id: 'req-q',
        quota: { scope: 'user', period: 'day', limit: 0, used: 0, remaining: 0, requested: 10, resets_at: '2030-01-01T00:00:00Z' },
      },
    };
    const { impl, calls } = scripted([
      () => json(429, quota, { 'Retry-After': '3600' }),
      () => json(429, failure('rate_limited'), { 'Retry-After': '0' }),
      () => json(429, failure('rate_limited'), { 'Retry-After': '0' }),
      () => json(429, failure('rate_limited'), { 'Retry-After': '0' }),
    ]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl, retry: { retries: 2 } });
    const e = await client.unwrap(client.api.GET('/v1/me')).catch((x: unknown) => x);
    assert.ok(e instanceof ConfabError);
    assert.equal(e.status, 429);
    assert.equal(e.code, 'quota_exceeded');
    assert.equal(e.retryAfter, 3600);
    assert.equal(e.requestId, 'req-q');
    assert.equal(e.quota?.limit, 0);
    assert.equal(calls.length, 1);

    await assert.rejects(client.unwrap(client.api.GET('/v1/me')), { status: 429, code: 'rate_limited' });
    assert.equal(calls.length, 4);
  });

  it('makes a ConfabError of an error body, and of an answer without one', async () => {
    const { impl } = scripted([
      () => json(422, { error: { code: 'validation_failed', message: 'title too long', request_id: 'r', field: 'title' } }),
      () => new Response('bad gateway', { status: 502, statusText: 'Bad Gateway' }),
      () => json(401, failure('unauthenticated')),
      () => json(401, failure('unauthenticated')),
    ]);
    const unauthorized: string[] = [];
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl, onUnauthorized: (e) => unauthorized.push(e.code) });
    await assert.rejects(client.unwrap(client.api.POST('/v1/conversations', { body: { title: 'x' } })), {
      status: 422,
      code: 'validation_failed',
      field: 'title',
      message: 'title too long',
    });
    await assert.rejects(client.unwrap(client.api.GET('/v1/me')), { status: 502, code: 'http_502', requestId: null, message: 'Bad Gateway' });
    await assert.rejects(client.unwrap(client.api.GET('/v1/me'), { quiet401: true }), { status: 401 });
    assert.deepEqual(unauthorized, []);
    await assert.rejects(client.unwrap(client.api.GET('/v1/me')), { status: 401 });
    assert.deepEqual(unauthorized, ['unauthenticated']);
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('7'), 7000);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2031 00:00:10 GMT', Date.parse('2031-01-01T00:00:00Z')), 10_000);
    assert.equal(parseRetryAfter('soon'), null);
    assert.equal(parseRetryAfter(null), null);
  });
});
