// createConfabClient: the generated client (openapi-fetch over the types from openapi.json) with
// authentication, CSRF, idempotency keys and retries, plus typed answer streams.
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { ConfabError, ConfabNetworkError, isAbortError } from './errors.js';
import { idempotentOperations } from './generated/operations.js';
import { retryingFetch, type FetchLike, type RetryOptions } from './retry.js';
import { MessageStream, PrivateTurnStream, type Opened, type StreamOptions, type StreamSource } from './stream.js';
import type { ClientPaths, EditBody, PrivateTurnBody, RegenerateBody, SendMessageBody } from './types.js';

export interface ConfabClientOptions {
  /** Where Confab is: `https://confab.example.com` (in a browser on the same origin, `location.origin`). */
  baseUrl: string;
  /** An API token (`cfb_…`), sent as `Authorization: Bearer`. Leave it out in a browser session. */
  token?: string;
  /** A fetch to use instead of `globalThis.fetch` (it gets a `Request`). */
  fetch?: FetchLike;
  /** The fetch `credentials` mode: `same-origin` or `include` for a browser session cookie. */
  credentials?: RequestCredentials;
  /** A browser session's CSRF token (from the login answer or `GET /v1/me`); see `setCsrfToken`. */
  csrfToken?: string | null;
  /** Headers sent on every request. */
  headers?: Record<string, string>;
  /** Retries of 429/503 answers and lost connections; `false` turns them off. */
  retry?: RetryOptions | false;
  /** The defaults of every stream's options (idle timeout, reconnection). */
  stream?: Omit<StreamOptions, 'signal' | 'onReconnect'>;
  /** Called when an answer is 401 (the session or token is no longer valid). */
  onUnauthorized?: (error: ConfabError) => void;
}

/** Options of a call that starts a turn and streams its answer. */
export interface TurnStreamOptions extends StreamOptions {
  /** The key of this user action; a fresh one by default. Reuse it to retry the same action. */
  idempotencyKey?: string;
}

/** Options of attaching to a message's events. */
export interface AttachOptions extends StreamOptions {
  /** Resume after this event id; from `message.created` when absent. */
  lastEventId?: string | null;
}

/** An answer of an openapi-fetch call. */
export interface ApiAnswer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

export interface ConfabClient {
  /** The generated, typed client: `api.GET('/v1/me')`, `api.POST('/v1/conversations', { body })`. */
  readonly api: Client<ClientPaths>;
  /** Awaits an `api` call: its data, or throws a `ConfabError` (or `ConfabNetworkError`). */
  unwrap<T>(call: Promise<ApiAnswer<T>>, options?: { quiet401?: boolean }): Promise<T>;
  /** Sets the browser session's CSRF token, sent on every request that changes something. */
  setCsrfToken(token: string | null | undefined): void;
  /** Sends a message and streams the answer (`POST /v1/conversations/{id}/messages`). */
  send(conversationId: string, body: SendMessageBody, options?: TurnStreamOptions): MessageStream;
  /** A new answer beside this one, streamed (`POST /v1/messages/{id}/regenerate`). */
  regenerate(messageId: string, body?: RegenerateBody, options?: TurnStreamOptions): MessageStream;
  /** Continues a `partial` answer, streamed (`POST /v1/messages/{id}/continue`). */
  continue(messageId: string, options?: TurnStreamOptions): MessageStream;
  /** Edits a user message (a new branch) and streams the new answer (`POST /v1/messages/{id}/edit`). */
  edit(messageId: string, body: EditBody, options?: TurnStreamOptions): MessageStream;
  /** Attaches to an assistant message's events, live or finished (`GET /v1/messages/{id}/events`). */
  events(messageId: string, options?: AttachOptions): MessageStream;
  /**
   * Attaches to every answer of a choice set on one stream (`GET /v1/choice-sets/{id}/events`):
   * events of all the answers interleaved, resumed together after a drop; it ends when every
   * answer has ended.
   */
  choiceEvents(choiceSetId: string, options?: AttachOptions): MessageStream;
  /**
   * Starts a private turn and streams its answer (`POST /v1/private/turns`): the body holds the
   * whole history, kept by the caller; the server stores none of it. When the history ends with an
   * assistant message, the answer continues it. A connection lost after `turn.created` reattaches
   * by itself; one lost before it fails the stream (repeating the call would start another turn).
   */
  privateTurn(body: PrivateTurnBody, options?: StreamOptions): PrivateTurnStream;
  /**
   * Attaches to a private turn, live or recently ended (`GET /v1/private/turns/{id}/events`). A
   * `ConfabError` 404 means the server no longer holds it: keep what was received.
   */
  privateEvents(turnId: string, options?: AttachOptions): PrivateTurnStream;
}

const SSE = { Accept: 'text/event-stream' } as const;

