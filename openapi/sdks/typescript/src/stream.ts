// Server-sent event streams as async iterators: `for await (const event of stream)`. When the
// connection drops before the final event, a stream reattaches to what it follows (an answer, a
// choice set, a private turn) with `Last-Event-ID`, or, when the drop came before it knew what to
// reattach to, repeats the call that started it if that call carries an `Idempotency-Key` (the
// server answers it with the same turn), so the events continue with no gap and no duplicate.
import { ConfabError, ConfabNetworkError, isAbortError } from './errors.js';
import { SseParser } from './sse.js';
import { sleep } from './retry.js';
import type { Message, PrivateTurnEvent, StreamEvent } from './types.js';

export interface ReconnectOptions {
  /** Reconnections in a row without receiving an event before giving up (default 5; `Infinity` never gives up). */
  maxAttempts?: number;
  /** The first wait before reconnecting; doubles per attempt (default 250 ms). */
  baseDelayMs?: number;
  /** The longest wait between attempts (default 5 s). */
  maxDelayMs?: number;
}

export interface StreamOptions {
  /** Aborting ends the stream: the iteration rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Silence, not even a heartbeat, for this long counts as a dropped connection (default 45 s). */
  idleTimeoutMs?: number;
  reconnect?: ReconnectOptions;
  /** Called before each reconnection attempt (1, 2, …) and with 0 once events flow again. */
  onReconnect?: (attempt: number) => void;
}

/** One opened connection: openapi-fetch's answer with `parseAs: 'stream'`. */
export interface Opened {
  data?: ReadableStream<Uint8Array> | null;
  error?: unknown;
  response: Response;
}

/** How a stream connects: `attach` once it knows what it follows, else `start` (a turn call). */
export interface StreamSource {
  start?: (signal: AbortSignal) => Promise<Opened>;
  /**
   * Whether `start` may be called again after a connection lost before the stream learnt what it
   * follows: true when the call carries an `Idempotency-Key`. Without one a repeat would start a
   * second turn, so the stream fails instead.
   */
  repeatableStart?: boolean;
  attach: (id: string, lastEventId: string | null, signal: AbortSignal) => Promise<Opened>;
  toError: (response: Response, body: unknown) => ConfabError;
}

/**
 * A typed event stream that reattaches after a drop. Iterate it once. Subclasses say what an event
 * tells them (`receive`), what they reattach to (`target`) and when they are over (`done`).
 */
export abstract class EventStream<E extends { type: string }> implements AsyncIterable<E> {
  /** The id of the last event received: where a reattach resumes. */
  lastEventId: string | null;
  /** The `Idempotency-Key` of the turn call that started this stream (null for an attach). */
  readonly idempotencyKey: string | null;
  /** Reconnections made so far. */
  reconnects = 0;
  private used = false;

  protected constructor(
    private readonly source: StreamSource,
    private readonly options: StreamOptions,
    init: { lastEventId?: string | null; idempotencyKey?: string | null },
  ) {
    this.lastEventId = init.lastEventId ?? null;
    this.idempotencyKey = init.idempotencyKey ?? null;
  }

  /** What `attach` reattaches to; null while only `start` can open the stream. */
  protected abstract target(): string | null;
  /** Takes what an event says (ids, the final event) before it is yielded. */
  protected abstract receive(event: E): void;
  /** Whether the stream has sent everything it will send. */
  protected abstract done(): boolean;

  [Symbol.asyncIterator](): AsyncIterator<E> {
    if (this.used) throw new Error('a stream can be iterated only once');
    this.used = true;
    return this.run();
  }

  /** Reads the stream to its end. */
  protected async drain(): Promise<void> {
    for await (const _ of this) {
      // the events themselves are not needed
    }
  }

  private async *run(): AsyncGenerator<E, void, undefined> {
    const { signal } = this.options;
    const idleTimeout = this.options.idleTimeoutMs ?? 45_000;
    const maxAttempts = this.options.reconnect?.maxAttempts ?? 5;
    const baseDelay = this.options.reconnect?.baseDelayMs ?? 250;
    const maxDelay = this.options.reconnect?.maxDelayMs ?? 5_000;
    let attempt = 0;
    let lastFailure: unknown = null;

    for (;;) {
      signal?.throwIfAborted();
      if (this.done()) return;
      const target = this.target();
      if (target === null && attempt > 0 && !this.source.repeatableStart) {
        // Lost before the server said which turn it started: repeating the call could start another.
        throw lastFailure instanceof Error ? lastFailure : new ConfabNetworkError('the stream was lost before it started');
      }
      const connection = new AbortController();
      let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
      let idle: ReturnType<typeof setTimeout> | undefined;
      // Aborting the request also ends a body that is being read.
      const hangUp = () => {
        connection.abort();
        void reader?.cancel().catch(() => {});
      };
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(hangUp, idleTimeout);
      };
      signal?.addEventListener('abort', hangUp);
      try {
        arm();
        const opened =
          target === null && this.source.start
            ? await this.source.start(connection.signal)
            : await this.source.attach(required(target), this.lastEventId, connection.signal);
        const { response } = opened;
        if (!response.ok) {
          const error = this.source.toError(response, opened.error);
          // 5xx are passing (429 and 503 were already retried as far as `Retry-After` allowed); a
          // 409 on repeating a turn call means its first try is still being written. Anything
          // else is final.
          const replaying = target === null && attempt > 0 && response.status === 409;
          if (response.status < 500 && !replaying) throw error;
          throw new Passing(error);
        }
        if (!opened.data) throw new Passing(new ConfabNetworkError('the answer had no body'));
        reader = opened.data.getReader();
        const parser = new SseParser();
        for (;;) {
          const { done, value } = await reader.read().catch((e: unknown) => {
            throw isAbortError(e) ? e : new ConfabNetworkError('the connection dropped', { cause: e });
          });
          if (done) break;
          arm();
          for (const message of parser.push(value)) {
            const event = JSON.parse(message.data) as E;
            if (message.id !== null) this.lastEventId = message.id;
            this.receive(event);
            if (attempt > 0) {
              attempt = 0;
              this.options.onReconnect?.(0);
            }
            yield event;
            if (this.done()) return;
          }
        }
        lastFailure = new ConfabNetworkError('the stream ended before its final event');
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        if (e instanceof Passing || e instanceof ConfabNetworkError) lastFailure = e instanceof Passing ? e.error : e;
        else if (isAbortError(e)) lastFailure = new ConfabNetworkError('the stream went silent');
        else throw e; // an API error, or a bug: reconnecting cannot help
      } finally {
        clearTimeout(idle);
        signal?.removeEventListener('abort', hangUp);
        // Leaving early (a `break` in `for await`) closes the connection.
        connection.abort();
        void reader?.cancel().catch(() => {});
      }
      attempt += 1;
      if (attempt > maxAttempts) {
        throw lastFailure instanceof Error ? lastFailure : new ConfabNetworkError('the stream could not be resumed');
      }
      this.reconnects += 1;
      this.options.onReconnect?.(attempt);
      await sleep(Math.min(baseDelay * 2 ** (attempt - 1), maxDelay), signal, true);
    }
  }
}

