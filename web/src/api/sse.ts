// The one hand-written piece of the API layer: reading `GET /v1/messages/{id}/events`
// (server-sent events), which a generated client cannot stream. It resumes after a drop with
// `Last-Event-ID`, so the answer continues with no gap and no duplicate.
import { ApiError, errorFrom } from './client';
import type { components, paths } from './schema';

export type StreamEvent = components['schemas']['StreamEvent'];
const EVENTS_PATH = '/v1/messages/{id}/events' satisfies keyof paths;

export interface SseMessage {
  event: string;
  data: string;
  id: string | null;
}

/** An incremental SSE parser (WHATWG rules): feed it chunks split anywhere. */
export class SseParser {
  private decoder = new TextDecoder();
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | null = null;
  /** The last `id:` seen, dispatched or not: what to send as `Last-Event-ID`. */
  lastEventId: string | null = null;
  /** Comment lines (`: …`) seen: the server's heartbeats. */
  comments = 0;

  push(chunk: Uint8Array | string): SseMessage[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone `\r` at the very end may be the first half of `\r\n`: wait for the next chunk.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      const message = this.data.length ? { event: this.event || 'message', data: this.data.join('\n'), id: this.id } : null;
      this.data = [];
      this.event = '';
      return message;
    }
    if (line.startsWith(':')) {
      this.comments += 1;
      return null;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) {
      this.id = value;
      this.lastEventId = value;
    }
    return null;
  }
}

export interface AttachOptions {
  messageId: string;
  /** Resume after this event id (the answer's length in bytes so far); from the start when null. */
  lastEventId: string | null;
  signal: AbortSignal;
  onEvent: (event: StreamEvent) => void;
  /** Called before each reconnection attempt (1, 2, …) and with 0 once data flows again. */
  onReconnect?: (attempt: number) => void;
  fetchImpl?: typeof fetch;
  /** Silence (not even a heartbeat) for this long counts as a dropped connection. */
  idleTimeoutMs?: number;
  retryDelayMs?: (attempt: number) => number;
  baseUrl?: string;
}

const FINAL = new Set(['message.completed', 'message.failed', 'message.cancelled']);

/**
 * Follows a message's events until its final event. Network drops and server hiccups
 * (5xx, 429) are retried with `Last-Event-ID`; other HTTP errors end it with an `ApiError`.
 * Resolves `true` after a final event, `false` when aborted.
 */
export async function attachStream(o: AttachOptions): Promise<boolean> {
  const doFetch = o.fetchImpl ?? fetch;
  const delay = o.retryDelayMs ?? ((n: number) => Math.min(250 * 2 ** (n - 1), 3000));
  const idleTimeout = o.idleTimeoutMs ?? 45_000;
  let lastEventId = o.lastEventId;
  let attempt = 0;
  const base = o.baseUrl ?? (typeof location === 'undefined' ? '' : location.origin);
  const url = base + EVENTS_PATH.replace('{id}', encodeURIComponent(o.messageId));

  while (!o.signal.aborted) {
    const connection = new AbortController();
    let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
    // Aborting the request also ends a body already being read.
    const abort = () => {
      connection.abort();
      void reader?.cancel().catch(() => {});
    };
    o.signal.addEventListener('abort', abort);
    let idle: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(abort, idleTimeout);
    };
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
      arm();
      const response = await doFetch(url, { headers, signal: connection.signal, credentials: 'same-origin', cache: 'no-store' });
      if (!response.ok) {
        const body: unknown = await response.json().catch(() => undefined);
        const error = errorFrom(response, body);
        if (response.status < 500 && response.status !== 429) throw error;
        throw new RetryableError();
      }
      if (!response.body) throw new RetryableError();
      reader = response.body.getReader();
      const parser = new SseParser();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arm();
        for (const message of parser.push(value)) {
          if (message.id !== null) lastEventId = message.id;
          if (attempt > 0) {
            attempt = 0;
            o.onReconnect?.(0);
          }
          const event = JSON.parse(message.data) as StreamEvent;
          o.onEvent(event);
          if (FINAL.has(message.event)) {
            await reader.cancel().catch(() => {});
            return true;
          }
        }
      }
      // The connection ended before the final event: reconnect.
    } catch (e) {
      if (e instanceof ApiError) throw e;
      if (o.signal.aborted) return false;
    } finally {
      clearTimeout(idle);
      o.signal.removeEventListener('abort', abort);
    }
    attempt += 1;
    o.onReconnect?.(attempt);
    await sleep(delay(attempt), o.signal);
  }
  return false;
}

class RetryableError extends Error {}

/** Waits before reconnecting; the browser coming back online cuts the wait short. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    globalThis.addEventListener?.('online', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      globalThis.removeEventListener?.('online', done);
      resolve();
    }
  });
}

/** The UTF-8 length of a text: the event id after it (ids count bytes). */
export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}
