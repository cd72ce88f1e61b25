// Streaming choices: several answers to one message, written at once, shown side by side until
// the user picks one. What the board works out from the conversation and the set's stream.
import { byteLength, type ConversationDetail, type Message, type Schemas, type StreamEvent } from '../../api/client';
import { isLive } from './messages';

export type ChoiceSet = Schemas['ChoiceSetView'];

/** How many answers the composer may ask for at once. */
export const MAX_CHOICES = 4;

/**
 * The choice set to show side by side: one not picked yet whose answers include the message the
 * active branch ends on. After a pick, or once the conversation has moved on, the answers are
 * ordinary versions (‹ 1 / 3 ›) of one message.
 */
export function openChoiceSet(detail: ConversationDetail | undefined): ChoiceSet | null {
  const last = detail?.messages[detail.messages.length - 1];
  if (!detail || !last) return null;
  return detail.choice_sets.find((s) => !s.picked_message_id && s.message_ids.includes(last.id)) ?? null;
}

/**
 * The `Last-Event-ID` that resumes every answer where the page has it: per answer in choice order,
 * its length in bytes while it is written, `x` once it ended.
 */
export function positionsOf(answers: Message[]): string {
  return answers.map((a) => (isLive(a) ? String(byteLength(a.content)) : 'x')).join('.');
}

/** The answers after one event of the set's stream (a delta already shown is skipped). */
export function applyChoiceEvent(answers: Message[], event: StreamEvent): Message[] {
  if (event.type === 'message.created') return answers;
  if (event.type === 'message.delta') {
    return answers.map((a) => {
      if (a.id !== event.message_id) return a;
      const have = byteLength(a.content);
      if (event.offset <= have) return a;
      return { ...a, content: a.content + event.content, status: 'streaming' };
    });
  }
  const final = event.message;
  return answers.map((a) => (a.id === final.id ? { ...final, sibling_ids: a.sibling_ids } : a));
}
