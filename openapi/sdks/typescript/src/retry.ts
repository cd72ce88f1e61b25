// The fetch every call of the client goes through: retries of 429 and 503 answers (honouring
// `Retry-After`) and of lost connections where a retry cannot do anything twice.
import { ConfabNetworkError, isAbortError, parseRetryAfter } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt (default 2). 0 turns retrying off. */
  retries?: number;
  /** The first backoff when the server gives no `Retry-After`; doubles per retry (default 500 ms). */
  baseDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the answer is returned (default 30 s). */
  maxDelayMs?: number;
}

export type FetchLike = (input: Request) => Promise<Response>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * Wraps `base`: a 429 or 503 answer is retried after its `Retry-After` (or an exponential backoff),
 * at most `retries` times and only when the wait is at most `maxDelayMs`; the server promises that
 * such a refused request changed nothing. A request that got no answer is retried only when
 * repeating it is harmless: idempotent methods, and requests carrying an `Idempotency-Key` (the
 * same key on every attempt, since each attempt is a clone of the same request). Other failures to
 * connect become `ConfabNetworkError`; aborts stay aborts.
 */
export function retryingFetch(base: FetchLike, options: RetryOptions = {}): FetchLike {
  const retries = Math.max(0, options.retries ?? 2);
  const baseDelay = options.baseDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 30_000;
  return async (request: Request): Promise<Response> => {
    const repeatable = SAFE_METHODS.has(request.method) || request.headers.has('Idempotency-Key');
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= retries;
      let response: Response;
      try {
        response = await base(last ? request : request.clone());
      } catch (e) {
        if (isAbortError(e) || request.signal.aborted) throw e;
        if (last || !repeatable) throw new ConfabNetworkError(undefined, { cause: e });
        await sleep(backoff(baseDelay, attempt), request.signal);
        continue;
      }
      if (!last && (response.status === 429 || response.status === 503)) {
        const wait = parseRetryAfter(response.headers.get('Retry-After')) ?? backoff(baseDelay, attempt);
        if (wait <= maxDelay) {
          await response.body?.cancel().catch(() => {});
          await sleep(wait, request.signal);
          continue;
        }
      }
      return response;
    }
  };
}

function backoff(base: number, attempt: number): number {
  return base * 2 ** attempt;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal | null, wakeOnOnline = false): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    const onAbort = () => {
      cleanup();
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // In a browser, coming back online cuts a reconnection wait short.
    const target = globalThis as { addEventListener?: EventTarget['addEventListener']; removeEventListener?: EventTarget['removeEventListener'] };
    if (wakeOnOnline) target.addEventListener?.('online', done, { once: true });
    function cleanup() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (wakeOnOnline) target.removeEventListener?.('online', done);
    }
    function done() {
      cleanup();
      resolve();
    }
  });
}
