// @confab/client against a real confab (confab-sdk-e2e-server): sign-in, streams, reattach,
// idempotency, quota and error details. Run with `npm run e2e`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfabError, createConfabClient, isAbortError, newIdempotencyKey, type StreamEvent } from '../../src/index.js';
import { client, deltaText, expected, faultyProxy, newConversation, seed } from './helpers.js';

describe('signing in', () => {
  it('with an API token, the client is the token owner', async () => {
    const c = client(seed.member);
    const me = await c.unwrap(c.api.GET('/v1/me'));
    assert.equal(me.email, seed.member.email);
    assert.equal(me.credential, 'api_token');
  });

  it('with a session cookie, changes need the CSRF token', async () => {
    // A browser keeps the cookie; here a fetch that does the same.
    let cookie = '';
    const cookieFetch = async (request: Request) => {
      if (cookie) request.headers.set('Cookie', cookie);
      const response = await fetch(request);
      const set = response.headers.get('Set-Cookie');
      if (set) cookie = set.split(';')[0] ?? '';
      return response;
    };
    const c = createConfabClient({ baseUrl: seed.base, fetch: cookieFetch, credentials: 'include' });
    const me = await c.unwrap(c.api.POST('/v1/auth/login', { body: { email: seed.member.email, password: seed.member.password } }));
    assert.ok(me.csrf_token, 'the login answer carries the CSRF token');
    await assert.rejects(c.unwrap(c.api.POST('/v1/conversations', { body: { title: 'no csrf' } })), { status: 403, code: 'csrf_failed' });
    c.setCsrfToken(me.csrf_token);
    const conversation = await c.unwrap(c.api.POST('/v1/conversations', { body: { title: 'with csrf' } }));
    assert.equal(conversation.title, 'with csrf');
  });
});

describe('streaming', () => {
  it('creates a conversation and streams an answer from message.created to message.completed', async () => {
    const c = client();
    const id = await newConversation(c);
    const stream = c.send(id, { content: 'Hello [upstream tokens=12]' });
    const events: StreamEvent[] = [];
    for await (const e of stream) events.push(e);
    const first = events[0];
    assert.equal(first?.type, 'message.created');
    assert.equal(first.conversation_id, id);
    const last = events.at(-1);
    assert.equal(last?.type, 'message.completed');
    assert.equal(last.message.status, 'completed');
    assert.equal(last.message.content, expected(12));
    assert.equal(deltaText(events, 0), expected(12));
    assert.equal(stream.messageId, first.assistant_message_id);
    assert.equal(stream.reconnects, 0);

    const detail = await c.unwrap(c.api.GET('/v1/conversations/{id}', { params: { path: { id } } }));
    assert.deepEqual(
      detail.messages.map((m) => [m.role, m.content]),
      [
        ['user', 'Hello [upstream tokens=12]'],
        ['assistant', expected(12)],
      ],
    );
  });

  it('reattaches mid-stream with Last-Event-ID: no gap, no duplicate', async () => {
    const c = client();
    const id = await newConversation(c);
    const controller = new AbortController();
    const stream = c.send(id, { content: 'Long [upstream tokens=40 delay_ms=50]' }, { signal: controller.signal });
    const before: StreamEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of stream) {
          before.push(e);
          if (before.filter((x) => x.type === 'message.delta').length === 3) controller.abort();
        }
      })(),
      (e: unknown) => isAbortError(e),
    );
    assert.ok(stream.messageId);
    assert.ok(stream.lastEventId && Number(stream.lastEventId) > 0);
    const head = deltaText(before, 0);
    assert.equal(Number(stream.lastEventId), Buffer.byteLength(head));

    const rest: StreamEvent[] = [];
    for await (const e of c.events(stream.messageId, { lastEventId: stream.lastEventId })) rest.push(e);
    assert.notEqual(rest[0]?.type, 'message.created', 'resumes after the last event, not from the start');
    const tail = deltaText(rest, Number(stream.lastEventId));
    const final = rest.at(-1);
    assert.equal(final?.type, 'message.completed');
    assert.equal(head + tail, final.message.content);
    assert.equal(final.message.content, expected(40));
    assert.ok(tail.length > 0, 'the answer was still being written when the reader left');
  });

  it('reattaches by itself when the connection drops before the final event', async () => {
    const proxy = await faultyProxy();
    try {
      const c = createConfabClient({ baseUrl: proxy.url, token: seed.member.token, stream: { reconnect: { baseDelayMs: 50 } } });
      const id = await newConversation(c);
      const reconnects: number[] = [];
      const stream = c.send(id, { content: 'Drop [upstream tokens=40 delay_ms=40]' }, { onReconnect: (n) => reconnects.push(n) });
      const events: StreamEvent[] = [];
      for await (const e of stream) {
        events.push(e);
        if (events.filter((x) => x.type === 'message.delta').length === 5 && stream.reconnects === 0) proxy.cut();
      }
      assert.equal(stream.reconnects, 1);
      assert.deepEqual(reconnects, [1, 0]);
      const final = events.at(-1);
      assert.equal(final?.type, 'message.completed');
      assert.equal(deltaText(events, 0), final.message.content);
      assert.equal(final.message.content, expected(40));
      const attach = proxy.seen.find((s) => s.method === 'GET' && s.path.endsWith('/events'));
      assert.ok(attach, 'reattached with GET /v1/messages/{id}/events');
      assert.equal(attach.path, `/v1/messages/${stream.messageId}/events`);
      assert.ok(Number(attach.lastEventId) > 0, `with Last-Event-ID (${attach.lastEventId})`);
    } finally {
      await proxy.close();
    }
  });
});

