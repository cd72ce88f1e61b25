import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfabError, ConfabNetworkError, setUnauthorizedHandler } from './client';
import { $api, createQueryClient, retryRead } from './query';

/** Answers every request with `status` and an error body. */
function serve(status: number) {
  const body = { error: { code: 'x', message: 'No.', request_id: 'req-7' } };
  vi.stubGlobal('fetch', async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
}

afterEach(() => {
  vi.unstubAllGlobals();
  setUnauthorizedHandler(() => {});
});

describe('$api', () => {
  it('fails with a ConfabError that keeps the status and request id', async () => {
    serve(404);
    const client = createQueryClient({ onError: () => {} });
    const error = await client.fetchQuery($api.queryOptions('get', '/v1/presets')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfabError);
    expect(error).toMatchObject({ status: 404, requestId: 'req-7' });
  });

  it('reports a 401 as an ended session, except where 401 means nobody is signed in', async () => {
    serve(401);
    const ended = vi.fn();
    setUnauthorizedHandler(ended);
    const client = createQueryClient({ onError: () => {} });
    await client.fetchQuery($api.queryOptions('get', '/v1/me')).catch(() => {});
    expect(ended).not.toHaveBeenCalled();
    await client.fetchQuery($api.queryOptions('get', '/v1/presets')).catch(() => {});
    expect(ended).toHaveBeenCalledOnce();
  });
});

describe('the query client', () => {
  it('toasts the failures of requests that ask for it, but not a 401 (the ended session has its notice)', async () => {
    const onError = vi.fn();
    const client = createQueryClient({ onError });
    serve(500);
    await client.fetchQuery($api.queryOptions('get', '/v1/models', undefined, { retry: false })).catch(() => {});
    expect(onError).not.toHaveBeenCalled();
    const toasting = { retry: false, meta: { toastErrors: true } };
    await client.fetchQuery($api.queryOptions('get', '/v1/presets', undefined, toasting)).catch(() => {});
    expect(onError).toHaveBeenCalledOnce();
    serve(401);
    await client.fetchQuery($api.queryOptions('get', '/v1/shares', undefined, toasting)).catch(() => {});
    expect(onError).toHaveBeenCalledOnce();
  });

  it('retries a read after a lost connection or a 5xx, never after a 4xx', () => {
    const answer = (status: number) => new ConfabError({ status, code: 'x', message: 'x' });
    expect(retryRead(0, answer(404))).toBe(false);
    expect(retryRead(0, answer(429))).toBe(false);
    expect(retryRead(0, answer(503))).toBe(true);
    expect(retryRead(1, new ConfabNetworkError())).toBe(true);
    expect(retryRead(2, new ConfabNetworkError())).toBe(false);
  });
});
