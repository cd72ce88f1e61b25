import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, call, fetchRetryingDraining } from './client';

afterEach(() => vi.unstubAllGlobals());

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const draining = () => json(503, { error: { code: 'draining', message: 'This server is shutting down.' } }, { 'Retry-After': '1' });

describe('a server that is draining', () => {
  it('gets the same send again, with the same key and body, until another server takes it', async () => {
    const seen: { key: string | null; body: string }[] = [];
    let calls = 0;
    vi.stubGlobal('fetch', async (request: Request) => {
      seen.push({ key: request.headers.get('Idempotency-Key'), body: await request.text() });
      calls += 1;
      return calls < 3 ? draining() : json(202, { ok: true });
    });
    const waits: number[] = [];
    const request = new Request('http://localhost/v1/conversations/c1/messages', {
      method: 'POST',
      headers: { 'Idempotency-Key': 'key-1', 'Content-Type': 'application/json' },
      body: JSON.stringify({ content: 'hello' }),
    });
    const response = await fetchRetryingDraining(request, async (ms) => void waits.push(ms));
    expect(response.status).toBe(202);
    expect(waits).toEqual([1000, 1000]);
    expect(seen).toEqual(Array(3).fill({ key: 'key-1', body: '{"content":"hello"}' }));
  });

  it('leaves every other 503 to the user, and gives up after three more attempts', async () => {
    let calls = 0;
    vi.stubGlobal('fetch', async () => {
      calls += 1;
      return json(503, { error: { code: 'unavailable', message: 'The database is unavailable.' } });
    });
    const response = await fetchRetryingDraining(new Request('http://localhost/v1/me'), async () => {});
    expect(response.status).toBe(503);
    expect(calls).toBe(1);

    calls = 0;
    vi.stubGlobal('fetch', async () => {
      calls += 1;
      return draining();
    });
    const error = await call(api.GET('/v1/me')).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(error).toMatchObject({ status: 503, code: 'draining' });
  }, 20_000);
});
