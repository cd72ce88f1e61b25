// Scripted HTTP answers for the unit tests: a fetch double that records its requests, SSE bodies
// that end or drop, JSON bodies.

/** A fetch double that serves scripted responses, one per call, and records the requests. */
export function scriptedFetch(responses: (() => Response)[]) {
  const calls: { method: string; url: string; lastEventId: string | null; idempotencyKey: string | null; accept: string | null }[] = [];
  const impl = async (request: Request) => {
    calls.push({
      method: request.method,
      url: request.url,
      lastEventId: request.headers.get('Last-Event-ID'),
      idempotencyKey: request.headers.get('Idempotency-Key'),
      accept: request.headers.get('Accept'),
    });
    const next = responses.shift();
    if (!next) throw new TypeError('no more responses');
    return next();
  };
  return { impl, calls };
}

/** An SSE response that sends `chunks`, then errors (a dropped connection) or ends. */
export function streamOf(chunks: string[], then: 'error' | 'end' = 'end'): Response {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      } else if (then === 'error') controller.error(new TypeError('network error'));
      else controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
