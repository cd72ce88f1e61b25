// @confab/client: the Confab API from TypeScript, in Node (API token) and in the browser (session).
export { createConfabClient, newIdempotencyKey } from './client.js';
export type { ApiAnswer, AttachOptions, ConfabClient, ConfabClientOptions, TurnStreamOptions } from './client.js';
export { ConfabError, ConfabNetworkError, isAbortError, parseRetryAfter } from './errors.js';
export { retryingFetch, type FetchLike, type RetryOptions } from './retry.js';
export { EventStream, MessageStream, PrivateTurnStream, type PrivateTurnEnd, type ReconnectOptions, type StreamOptions } from './stream.js';
export { SseParser, byteLength, type SseMessage } from './sse.js';
export type * from './types.js';
