// The SSE parser and the stream's reattach logic, against scripted responses (the e2e tests run
// the same against the real server).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser, byteLength, createConfabClient, type SseMessage, type StreamEvent } from '../../src/index.js';
import { json, scriptedFetch, streamOf } from './scripted.js';

const ID = '00000000-0000-4000-8000-000000000001';
const delta = (offset: number, content: string) =>
  `event: message.delta\nid: ${offset}\ndata: ${JSON.stringify({ type: 'message.delta', message_id: ID, content, offset })}\n\n`;
const created = () =>
  `event: message.created\nid: 0\ndata: ${JSON.stringify({ type: 'message.created', conversation_id: 'c', user_message_id: 'u', assistant_message_id: ID, model: 'm' })}\n\n`;
const completed = (content: string) =>
  `event: message.completed\nid: ${byteLength(content) + 1}\ndata: ${JSON.stringify({ type: 'message.completed', message: { id: ID, content, status: 'completed' } })}\n\n`;

describe('SseParser', () => {
  const wire = `: heartbeat\n\n${delta(5, 'héllo')}${delta(11, ' wörld')}${completed('héllo wörld')}`;
  const bytes = new TextEncoder().encode(wire);

  it('gives the same events whatever the chunk boundaries, even inside a UTF-8 character', () => {
    const whole = new SseParser().push(bytes);
    assert.deepEqual(
      whole.map((m) => m.event),
      ['message.delta', 'message.delta', 'message.completed'],
    );
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new SseParser();
      const got = [...p.push(bytes.slice(0, cut)), ...p.push(bytes.slice(cut))];
      assert.deepEqual(got, whole, `cut at ${cut}`);
    }
    const p = new SseParser();
    const oneByOne = Array.from(bytes).flatMap((b) => p.push(new Uint8Array([b])));
    assert.deepEqual(oneByOne, whole);
  });

  it('counts heartbeat comments and dispatches nothing for them', () => {
    const p = new SseParser();
    assert.deepEqual(p.push(': ping\n\n: ping\n\n'), []);
    assert.equal(p.comments, 2);
  });

  it('handles CRLF and CR line endings split across chunks, and multi-line data', () => {
    const p = new SseParser();
    const out: SseMessage[] = [...p.push('id: 7\r'), ...p.push('\ndata: a\r\ndata: b\r'), ...p.push('\r')];
    assert.equal(out.length, 0); // that last CR may still be the start of a CRLF
    out.push(...p.push('\n'));
    assert.deepEqual(out, [{ event: 'message', data: 'a\nb', id: '7' }]);
    assert.equal(p.lastEventId, '7');
  });

  it('ignores an id with NUL and defaults the event name to message', () => {
    const p = new SseParser();
    assert.deepEqual(p.push('id: 1\0\ndata: x\n\n'), [{ event: 'message', data: 'x', id: null }]);
    assert.equal(p.lastEventId, null);
  });
});

const fast = { reconnect: { baseDelayMs: 1 } };

