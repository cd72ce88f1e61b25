// The app's Confab client: @confab/client (openapi/sdks/typescript: the generated types, openapi-fetch
// and the answer streams) on this origin with the session cookie. Every typed call goes through `api`.
import { createConfabClient, type ApiAnswer, type ConfabError, type Schemas } from '@confab/client';

export { ConfabError, ConfabNetworkError, byteLength, isAbortError, newIdempotencyKey } from '@confab/client';
export type { PrivateTurnBody, PrivateTurnEvent, Schemas, StreamEvent } from '@confab/client';
export type Message = Schemas['MessageView'];
export type Conversation = Schemas['ConversationView'];
export type ConversationDetail = Schemas['ConversationDetail'];
export type Me = Schemas['MeView'];

type Unauthorized = (error: ConfabError) => void;
let onUnauthorized: Unauthorized = () => {};
/** Called when a request of a signed-in session gets 401 (the session ended). */
export function setUnauthorizedHandler(handler: Unauthorized): void {
  onUnauthorized = handler;
}

/** Waits before another attempt at a request a draining server refused (capped: the page waits). */
const DRAINING_MAX_WAIT_MS = 5_000;
const DRAINING_ATTEMPTS = 3;

/**
 * A server that is shutting down (a rolling upgrade) answers `503 draining` having written nothing:
 * the same request — same body, same `Idempotency-Key` — goes again after `Retry-After`, and the
 * load balancer sends it to another server. The user never sees these. Every other failure stays
 * the user's call (a failed send keeps its draft and key for the Retry button).
 */
export async function fetchRetryingDraining(request: Request, wait = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= DRAINING_ATTEMPTS;
    const response = await globalThis.fetch(last ? request : request.clone());
    if (last || response.status !== 503) return response;
    const body = (await response.clone().json().catch(() => null)) as { error?: { code?: string } } | null;
    if (body?.error?.code !== 'draining') return response;
    const seconds = Number(response.headers.get('Retry-After'));
    await response.body?.cancel().catch(() => {});
    await wait(Math.min(DRAINING_MAX_WAIT_MS, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000));
  }
}

export const confab = createConfabClient({
  baseUrl: typeof location === 'undefined' ? 'http://localhost' : location.origin,
  credentials: 'same-origin',
  fetch: (request) => fetchRetryingDraining(request),
  // The user decides about other retries: a failed send keeps its draft and key for the Retry button.
  retry: false,
  // A stream follows its answer for as long as the page shows it (it shows "reconnecting").
  stream: { reconnect: { maxAttempts: Infinity, maxDelayMs: 3000 } },
  onUnauthorized: (e) => onUnauthorized(e),
});
export const api = confab.api;

/** The session's CSRF token (from `GET /v1/me` or the login response), sent on changes. */
export function setCsrfToken(token: string | null | undefined): void {
  confab.setCsrfToken(token);
}

/** Awaits an `api` call: its data, or a `ConfabError` / `ConfabNetworkError`. */
export function call<T>(request: Promise<ApiAnswer<T>>, options: { quiet401?: boolean } = {}): Promise<T> {
  return confab.unwrap(request, options);
}
