// The console's Confab client: @confab/client (openapi-fetch over the generated types) at the API
// base this document was served from, with the session cookie, and TanStack Query hooks over it
// (`$api.useQuery('get', '/v1/users', …)`). Every call of the console goes through these two.
import { ConfabError, createConfabClient } from '@confab/client';
import createQueryHooks from 'openapi-react-query';
import { QueryClient } from '@tanstack/react-query';
import { currentApiBase } from './base';

export { ConfabError, ConfabNetworkError } from '@confab/client';
export type { Schemas } from '@confab/client';

export const apiBase = currentApiBase();

export const confab = createConfabClient({
  baseUrl: apiBase,
  credentials: 'same-origin',
  // Reads are retried by TanStack Query; a change is the admin's to repeat.
  retry: false,
});

type Unauthorized = () => void;
let onUnauthorized: Unauthorized = () => {};
/** Called when a request of a signed-in session gets 401 (the session ended). */
export function setUnauthorizedHandler(handler: Unauthorized): void {
  onUnauthorized = handler;
}

// Every error answer becomes a `ConfabError` (status, code, message, request id), thrown from the
// call, so queries and mutations see one error type.
confab.api.use({
  async onResponse({ response, schemaPath }) {
    if (response.ok) return undefined;
    let body: unknown = null;
    try {
      body = await response.clone().json();
    } catch {
      /* not JSON: the status says enough */
    }
    const error = ConfabError.fromResponse(response, body);
    const quiet = schemaPath === '/v1/me' || schemaPath === '/v1/auth/login';
    if (response.status === 401 && !quiet) onUnauthorized();
    throw error;
  },
});

export const api = confab.api;
export const $api = createQueryHooks(confab.api);

/** The session's CSRF token (from `GET /v1/me` or the login response), sent on changes. */
export function setCsrfToken(token: string | null | undefined): void {
  confab.setCsrfToken(token);
}

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again; network trouble and 5xx may.
      retry: (count, error) => count < 2 && !(error instanceof ConfabError && error.status < 500),
      refetchOnWindowFocus: false,
      staleTime: 10_000,
    },
  },
});

/** A URL under the API base, for links the browser follows itself (downloads). */
export function apiUrl(path: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v);
  const qs = params.toString();
  return `${apiBase}${path}${qs ? `?${qs}` : ''}`;
}

import type { paths } from '@confab/client';
type JsonOf<T> = T extends { content: infer C } ? C[keyof C] : never;
/** The JSON body of an operation's 200 answer: `ResponseOf<'/v1/tenant/overview', 'get'>`. */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: { 200: infer R } } ? JsonOf<R> : never;
