import { describe, expect, it } from 'vitest';
import { SseParser, attachStream, byteLength, type StreamEvent } from './sse';

const delta = (offset: number, content: string) =>
  `event: message.delta\nid: ${offset}\ndata: ${JSON.stringify({ type: 'message.delta', message_id: 'm', content, offset })}\n\n`;
const completed = (content: string) =>
  `event: message.completed\nid: ${byteLength(content) + 1}\ndata: ${JSON.stringify({ type: 'message.completed', message: { id: 'm', content, status: 'completed' } })}\n\n`;

describe('SseParser', () => {
  const wire = `: heartbeat\n\n${delta(5, 'héllo')}${delta(11, ' wörld')}${completed('héllo wörld')}`;
  const bytes = new TextEncoder().encode(wire);

  it('gives the same events whatever the chunk boundaries, even inside a UTF-8 character', () => {
    const whole = new SseParser().push(bytes);
    expect(whole.map((m) => m.event)).toEqual(['message.delta', 'message.delta', 'message.completed']);
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new SseParser();
      const got = [...p.push(bytes.slice(0, cut)), ...p.push(bytes.slice(cut))];
      expect(got).toEqual(whole);
    }
    const p = new SseParser();
    const oneByOne = Array.from(bytes).flatMap((b) => p.push(new Uint8Array([b])));
    expect(oneByOne).toEqual(whole);
  });

  it('counts heartbeat comments and dispatches nothing for them', () => {
    const p = new SseParser();
    expect(p.push(': ping\n\n: ping\n\n')).toEqual([]);
    expect(p.comments).toBe(2);
  });

  it('handles CRLF and CR line endings split across chunks, and multi-line data', () => {
    const p = new SseParser();
    const out = [...p.push('id: 7\r'), ...p.push('\ndata: a\r\ndata: b\r'), ...p.push('\r')];
    expect(out).toEqual([]); // that last CR may still be the start of a CRLF
    out.push(...p.push('\n'));
    expect(out).toEqual([{ event: 'message', data: 'a\nb', id: '7' }]);
    expect(p.lastEventId).toBe('7');
  });
});

/** A fetch double that serves scripted SSE responses, one per call, and records the requests. */
function scriptedFetch(responses: (() => Response)[]) {
  const calls: { url: string; lastEventId: string | null }[] = [];
  const impl = (async (url: string, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    calls.push({ url, lastEventId: headers.get('Last-Event-ID') });
    const next = responses.shift();
    if (!next) throw new TypeError('no more responses');
    return next();
  }) as typeof fetch;
  return { impl, calls };
}
function streamOf(chunks: string[], thenError = false): Response {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      } else if (thenError) controller.error(new TypeError('network error'));
      else controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

describe('attachStream', () => {
  it('reconnects after a drop with Last-Event-ID and ends at the final event', async () => {
    const { impl, calls } = scriptedFetch([
      () => streamOf([delta(5, 'hello')], true),
      () => streamOf([': heartbeat\n\n', delta(11, ' world'), completed('hello world')]),
    ]);
    const events: StreamEvent[] = [];
    const reconnects: number[] = [];
    const done = await attachStream({
      messageId: 'm',
      lastEventId: '0',
      signal: new AbortController().signal,
      onEvent: (e) => events.push(e),
      onReconnect: (n) => reconnects.push(n),
      fetchImpl: impl,
      retryDelayMs: () => 1,
      baseUrl: 'http://confab.test',
    });
    expect(done).toBe(true);
    expect(calls.map((c) => c.lastEventId)).toEqual(['0', '5']);
    expect(calls[0]?.url).toBe('http://confab.test/v1/messages/m/events');
    expect(events.map((e) => e.type)).toEqual(['message.delta', 'message.delta', 'message.completed']);
    expect(reconnects).toEqual([1, 0]);
  });

  it('retries a 503 but gives up on a 404 with the API error', async () => {
    const { impl, calls } = scriptedFetch([
      () => new Response('{}', { status: 503 }),
      () => new Response(JSON.stringify({ error: { code: 'not_found', message: 'no such message', request_id: 'r' } }), { status: 404 }),
    ]);
    await expect(
      attachStream({ messageId: 'm', lastEventId: null, signal: new AbortController().signal, onEvent: () => {}, fetchImpl: impl, retryDelayMs: () => 1, baseUrl: '' }),
    ).rejects.toMatchObject({ status: 404, code: 'not_found' });
    expect(calls).toHaveLength(2);
    expect(calls[0]?.lastEventId).toBeNull();
  });

  it('treats silence without heartbeats as a drop', async () => {
    const silent = () =>
      new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(delta(1, 'a'))); } }), { status: 200 });
    const { impl, calls } = scriptedFetch([silent, () => streamOf([completed('a')])]);
    const done = await attachStream({
      messageId: 'm', lastEventId: '0', signal: new AbortController().signal, onEvent: () => {},
      fetchImpl: impl, retryDelayMs: () => 1, idleTimeoutMs: 50, baseUrl: '',
    });
    expect(done).toBe(true);
    expect(calls.map((c) => c.lastEventId)).toEqual(['0', '1']);
  });

  it('stops quietly when aborted', async () => {
    const controller = new AbortController();
    const { impl } = scriptedFetch([() => streamOf([], true), () => streamOf([], true), () => streamOf([], true)]);
    setTimeout(() => controller.abort(), 20);
    const done = await attachStream({ messageId: 'm', lastEventId: null, signal: controller.signal, onEvent: () => {}, fetchImpl: impl, retryDelayMs: () => 5, baseUrl: '' });
    expect(done).toBe(false);
  });
});