describe('MessageStream', () => {
  it('reattaches after a drop with Last-Event-ID and ends at the final event', async () => {
    const { impl, calls } = scriptedFetch([
      () => streamOf([created(), delta(5, 'hello')], 'error'),
      () => streamOf([': heartbeat\n\n', delta(11, ' world'), completed('hello world')]),
    ]);
    const client = createConfabClient({ baseUrl: 'http://confab.test/', token: 't', fetch: impl, stream: fast });
    const reconnects: number[] = [];
    const stream = client.send('c1', { content: 'hi' }, { onReconnect: (n) => reconnects.push(n) });
    const events: StreamEvent[] = [];
    for await (const e of stream) events.push(e);
    assert.deepEqual(
      events.map((e) => e.type),
      ['message.created', 'message.delta', 'message.delta', 'message.completed'],
    );
    assert.equal(calls[0]?.method, 'POST');
    assert.equal(calls[0]?.url, 'http://confab.test/v1/conversations/c1/messages');
    assert.equal(calls[0]?.accept, 'text/event-stream');
    assert.equal(calls[0]?.idempotencyKey, stream.idempotencyKey);
    assert.equal(calls[1]?.method, 'GET');
    assert.equal(calls[1]?.url, `http://confab.test/v1/messages/${ID}/events`);
    assert.equal(calls[1]?.lastEventId, '5');
    assert.deepEqual(reconnects, [1, 0]);
    assert.equal(stream.final?.message.content, 'hello world');
  });

  it('repeats the turn call with the same key when the drop came before message.created', async () => {
    const { impl, calls } = scriptedFetch([
      () => streamOf([': heartbeat\n\n'], 'error'),
      () => json(409, { error: { code: 'conflict', message: 'the request is being processed; retry', request_id: 'r' } }),
      () => streamOf([created(), delta(2, 'ok'), completed('ok')]),
    ]);
    const client = createConfabClient({ baseUrl: 'http://confab.test', fetch: impl, stream: fast });
    const message = await client.send('c1', { content: 'hi' }, { idempotencyKey: 'key-1' }).finalMessage();
    assert.equal(message.content, 'ok');
    assert.deepEqual(
      calls.map((c) => [c.method, c.idempotencyKey]),
      [
        ['POST', 'key-1'],
        ['POST', 'key-1'],
        ['POST', 'key-1'],
      ],
    );
  });

  it('retries a 500 but gives up on a 404 with the API error', async () => {
    const { impl, calls } = scriptedFetch([
      () => json(500, { error: { code: 'internal', message: 'oops', request_id: 'r0' } }),
      () => json(404, { error: { code: 'not_found', message: 'no such message', request_id: 'r1' } }),
    ]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl, stream: fast });
    await assert.rejects(client.events('m').finalMessage(), { name: 'ConfabError', status: 404, code: 'not_found', requestId: 'r1' });
    assert.equal(calls.length, 2);
    assert.equal(calls[0]?.lastEventId, null);
  });

  it('gives up after maxAttempts reconnections in a row without an event', async () => {
    const { impl, calls } = scriptedFetch(Array.from({ length: 10 }, () => () => streamOf([], 'error')));
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl });
    const stream = client.events('m', { lastEventId: '3', reconnect: { maxAttempts: 2, baseDelayMs: 1 } });
    await assert.rejects(stream.finalMessage(), { name: 'ConfabNetworkError' });
    assert.equal(calls.length, 3);
    assert.deepEqual(
      calls.map((c) => c.lastEventId),
      ['3', '3', '3'],
    );
  });

  it('treats silence without heartbeats as a drop', async () => {
    const silent = () =>
      new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(delta(1, 'a')));
          },
        }),
        { status: 200 },
      );
    const { impl, calls } = scriptedFetch([silent, () => streamOf([completed('a')])]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl });
    const message = await client.events('m', { lastEventId: '0', idleTimeoutMs: 50, ...fast }).finalMessage();
    assert.equal(message.content, 'a');
    assert.deepEqual(
      calls.map((c) => c.lastEventId),
      ['0', '1'],
    );
  });

  it('rejects with the abort reason when aborted, while reading or while waiting to reconnect', async () => {
    const controller = new AbortController();
    const hanging = () => new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode(delta(1, 'a'))) }), { status: 200 });
    const { impl } = scriptedFetch([hanging]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl });
    const seen: string[] = [];
    setTimeout(() => controller.abort(), 30);
    await assert.rejects(
      (async () => {
        for await (const e of client.events('m', { signal: controller.signal })) seen.push(e.type);
      })(),
      { name: 'AbortError' },
    );
    assert.deepEqual(seen, ['message.delta']);

    const waiting = new AbortController();
    const dropping = scriptedFetch([() => streamOf([], 'error'), () => streamOf([], 'error')]);
    const slow = createConfabClient({ baseUrl: 'http://x', fetch: dropping.impl });
    setTimeout(() => waiting.abort(), 30);
    await assert.rejects(slow.events('m', { signal: waiting.signal, reconnect: { baseDelayMs: 10_000 } }).finalMessage(), { name: 'AbortError' });
    assert.equal(dropping.calls.length, 1);
  });

  it('closes the connection when the consumer stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(created() + delta(1, 'a')));
      },
      cancel() {
        cancelled = true;
      },
    });
    const { impl } = scriptedFetch([() => new Response(body, { status: 200 })]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl });
    const stream = client.send('c', { content: 'x' });
    for await (const e of stream) if (e.type === 'message.delta') break;
    assert.equal(cancelled, true);
    assert.equal(stream.messageId, ID);
    assert.equal(stream.lastEventId, '1');
    assert.throws(() => stream[Symbol.asyncIterator](), /only once/);
  });
});
