// The typed API client: openapi-fetch over the types generated from openapi/openapi.json
// (`npm run gen` writes schema.d.ts). Every typed call of the app goes through `api`.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Message = Schemas['MessageView'];
export type Conversation = Schemas['ConversationView'];
export type ConversationDetail = Schemas['ConversationDetail'];
export type Me = Schemas['MeView'];

let csrfToken: string | null = null;

/** The session's CSRF token (from `GET /v1/me` or the login response), sent on changes. */
export function setCsrfToken(token: string | null | undefined): void {
  csrfToken = token ?? null;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && request.method !== 'GET' && request.method !== 'HEAD') {
      request.headers.set('X-CSRF-Token', csrfToken);
    }
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: typeof location === 'undefined' ? 'http://localhost' : location.origin,
  credentials: 'same-origin',
});
api.use(csrf);

/** An error answer of the API, with what the user needs to know about it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSecs: number | null = null,
    readonly quota: Schemas['QuotaExceededDetail'] | null = null,
    readonly requestId: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The request never got an answer (offline, connection dropped, server unreachable). */
export class NetworkError extends Error {
  constructor(message = 'The network connection was lost.') {
    super(message);
    this.name = 'NetworkError';
  }
}

type Unauthorized = () => void;
let onUnauthorized: Unauthorized = () => {};
/** Called when a request of a signed-in session gets 401 (the session ended). */
export function setUnauthorizedHandler(handler: Unauthorized): void {
  onUnauthorized = handler;
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Awaits an `api` call: its data, or an `ApiError` / `NetworkError`. */
export async function call<T>(request: Promise<Answer<T>>, options: { quiet401?: boolean } = {}): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await request;
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new NetworkError();
  }
  const { response } = answer;
  if (response.ok) return answer.data as T;
  throw errorFrom(response, answer.error, options.quiet401);
}

export function errorFrom(response: Response, body: unknown, quiet401 = false): ApiError {
  const detail = (body as { error?: Schemas['ErrorDetail'] } | undefined)?.error;
  const retryAfter = response.headers.get('Retry-After');
  if (response.status === 401 && !quiet401) onUnauthorized();
  return new ApiError(
    response.status,
    detail?.code ?? `http_${response.status}`,
    detail?.message ?? (response.statusText || `HTTP ${response.status}`),
    retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null,
    detail?.quota ?? null,
    detail?.request_id ?? null,
  );
}

/** A fresh idempotency key for one user action. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
