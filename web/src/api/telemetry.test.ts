import { afterEach, describe, expect, it, vi } from 'vitest';
import { serve } from '../test-utils';
import { firstTokenShown, turnFinished, turnSent } from './telemetry';

afterEach(() => vi.unstubAllGlobals());

/** Waits for the fire-and-forget request to reach the fake server. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('turn timings', () => {
  it('reports send→first token and send→complete once per turn, and nothing else', async () => {
    const bodies: unknown[] = [];
    const asked = serve(({ method, path, body }) => {
      if (method === 'POST' && path === '/v1/telemetry/turn-timings') {
        bodies.push(body);
        return [204];
      }
      return undefined;
    });
    turnSent('a1', 1000);
    firstTokenShown('a1', 1420);
    firstTokenShown('a1', 1500); // only the first counts
    turnFinished('a1', 'completed', 2800);
    turnFinished('a1', 'completed', 2900); // reported once
    turnFinished('unknown', 'completed', 100); // not sent from this page: nothing
    await settle();
    expect(asked).toEqual(['POST /v1/telemetry/turn-timings']);
    expect(bodies).toEqual([{ message_id: 'a1', send_to_first_token_ms: 420, send_to_complete_ms: 1800 }]);
  });

  it('sends no complete time for an answer that did not complete, and nothing without any time', async () => {
    const bodies: unknown[] = [];
    serve(({ body }) => {
      bodies.push(body);
      return [204];
    });
    turnSent('a2', 0);
    firstTokenShown('a2', 250);
    turnFinished('a2', 'cancelled', 900);
    turnSent('a3', 0);
    turnFinished('a3', 'failed', 900);
    await settle();
    expect(bodies).toEqual([{ message_id: 'a2', send_to_first_token_ms: 250, send_to_complete_ms: null }]);
  });

  it('never throws or rejects when the report fails', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('offline')));
    turnSent('a4', 0);
    expect(() => turnFinished('a4', 'completed', 10)).not.toThrow();
    await settle();
    serve(() => [500, { error: { code: 'internal', message: 'no' } }]);
    turnSent('a5', 0);
    expect(() => turnFinished('a5', 'completed', 10)).not.toThrow();
    await settle();
  });
});
