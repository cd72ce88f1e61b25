// The app's Confab client: @confab/client (openapi/sdks/typescript: the generated types, openapi-fetch
// and the answer streams) on this origin with the session cookie. Every typed call goes through `api`.
import { createConfabClient, type ApiAnswer, type ConfabError, type Schemas } from '@confab/client';

export { ConfabError, ConfabNetworkError, byteLength, isAbortError, newIdempotencyKey } from '@confab/client';
export type { Schemas, StreamEvent } from '@confab/client';
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

export const confab = createConfabClient({
  baseUrl: typeof location === 'undefined' ? 'http://localhost' : location.origin,
  credentials: 'same-origin',
  // The user decides about retries: a failed send keeps its draft and key for the Retry button.
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
