// Server state through TanStack Query: `$api` (openapi-react-query over the generated client) gives
// typed `useQuery` / `useInfiniteQuery` / `useMutation` whose keys are `[method, path, init]`, so
// `['get', '/v1/conversations']` names every page of every conversation list for invalidation.
import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import createQueryHooks from 'openapi-react-query';
import type { ApiAnswer } from '@confab/client';
import { ConfabError, confab } from './client';

/** What a query or mutation asks of the app beyond the call itself. */
export interface RequestMeta extends Record<string, unknown> {
  /** Failures show as an error toast (those shown in place, like a page's load error, do not). */
  toastErrors?: boolean;
}

declare module '@tanstack/react-query' {
  interface Register {
    queryMeta: RequestMeta;
    mutationMeta: RequestMeta;
  }
}

/**
 * The operations whose 401 is an answer (nobody is signed in, a wrong password, a link that needs
 * no session) rather than the end of a session: they do not call the unauthorized handler.
 */
const SIGNED_OUT_ANSWERS = new Set(['/v1/me', '/v1/auth/login', '/v1/public/snapshots/{token}']);

type AnyMethod = (path: string, init?: unknown) => Promise<ApiAnswer<unknown>>;

/**
 * An `api` method that throws what `call` throws (a `ConfabError` after the 401 handler ran, or a
 * `ConfabNetworkError`) instead of answering with the bare error body: the error toasts, the retry
 * policy and the "session ended" handling all need the status. Its type is the method's own.
 */
function throwing<M>(method: M): M {
  const send = method as unknown as AnyMethod;
  const checked: AnyMethod = (path, init) => {
    const answer = send(path, init);
    return confab.unwrap(answer, { quiet401: SIGNED_OUT_ANSWERS.has(path) }).then(() => answer);
  };
  return checked as unknown as M;
}

const api = confab.api;
const throwingApi: typeof api = {
  ...api,
  GET: throwing(api.GET),
  PUT: throwing(api.PUT),
  POST: throwing(api.POST),
  DELETE: throwing(api.DELETE),
  OPTIONS: throwing(api.OPTIONS),
  HEAD: throwing(api.HEAD),
  PATCH: throwing(api.PATCH),
  TRACE: throwing(api.TRACE),
};

/** The typed query hooks of every API call: `$api.useQuery('get', '/v1/presets')`. */
export const $api = createQueryHooks(throwingApi);

/**
 * Reads are retried twice when the connection was lost or the server failed (5xx); a 4xx is the
 * server's answer, and asking again would get the same one.
 */
export function retryRead(failures: number, error: unknown): boolean {
  if (error instanceof ConfabError && error.status < 500) return false;
  return failures < 2;
}

/** The app's cache; `onError` shows the failures of the requests that ask for a toast. */
export function createQueryClient({ onError }: { onError: (error: unknown) => void }): QueryClient {
  const report = (error: unknown, meta: RequestMeta | undefined) => {
    // A 401 has its own notice ("your session has ended") from the unauthorized handler.
    if (meta?.toastErrors && !(error instanceof ConfabError && error.status === 401)) onError(error);
  };
  return new QueryClient({
    queryCache: new QueryCache({ onError: (error, query) => report(error, query.meta) }),
    mutationCache: new MutationCache({ onError: (error, _variables, _context, mutation) => report(error, mutation.meta) }),
    defaultOptions: {
      // Lists and catalogues may be a little old; what the user changes here is invalidated at once.
      queries: { staleTime: 30_000, retry: retryRead },
      // The user decides about retrying a change (a failed send keeps its draft and key for Retry).
      mutations: { retry: false },
    },
  });
}
