// Private turns against a real confab: the server relays the answer and keeps nothing of it; a
// dropped connection reattaches with Last-Event-ID; only the turn's owner can follow it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byteLength, createConfabClient, type PrivateTurnEvent } from '../../src/index.js';
import { client, expected, faultyProxy, seed } from './helpers.js';

/** The text of a run of deltas after `after` bytes, checking there is no gap and no overlap. */
function deltaText(events: PrivateTurnEvent[], after = 0): string {
  let offset = after;
  let text = '';
  for (const e of events) {
    if (e.type !== 'turn.delta') continue;
    assert.equal(e.offset, offset + byteLength(e.content), `delta at ${offset} has offset ${e.offset}`);
    offset = e.offset;
    text += e.content;
  }
  return text;
}

describe('private turns', () => {
  it('stream an answer to the whole history, and leave no conversation behind', async () => {
    const c = client();
    const before = await c.unwrap(c.api.GET('/v1/conversations', { params: { query: { limit: 100 } } }));
    const stream = c.privateTurn({
      messages: [
        { role: 'user', content: 'First' },
        { role: 'assistant', content: 'An answer' },
        { role: 'user', content: 'Private hello [upstream tokens=7]' },
      ],
    });
    const events: PrivateTurnEvent[] = [];
    for await (const e of stream) events.push(e);
    assert.equal(events[0]?.type, 'turn.created');
    assert.equal(events.at(-1)?.type, 'turn.completed');
    assert.equal(deltaText(events), expected(7));
    assert.ok(stream.turnId);
    assert.equal(stream.droppedMessages, 0);
    const after = await c.unwrap(c.api.GET('/v1/conversations', { params: { query: { limit: 100 } } }));
    assert.deepEqual(
      after.items.map((x) => x.id),
      before.items.map((x) => x.id),
      'no conversation was saved',
    );
  });

  it('reattach by themselves after a dropped connection, with no gap and no duplicate', async () => {
    const proxy = await faultyProxy();
    try {
      const c = createConfabClient({ baseUrl: proxy.url, token: seed.member.token, stream: { reconnect: { baseDelayMs: 50 } } });
      const stream = c.privateTurn({ messages: [{ role: 'user', content: 'Private drop [upstream tokens=40 delay_ms=40]' }] });
      const events: PrivateTurnEvent[] = [];
      for await (const e of stream) {
        events.push(e);
        if (events.filter((x) => x.type === 'turn.delta').length === 5 && stream.reconnects === 0) proxy.cut();
      }
      assert.equal(stream.reconnects, 1);
      assert.equal(deltaText(events), expected(40));
      assert.equal(stream.final?.type, 'turn.completed');
      const attach = proxy.seen.find((s) => s.path.endsWith('/events'));
      assert.equal(attach?.path, `/v1/private/turns/${stream.turnId}/events`);
      assert.ok(Number(attach?.lastEventId) > 0, `resumed after the last event (${attach?.lastEventId})`);
    } finally {
      await proxy.close();
    }
  });

  it("can be followed after they ended, by their owner only", async () => {
    const c = client();
    const stream = c.privateTurn({ messages: [{ role: 'user', content: 'Private replay [upstream tokens=4]' }] });
    const end = await stream.finalEvent();
    assert.equal(end.type, 'turn.completed');
    const turnId = stream.turnId ?? '';
    const replay: PrivateTurnEvent[] = [];
    for await (const e of c.privateEvents(turnId, { lastEventId: '0' })) replay.push(e);
    assert.equal(deltaText(replay), expected(4), 'replayed after turn.created');
    const other = client(seed.admin);
    await assert.rejects(other.privateEvents(turnId).finalEvent(), { name: 'ConfabError', status: 404 });
  });
});
