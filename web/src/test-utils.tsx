// Helpers of the component tests: a fake Confab behind `fetch`, and a fresh query cache.
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { vi } from 'vitest';
import { createQueryClient } from './api/query';

type Answer = [status: number, body?: unknown];
/**
 * Answers `METHOD /path` (no query string); `url` has the query, `body` the request's JSON (or
 * its text when it is not JSON: an upload), `headers` its headers. A Blob answer goes as is.
 */
type Handler = (request: { method: string; path: string; url: URL; body: unknown; headers: Headers }) => Answer | Promise<Answer | undefined> | undefined;

/** Puts a fake Confab behind `fetch`; returns the requests it got, as `METHOD /path?query`. */
export function serve(handler: Handler): string[] {
  const asked: string[] = [];
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url);
    asked.push(`${request.method} ${url.pathname}${url.search}`);
    const text = await request.text();
    const json = request.headers.get('Content-Type')?.includes('json') ?? false;
    const body = text ? (json ? JSON.parse(text) : text) : undefined;
    const [status, answer] = (await handler({ method: request.method, path: url.pathname, url, body, headers: request.headers })) ?? [404, { error: { code: 'not_found', message: 'Not found.' } }];
    if (isBlob(answer)) return new Response(answer, { status, headers: { 'Content-Type': answer.type || 'application/octet-stream' } });
    return new Response(answer === undefined ? null : JSON.stringify(answer), { status, headers: { 'Content-Type': 'application/json' } });
  });
  return asked;
}

/** A Blob of either kind: jsdom's, or Node's (`node:buffer`, the one Node's fetch can send). */
const isBlob = (value: unknown): value is Blob => typeof (value as Blob | null)?.arrayBuffer === 'function';

/** A fresh cache (no retries, so failures show at once) and a wrapper that provides it. */
export function withQueries(): { client: QueryClient; wrapper: (props: { children: ReactNode }) => ReactNode } {
  const client = createQueryClient({ onError: () => {} });
  client.setDefaultOptions({ queries: { ...client.getDefaultOptions().queries, retry: false } });
  return { client, wrapper: ({ children }) => <QueryClientProvider client={client}>{children}</QueryClientProvider> };
}