function required(id: string | null): string {
  if (id === null) throw new Error('nothing to attach to');
  return id;
}

/** A failure worth reconnecting after. */
class Passing extends Error {
  constructor(readonly error: unknown) {
    super('passing failure');
  }
}

const FINAL = new Set<string>(['message.completed', 'message.failed', 'message.cancelled']);

/** The typed event stream of one answer (or of a choice set's answers). */
export class MessageStream extends EventStream<StreamEvent> {
  /** The assistant message being streamed, once known (from `message.created`, or given). */
  messageId: string | null;
  /** The conversation, once `message.created` has been received. */
  conversationId: string | null = null;
  /** The final event, once received. */
  final: Extract<StreamEvent, { message: Message }> | null = null;
  /**
   * A choice set's stream (several answers on one connection): `messageId` is the set's id, each
   * event's id holds one position per answer (`-`, a byte offset, or `x` once it ended), and the
   * stream ends when every position is `x`. `final` is then the last answer's final event.
   */
  private readonly multiplexed: boolean;

  constructor(
    source: StreamSource,
    options: StreamOptions,
    init: {
      messageId?: string | null;
      lastEventId?: string | null;
      idempotencyKey?: string | null;
      multiplexed?: boolean;
    },
  ) {
    super(source, options, init);
    this.messageId = init.messageId ?? null;
    this.multiplexed = init.multiplexed ?? false;
  }

  protected target(): string | null {
    return this.messageId;
  }

  protected receive(event: StreamEvent): void {
    if (event.type === 'message.created' && !this.multiplexed) {
      this.messageId = event.assistant_message_id;
      this.conversationId = event.conversation_id;
    }
    if (FINAL.has(event.type)) this.final = event as Extract<StreamEvent, { message: Message }>;
  }

  protected done(): boolean {
    if (!this.multiplexed) return this.final !== null;
    return this.lastEventId !== null && this.lastEventId.split('.').every((p) => p === 'x');
  }

  /** Reads the stream to its end and returns the final message (completed, failed or cancelled). */
  async finalMessage(): Promise<Message> {
    await this.drain();
    if (!this.final) throw new ConfabNetworkError('the stream ended without a final event');
    return this.final.message;
  }
}

/** The final events of a private turn. */
export type PrivateTurnEnd = Extract<PrivateTurnEvent, { type: 'turn.completed' | 'turn.failed' | 'turn.cancelled' }>;
const PRIVATE_FINAL = new Set<string>(['turn.completed', 'turn.failed', 'turn.cancelled']);

/**
 * The events of one private turn (`POST /v1/private/turns`, `GET /v1/private/turns/{id}/events`):
 * the server relays the answer and keeps nothing but the turn's events for a short while
 * (`PrivateModeStatus.resume_secs` after it ended), which is what a reattach replays.
 */
export class PrivateTurnStream extends EventStream<PrivateTurnEvent> {
  /** The turn, once `turn.created` has been received (or given, to attach). */
  turnId: string | null;
  /** The model answering, from `turn.created`. */
  model: string | null = null;
  /** Older messages the server left out to fit the model's window, from `turn.created`. */
  droppedMessages = 0;
  /** The final event, once received. */
  final: PrivateTurnEnd | null = null;

  constructor(source: StreamSource, options: StreamOptions, init: { turnId?: string | null; lastEventId?: string | null }) {
    super(source, options, init);
    this.turnId = init.turnId ?? null;
  }

  protected target(): string | null {
    return this.turnId;
  }

  protected receive(event: PrivateTurnEvent): void {
    if (event.type === 'turn.created') {
      this.turnId = event.turn_id;
      this.model = event.model;
      this.droppedMessages = event.dropped_messages;
    }
    if (PRIVATE_FINAL.has(event.type)) this.final = event as PrivateTurnEnd;
  }

  protected done(): boolean {
    return this.final !== null;
  }

  /** Reads the stream to its end and returns its final event (completed, failed or cancelled). */
  async finalEvent(): Promise<PrivateTurnEnd> {
    await this.drain();
    if (!this.final) throw new ConfabNetworkError('the stream ended without a final event');
    return this.final;
  }
}
