// Client-observed turn timings: how long the user waited from pressing send to the first token
// shown and to the complete answer. Reported once per turn to POST /v1/telemetry/turn-timings,
// fire-and-forget: a report never blocks the page, and a failed one is dropped (never shown,
// never retried). Only the two durations and the answer's id leave the browser; no content.
import { confab } from './client';

/** Turns sent from this page and not yet finished, by answer id (bounded: old ones are dropped). */
const turns = new Map<string, { sentAt: number; firstTokenAt?: number }>();
const MAX_TURNS = 50;
/** The server refuses longer waits (one hour). */
const MAX_MS = 3_600_000;

const now = () => performance.now();

/** A send started at `sentAt` (a `performance.now()` taken before the request) made this answer. */
export function turnSent(answerId: string, sentAt: number): void {
  if (turns.size >= MAX_TURNS) {
    const oldest = turns.keys().next().value;
    if (oldest !== undefined) turns.delete(oldest);
  }
  turns.set(answerId, { sentAt });
}

/** The answer's first token is on screen. */
export function firstTokenShown(answerId: string, at = now()): void {
  const turn = turns.get(answerId);
  if (turn && turn.firstTokenAt === undefined) turn.firstTokenAt = at;
}

/** The answer ended (`status` is its final status): reports its timings once. */
export function turnFinished(answerId: string, status: string, at = now()): void {
  const turn = turns.get(answerId);
  if (!turn) return;
  turns.delete(answerId);
  const ms = (t: number | undefined) => (t === undefined ? null : Math.min(MAX_MS, Math.max(0, Math.round(t - turn.sentAt))));
  const body = {
    message_id: answerId,
    send_to_first_token_ms: ms(turn.firstTokenAt),
    send_to_complete_ms: status === 'completed' ? ms(at) : null,
  };
  if (body.send_to_first_token_ms === null && body.send_to_complete_ms === null) return;
  try {
    void confab.api.POST('/v1/telemetry/turn-timings', { body }).catch(() => {});
  } catch {
    // Telemetry never disturbs the chat.
  }
}
