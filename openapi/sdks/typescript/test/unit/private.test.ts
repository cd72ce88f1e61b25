// Private turns' streams against scripted responses: the whole history goes out, a drop after
// `turn.created` reattaches with Last-Event-ID, a drop before it is not repeated (no second turn).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfabError, ConfabNetworkError, byteLength, createConfabClient, type PrivateTurnEvent } from '../../src/index.js';
import { json, scriptedFetch, streamOf } from './scripted.js';

const TURN = '00000000-0000-4000-8000-0000000000aa';
const frame = (event: PrivateTurnEvent, id: number) => `event: ${event.type}\nid: ${id}\ndata: ${JSON.stringify(event)}\n\n`;
const created = (dropped = 0) => frame({ type: 'turn.created', turn_id: TURN, model: 'gpt', dropped_messages: dropped }, 0);
const delta = (offset: number, content: string) => frame({ type: 'turn.delta', turn_id: TURN, content, offset }, offset);
const completed = (length: number) =>
  frame({ type: 'turn.completed', turn_id: TURN, input_tokens: 12, output_tokens: 3, length }, length + 1);
const fast = { reconnect: { baseDelayMs: 1 } };
const history = { messages: [{ role: 'user' as const, content: 'Hi' }], model: 'gpt' };

/** The text of a run of deltas, checking each continues the last without gap or overlap. */
function text(events: PrivateTurnEvent[]): string {
  let out = '';
  for (const e of events) {
    if (e.type !== 'turn.delta') continue;
    assert.equal(e.offset, byteLength(out) + byteLength(e.content), `delta ${JSON.stringify(e.content)} continues the text`);
    out += e.content;
  }
  return out;
}

describe('privateTurn', () => {
  it('posts the whole history as SSE, without an Idempotency-Key, and ends at turn.completed', async () => {
    const seen: unknown[] = [];
    const { impl, calls } = scriptedFetch([() => streamOf([created(2), delta(3, 'Hé'), delta(9, ' there'), completed(9)])]);
    const client = createConfabClient({
      baseUrl: 'http://confab.test',
      fetch: async (request) => {
        seen.push(await request.clone().json());
        return impl(request);
      },
    });
    const stream = client.privateTurn(history);
    const events: PrivateTurnEvent[] = [];
    for await (const e of stream) events.push(e);
    assert.deepEqual(
      events.map((e) => e.type),
      ['turn.created', 'turn.delta', 'turn.delta', 'turn.completed'],
    );
    assert.equal(text(events), 'Hé there');
    assert.deepEqual(
      calls.map((c) => [c.method, c.url, c.accept, c.idempotencyKey]),
      [['POST', 'http://confab.test/v1/private/turns', 'text/event-stream', null]],
    );
    assert.deepEqual(seen, [history]);
    assert.equal(stream.turnId, TURN);
    assert.equal(stream.model, 'gpt');
    assert.equal(stream.droppedMessages, 2);
    assert.equal(stream.final?.type, 'turn.completed');
  });

  it('reattaches after a drop with Last-Event-ID, with no gap and no duplicate', async () => {
    const { impl, calls } = scriptedFetch([
      () => streamOf([created(), delta(5, 'hello')], 'error'),
      // The server replays what came after the id it was given.
      () => streamOf([': heartbeat\n\n', delta(11, ' world'), completed(11)]),
    ]);
    const reconnects: number[] = [];
    const client = createConfabClient({ baseUrl: 'http://confab.test', fetch: impl, stream: fast });
    const stream = client.privateTurn(history, { onReconnect: (n) => reconnects.push(n) });
    const events: PrivateTurnEvent[] = [];
    for await (const e of stream) events.push(e);
    assert.equal(text(events), 'hello world');
    assert.equal(calls[1]?.method, 'GET');
    assert.equal(calls[1]?.url, `http://confab.test/v1/private/turns/${TURN}/events`);
    assert.equal(calls[1]?.lastEventId, '5');
    assert.deepEqual(reconnects, [1, 0]);
    assert.equal(stream.reconnects, 1);
  });

  it('does not repeat the call when the connection is lost before turn.created', async () => {
    const { impl, calls } = scriptedFetch([() => streamOf([': heartbeat\n\n'], 'error'), () => streamOf([created(), completed(0)])]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl, stream: fast });
    await assert.rejects(client.privateTurn(history).finalEvent(), ConfabNetworkError);
    assert.equal(calls.length, 1, 'a repeat would have started a second turn');
  });

  it('reports a refusal before the stream as a ConfabError (private mode off)', async () => {
    const refusal = { error: { code: 'private_mode_disabled', message: 'Your organisation keeps every conversation', request_id: 'r' } };
    const { impl, calls } = scriptedFetch([() => json(403, refusal)]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl, stream: fast });
    const e = await client.privateTurn(history).finalEvent().catch((x: unknown) => x);
    assert.ok(e instanceof ConfabError);
    assert.equal(e.status, 403);
    assert.equal(e.code, 'private_mode_disabled');
    assert.equal(calls.length, 1);
  });

  it('ends at turn.failed with the status and the error', async () => {
    const failed = frame({ type: 'turn.failed', turn_id: TURN, status: 'partial', error: { code: 'upstream_stream_broken', message: 'cut' }, length: 2 }, 3);
    const { impl } = scriptedFetch([() => streamOf([created(), delta(2, 'ab'), failed, delta(9, 'never read')])]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl });
    const end = await client.privateTurn(history).finalEvent();
    assert.ok(end.type === 'turn.failed');
    assert.equal(end.status, 'partial');
    assert.equal(end.error.code, 'upstream_stream_broken');
  });
});

describe('privateEvents', () => {
  it('resumes after the given event id and follows the turn to its end', async () => {
    const { impl, calls } = scriptedFetch([() => streamOf([delta(7, ' more'), frame({ type: 'turn.cancelled', turn_id: TURN, length: 7 }, 8)])]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl });
    const stream = client.privateEvents(TURN, { lastEventId: '2' });
    const end = await stream.finalEvent();
    assert.equal(end.type, 'turn.cancelled');
    assert.equal(calls[0]?.url, `http://x/v1/private/turns/${TURN}/events`);
    assert.equal(calls[0]?.lastEventId, '2');
    assert.equal(stream.lastEventId, '8');
  });

  it('gives up at once on 404: the server no longer holds the turn', async () => {
    const { impl, calls } = scriptedFetch([() => json(404, { error: { code: 'not_found', message: 'no such turn', request_id: 'r' } })]);
    const client = createConfabClient({ baseUrl: 'http://x', fetch: impl, stream: fast });
    await assert.rejects(client.privateEvents(TURN, { lastEventId: '40' }).finalEvent(), { name: 'ConfabError', status: 404 });
    assert.equal(calls.length, 1);
  });
});