describe('idempotency', () => {
  it('the same key returns the same messages; with another body it is refused', async () => {
    const c = client();
    const id = await newConversation(c);
    const key = newIdempotencyKey();
    const send = (content: string) =>
      c.unwrap(c.api.POST('/v1/conversations/{id}/messages', { params: { path: { id }, header: { 'Idempotency-Key': key } }, body: { content } }));
    const first = await send('Once [upstream tokens=3]');
    const again = await send('Once [upstream tokens=3]');
    assert.ok(typeof first === 'object' && 'assistant_message' in first && typeof again === 'object' && 'assistant_message' in again);
    assert.equal(first.replayed, false);
    assert.equal(again.replayed, true);
    assert.equal(again.assistant_message.id, first.assistant_message.id);
    assert.equal(again.user_message?.id, first.user_message?.id);
    await assert.rejects(send('Something else'), { status: 422, code: 'idempotency_key_reused', field: 'Idempotency-Key' });

    // Streaming with the same key attaches to the same answer.
    const replay = c.send(id, { content: 'Once [upstream tokens=3]' }, { idempotencyKey: key });
    const message = await replay.finalMessage();
    assert.equal(replay.messageId, first.assistant_message.id);
    assert.equal(message.content, expected(3));
  });

  it('a call whose answer is lost is retried with the same key: one turn, not two', async () => {
    const proxy = await faultyProxy();
    try {
      const c = createConfabClient({ baseUrl: proxy.url, token: seed.member.token, retry: { baseDelayMs: 100 } });
      const id = await newConversation(c);
      proxy.loseAnswer((req) => req.method === 'POST' && (req.url ?? '').endsWith('/messages'));
      const turn = await c.unwrap(
        c.api.POST('/v1/conversations/{id}/messages', { params: { path: { id } }, body: { content: 'Exactly once [upstream tokens=2]' } }),
      );
      const posts = proxy.seen.filter((s) => s.method === 'POST' && s.path.endsWith('/messages'));
      assert.equal(posts.length, 2, 'the first answer was lost, the client retried');
      assert.ok(posts[0]?.idempotencyKey);
      assert.equal(posts[1]?.idempotencyKey, posts[0]?.idempotencyKey);
      assert.ok(typeof turn === 'object' && 'replayed' in turn && turn.replayed, 'the retry was answered as a replay');
      const detail = await c.unwrap(c.api.GET('/v1/conversations/{id}', { params: { path: { id } } }));
      assert.equal(detail.messages.filter((m) => m.role === 'user').length, 1);
    } finally {
      await proxy.close();
    }
  });

  it('a stream whose call is lost before message.created repeats it with the same key', async () => {
    const proxy = await faultyProxy();
    try {
      const c = createConfabClient({ baseUrl: proxy.url, token: seed.member.token, retry: false, stream: { reconnect: { baseDelayMs: 50 } } });
      const id = await newConversation(c);
      proxy.loseAnswer((req) => req.method === 'POST' && (req.url ?? '').endsWith('/messages'));
      const stream = c.send(id, { content: 'Streamed once [upstream tokens=5]' });
      const message = await stream.finalMessage();
      assert.equal(message.content, expected(5));
      const posts = proxy.seen.filter((s) => s.method === 'POST' && s.path.endsWith('/messages'));
      assert.deepEqual(
        posts.map((p) => p.idempotencyKey),
        [stream.idempotencyKey, stream.idempotencyKey],
      );
      const detail = await c.unwrap(c.api.GET('/v1/conversations/{id}', { params: { path: { id } } }));
      assert.equal(detail.messages.filter((m) => m.role === 'user').length, 1);
    } finally {
      await proxy.close();
    }
  });
});

