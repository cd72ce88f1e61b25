// What a private turn does to the answer it writes, as pure functions: the events applied in
// order (a replay after reattaching changes nothing), the end after a failure, and the history a
// turn sends.
import { ConfabError, isAbortError, type PrivateTurnEvent } from '../../api/client';
import { describeError } from '../../shared/errors';
import type { PrivateConversation, PrivateMessage } from './store';

/** Applies one event of the answer's turn. */
export function applyTurnEvent(answer: PrivateMessage, event: PrivateTurnEvent): PrivateMessage {
  switch (event.type) {
    case 'turn.created':
      // Seen again on a replay from the start: the offset already counts this turn's text.
      if (answer.turn_id === event.turn_id) return answer;
      return { ...answer, status: 'streaming', turn_id: event.turn_id, turn_offset: 0, model: event.model, dropped_messages: event.dropped_messages, error: null };
    case 'turn.delta': {
      const have = answer.turn_offset ?? 0;
      if (event.offset <= have) return answer; // already received (a replay after reattaching)
      return { ...answer, content: answer.content + event.content, turn_offset: event.offset };
    }
    case 'turn.completed':
      return { ...answer, status: 'completed', error: null };
    case 'turn.failed':
      return { ...answer, status: event.status, error: event.error };
    case 'turn.cancelled':
      return { ...answer, status: 'cancelled', error: null };
  }
}

/**
 * The answer after its stream ended without a final event. Left alone (`null`) when the page gave
 * it up (aborted): it stays `streaming`, to be resumed. Refused before it started: `failed` with
 * the server's reason. Lost after it started (the connection, or a server that no longer holds
 * it): what came is kept as `partial`, to be continued.
 */
export function afterStreamError(answer: PrivateMessage, error: unknown): PrivateMessage | null {
  if (isAbortError(error)) return null;
  if (!answer.turn_id) {
    const code = error instanceof ConfabError ? error.code : 'network';
    return { ...answer, status: 'failed', error: { code, message: describeError(error) } };
  }
  return interrupted(answer, 'The connection to Confab was lost before the answer finished.');
}

/** An answer that can no longer be followed: `partial` with what it has, `failed` with nothing. */
export function interrupted(answer: PrivateMessage, message: string): PrivateMessage {
  return { ...answer, status: answer.content ? 'partial' : 'failed', error: { code: 'interrupted', message } };
}

/** Answers left `streaming` when the page went away: the ones a reload reattaches to. */
export function unfinished(c: PrivateConversation): PrivateMessage[] {
  return c.messages.filter((m) => m.role === 'assistant' && m.status === 'streaming');
}

/** The most messages a turn may carry (the server refuses more). */
export const MAX_HISTORY = 500;

/**
 * The history a turn sends for the answer at `index`: the messages before it (the latest
 * MAX_HISTORY), without answers that have no text (failed ones). To continue that answer it is
 * included as the last message: the server continues it.
 */
export function historyFor(c: PrivateConversation, index: number, continuing: boolean): { role: 'user' | 'assistant'; content: string }[] {
  const upTo = continuing ? index + 1 : index;
  return c.messages
    .slice(0, upTo)
    .filter((m) => m.content !== '')
    .slice(-MAX_HISTORY)
    .map((m) => ({ role: m.role, content: m.content }));
}
