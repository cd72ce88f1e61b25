// What the chat works out from messages and choices, without asking the server.
import type { Message, Schemas } from '../../api/client';

/** Whether an answer is still being written (its stream is followed). */
export const isLive = (m: Message) => m.role === 'assistant' && (m.status === 'queued' || m.status === 'streaming');

/** The newest message at the end of the newest path below `id` (messages come oldest first). */
export function latestLeaf(messages: Message[], id: string): string {
  let leaf = id;
  for (;;) {
    const children = messages.filter((m) => m.parent_id === leaf);
    const newest = children[children.length - 1];
    if (!newest) return leaf;
    leaf = newest.id;
  }
}

/** A conversation title from its first message: one line of printable text, at most 60 characters. */
export function titleFrom(text: string): string {
  const line = text.replace(/[\p{C}\s]+/gu, ' ').trim();
  return Array.from(line).slice(0, 60).join('').trim() || 'New chat';
}

/** The preset picker's choice (`preset:<id>`, `plugin:<plugin>:<id>` or '') as a new conversation's fields. */
export function presetBody(choice: string): Pick<Schemas['CreateConversation'], 'preset_id' | 'plugin_preset'> {
  if (choice.startsWith('preset:')) return { preset_id: choice.slice('preset:'.length) };
  if (choice.startsWith('plugin:')) {
    const [, plugin = '', ...rest] = choice.split(':');
    return { plugin_preset: { plugin, preset_id: rest.join(':') } };
  }
  return {};
}