describe('errors', () => {
  it('a spent quota is a 429 quota_exceeded with the budget, not retried past Retry-After', async () => {
    let calls = 0;
    const c = client(seed.quota_user, { fetch: (r) => (calls++, fetch(r)) });
    const id = await newConversation(c);
    calls = 0;
    const e = await c
      .unwrap(c.api.POST('/v1/conversations/{id}/messages', { params: { path: { id } }, body: { content: 'Anything' } }))
      .catch((x: unknown) => x);
    assert.ok(e instanceof ConfabError, String(e));
    assert.equal(e.status, 429);
    assert.equal(e.code, 'quota_exceeded');
    assert.ok(e.quota);
    assert.equal(e.quota.scope, 'user');
    assert.equal(e.quota.limit, 0);
    assert.equal(e.quota.remaining, 0);
    assert.ok(e.quota.requested > 0);
    assert.ok(Date.parse(e.quota.resets_at) > Date.now());
    assert.ok(e.retryAfter !== null && e.retryAfter > 0);
    assert.match(e.requestId ?? '', /\S/);
    // The budget resets in more than the 30 s the client waits at most: no retry (nearer to
    // midnight UTC it may retry twice).
    assert.equal(calls, e.retryAfter > 30 ? 1 : 3);

    // The same refusal ends a stream at once.
    calls = 0;
    await assert.rejects(c.send(id, { content: 'Anything' }).finalMessage(), { name: 'ConfabError', status: 429, code: 'quota_exceeded' });
    assert.equal(calls, e.retryAfter > 30 ? 1 : 3);
  });

  it('an unknown object is a 404 not_found with a request id', async () => {
    const c = client();
    const e = await c
      .unwrap(c.api.GET('/v1/conversations/{id}', { params: { path: { id: crypto.randomUUID() } } }))
      .catch((x: unknown) => x);
    assert.ok(e instanceof ConfabError);
    assert.equal(e.status, 404);
    assert.equal(e.code, 'not_found');
    assert.match(e.message, /not found/);
    assert.match(e.requestId ?? '', /^[0-9a-f]{32}$/);
    await assert.rejects(c.events(crypto.randomUUID()).finalMessage(), { status: 404, code: 'not_found' });
  });

  it("another tenant's conversation is not found either", async () => {
    const member = client();
    const id = await newConversation(member, 'private');
    const stranger = client(seed.other_tenant);
    await assert.rejects(stranger.unwrap(stranger.api.GET('/v1/conversations/{id}', { params: { path: { id } } })), {
      status: 404,
      code: 'not_found',
    });
  });

  it('a bad token is a 401 that reaches onUnauthorized', async () => {
    const seen: string[] = [];
    const c = createConfabClient({ baseUrl: seed.base, token: 'cfb_not_a_token', onUnauthorized: (e) => seen.push(e.code) });
    await assert.rejects(c.unwrap(c.api.GET('/v1/me')), { status: 401, code: 'unauthenticated' });
    assert.deepEqual(seen, ['unauthenticated']);
  });
});
