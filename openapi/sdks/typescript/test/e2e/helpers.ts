// What the e2e tests share: the seed of the running confab-sdk-e2e-server, clients, and an HTTP
// proxy in front of the real server that can lose answers or cut connections (real network
// faults; the server behind it is never mocked).
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { byteLength, createConfabClient, type ConfabClient, type ConfabClientOptions, type StreamEvent } from '../../src/index.js';

interface Account {
  email: string;
  password: string;
  token: string;
}
export interface Seed {
  base: string;
  upstream: string;
  models: string[];
  admin: Account;
  member: Account;
  quota_user: Account;
  other_tenant: Account;
}

const raw = process.env.CONFAB_E2E;
if (!raw) throw new Error('CONFAB_E2E is not set: run the e2e tests with `npm run e2e` (it starts the server)');
export const seed: Seed = JSON.parse(raw) as Seed;

export function client(account: Account = seed.member, options: Partial<ConfabClientOptions> = {}): ConfabClient {
  return createConfabClient({ baseUrl: seed.base, token: account.token, ...options });
}

/** The scripted upstream's reply of `n` tokens: `t0 t1 … t{n-1} `. */
export function expected(n: number): string {
  return Array.from({ length: n }, (_, i) => `t${i} `).join('');
}

export async function newConversation(c: ConfabClient, title = 'sdk e2e'): Promise<string> {
  const conversation = await c.unwrap(c.api.POST('/v1/conversations', { body: { title } }));
  return conversation.id;
}

/**
 * Checks that `events` are a gapless, duplicate-free run of deltas after `after` (the offset the
 * reader had) and returns their text: each delta's offset is the previous one plus its length in bytes.
 */
export function deltaText(events: StreamEvent[], after: number): string {
  let offset = after;
  let text = '';
  for (const e of events) {
    if (e.type !== 'message.delta') continue;
    assert.equal(e.offset, offset + byteLength(e.content), `delta at ${offset} (${JSON.stringify(e.content)}) has offset ${e.offset}`);
    offset = e.offset;
    text += e.content;
  }
  return text;
}

export interface Seen {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  lastEventId: string | undefined;
}

/**
 * An HTTP proxy to the real server. `loseAnswer(match)` makes the next matching request reach the
 * server but drops the connection instead of answering; `cut()` drops every open connection.
 */
export async function faultyProxy() {
  const target = new URL(seed.base);
  const sockets = new Set<Socket>();
  const upstreams = new Set<ClientRequest>();
  const seen: Seen[] = [];
  let lose: ((req: IncomingMessage) => boolean) | null = null;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({
      method: req.method ?? '',
      path: req.url ?? '',
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      lastEventId: req.headers['last-event-id'] as string | undefined,
    });
    const dropAnswer = lose?.(req) ?? false;
    if (dropAnswer) lose = null;
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: false },
      (answer) => {
        if (dropAnswer) {
          // The server did the work; the client never hears of it.
          answer.resume();
          answer.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    // A client that hangs up (or is cut off) hangs up on the server too.
    res.on('close', () => upstream.destroy());
    upstreams.add(upstream);
    upstream.on('close', () => upstreams.delete(upstream));
    req.pipe(upstream);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no proxy address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    seen,
    loseAnswer(match: (req: IncomingMessage) => boolean) {
      lose = match;
    },
    cut() {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        for (const u of upstreams) u.destroy();
        server.close(() => resolve());
      }),
  };
}
