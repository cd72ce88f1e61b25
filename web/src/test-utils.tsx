// Helpers of the component tests: a fake Confab behind `fetch`, and a fresh query cache.
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { vi } from 'vitest';
import { createQueryClient } from './api/query';

type Answer = [status: number, body?: unknown];
/** Answers `METHOD /path` (no query string); `url` has the query, `body` the request's JSON. */
type Handler = (request: { method: string; path: string; url: URL; body: unknown }) => Answer | undefined;

/** Puts a fake Confab behind `fetch`; returns the requests it got, as `METHOD /path?query`. */
export function serve(handler: Handler): string[] {
  const asked: string[] = [];
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url);
    asked.push(`${request.method} ${url.pathname}${url.search}`);
    const text = await request.text();
    const [status, body] = handler({ method: request.method, path: url.pathname, url, body: text ? JSON.parse(text) : undefined }) ?? [404, { error: { code: 'not_found', message: 'Not found.' } }];
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  });
  return asked;
}

/** A fresh cache (no retries, so failures show at once) and a wrapper that provides it. */
export function withQueries(): { client: QueryClient; wrapper: (props: { children: ReactNode }) => ReactNode } {
  const client = createQueryClient({ onError: () => {} });
  client.setDefaultOptions({ queries: { ...client.getDefaultOptions().queries, retry: false } });
  return { client, wrapper: ({ children }) => <QueryClientProvider client={client}>{children}</QueryClientProvider> };
}