/** A fresh idempotency key for one user action (a UUID). */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  // crypto.randomUUID is missing outside secure contexts (plain-HTTP pages): build a v4 UUID.
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function createConfabClient(options: ConfabClientOptions): ConfabClient {
  let csrfToken = options.csrfToken ?? null;
  const baseFetch: FetchLike = options.fetch ?? ((request) => globalThis.fetch(request));
  const fetch = options.retry === false ? retryingFetch(baseFetch, { retries: 0 }) : retryingFetch(baseFetch, options.retry);

  const api = createClient<ClientPaths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    fetch,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });

  const headers: Middleware = {
    onRequest({ request, schemaPath }) {
      if (options.token) request.headers.set('Authorization', `Bearer ${options.token}`);
      if (csrfToken && request.method !== 'GET' && request.method !== 'HEAD') request.headers.set('X-CSRF-Token', csrfToken);
      // One key per call, set before the retrying fetch: every retry of the call sends it again.
      if (idempotentOperations.has(`${request.method} ${schemaPath}`) && !request.headers.has('Idempotency-Key')) {
        request.headers.set('Idempotency-Key', newIdempotencyKey());
      }
      return request;
    },
  };
  api.use(headers);

  function toError(response: Response, body: unknown, quiet401 = false): ConfabError {
    const error = ConfabError.fromResponse(response, body);
    if (response.status === 401 && !quiet401) options.onUnauthorized?.(error);
    return error;
  }

  async function unwrap<T>(call: Promise<ApiAnswer<T>>, opts: { quiet401?: boolean } = {}): Promise<T> {
    let answer: ApiAnswer<T>;
    try {
      answer = await call;
    } catch (e) {
      if (isAbortError(e) || e instanceof ConfabNetworkError) throw e;
      throw new ConfabNetworkError(undefined, { cause: e });
    }
    if (answer.response.ok) return answer.data as T;
    throw toError(answer.response, answer.error, opts.quiet401);
  }

  const withDefaults = <O extends StreamOptions>(o: O): O => ({ ...options.stream, ...o });

  function attach(messageId: string, lastEventId: string | null, signal: AbortSignal): Promise<Opened> {
    return api.GET('/v1/messages/{id}/events', {
      params: { path: { id: messageId }, header: lastEventId === null ? {} : { 'Last-Event-ID': lastEventId } },
      headers: SSE,
      parseAs: 'stream',
      cache: 'no-store',
      signal,
    });
  }

  function attachChoices(choiceSetId: string, lastEventId: string | null, signal: AbortSignal): Promise<Opened> {
    return api.GET('/v1/choice-sets/{id}/events', {
      params: { path: { id: choiceSetId }, header: lastEventId === null ? {} : { 'Last-Event-ID': lastEventId } },
      headers: SSE,
      parseAs: 'stream',
      cache: 'no-store',
      signal,
    });
  }

  function attachPrivate(turnId: string, lastEventId: string | null, signal: AbortSignal): Promise<Opened> {
    return api.GET('/v1/private/turns/{id}/events', {
      params: { path: { id: turnId }, header: lastEventId === null ? {} : { 'Last-Event-ID': lastEventId } },
      headers: SSE,
      parseAs: 'stream',
      cache: 'no-store',
      signal,
    });
  }

  /** A stream over a turn call; `start` gets the call's idempotency key, the same on every try. */
  function turn(start: (key: string, signal: AbortSignal) => Promise<Opened>, o: TurnStreamOptions): MessageStream {
    const key = o.idempotencyKey ?? newIdempotencyKey();
    const source: StreamSource = { start: (signal) => start(key, signal), repeatableStart: true, attach, toError: (r, b) => toError(r, b) };
    return new MessageStream(source, withDefaults(o), { idempotencyKey: key });
  }

  return {
    api,
    unwrap,
    setCsrfToken(token) {
      csrfToken = token ?? null;
    },
    send(conversationId, body, o = {}) {
      return turn(
        (key, signal) =>
          api.POST('/v1/conversations/{id}/messages', {
            params: { path: { id: conversationId }, header: { 'Idempotency-Key': key } },
            body,
            headers: SSE,
            parseAs: 'stream',
            signal,
          }),
        o,
      );
    },
    regenerate(messageId, body = {}, o = {}) {
      return turn(
        (key, signal) =>
          api.POST('/v1/messages/{id}/regenerate', {
            params: { path: { id: messageId }, header: { 'Idempotency-Key': key } },
            body,
            headers: SSE,
            parseAs: 'stream',
            signal,
          }),
        o,
      );
    },
    continue(messageId, o = {}) {
      return turn(
        (key, signal) =>
          api.POST('/v1/messages/{id}/continue', {
            params: { path: { id: messageId }, header: { 'Idempotency-Key': key } },
            headers: SSE,
            parseAs: 'stream',
            signal,
          }),
        o,
      );
    },
    edit(messageId, body, o = {}) {
      return turn(
        (key, signal) =>
          api.POST('/v1/messages/{id}/edit', {
            params: { path: { id: messageId }, header: { 'Idempotency-Key': key } },
            body,
            headers: SSE,
            parseAs: 'stream',
            signal,
          }),
        o,
      );
    },
    events(messageId, o = {}) {
      const source: StreamSource = { attach, toError: (r, b) => toError(r, b) };
      return new MessageStream(source, withDefaults(o), { messageId, lastEventId: o.lastEventId ?? null });
    },
    choiceEvents(choiceSetId, o = {}) {
      const source: StreamSource = { attach: attachChoices, toError: (r, b) => toError(r, b) };
      const init = { messageId: choiceSetId, lastEventId: o.lastEventId ?? null, multiplexed: true };
      return new MessageStream(source, withDefaults(o), init);
    },
    privateTurn(body, o = {}) {
      const source: StreamSource = {
        start: (signal) => api.POST('/v1/private/turns', { body, headers: SSE, parseAs: 'stream', signal }),
        attach: attachPrivate,
        toError: (r, b) => toError(r, b),
      };
      return new PrivateTurnStream(source, withDefaults(o), {});
    },
    privateEvents(turnId, o = {}) {
      const source: StreamSource = { attach: attachPrivate, toError: (r, b) => toError(r, b) };
      return new PrivateTurnStream(source, withDefaults(o), { turnId, lastEventId: o.lastEventId ?? null });
    },
  };
}
