// Private mode's calls: whether the organisation allows it, the relay's turns (run by chats.ts),
// and moving a private conversation into the saved history. The conversations themselves come
// from this browser's store through the same query cache as everything else.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext } from 'react';
import { api, call, confab, type ConversationDetail, type Schemas } from '../../api/client';
import { $api } from '../../api/query';
import { refreshConversationLists } from '../conversations/api';
import { privateKeys, type PrivateChats, type PrivateTurnsApi } from './chats';
import { summaryOf, type PrivateConversation } from './store';

/** Whether the organisation allows private chats, and why not (it changes with a policy or a hold). */
export const usePrivateMode = () => $api.useQuery('get', '/v1/private-mode', undefined, { staleTime: 60_000 });

/** Reconnections before a lost answer is kept as partial: about as long as the server holds it. */
const RECONNECTS = 40;

/** The relay, through the SDK's private streams. */
export const relay: PrivateTurnsApi = {
  start: (body, signal) => confab.privateTurn(body, { signal, reconnect: { maxAttempts: RECONNECTS, maxDelayMs: 3000 } }),
  follow: (turnId, lastEventId, signal) => confab.privateEvents(turnId, { lastEventId, signal, reconnect: { maxAttempts: RECONNECTS, maxDelayMs: 3000 } }),
  cancel: async (turnId) => {
    await call(api.POST('/v1/private/turns/{id}/cancel', { params: { path: { id: turnId } } }));
  },
};

export const PrivateChatsContext = createContext<PrivateChats | null>(null);

/** The signed-in user's private chats (see App's provider). */
export function usePrivateChats(): PrivateChats {
  const chats = useContext(PrivateChatsContext);
  if (!chats) throw new Error('usePrivateChats outside PrivateChatsContext');
  return chats;
}

/** The sidebar's list: titles, newest first. */
export function usePrivateList() {
  const chats = usePrivateChats();
  return useQuery({
    queryKey: privateKeys.list(chats.owner),
    queryFn: async () => (await chats.all()).map(summaryOf),
    meta: { toastErrors: true },
  });
}

/**
 * One conversation as it is now: loaded from the store, then kept current by the chats while an
 * answer streams (never refetched behind their back). null: not in this browser.
 */
export function usePrivateConversation(id: string | null) {
  const chats = usePrivateChats();
  return useQuery({
    queryKey: privateKeys.conversation(chats.owner, id ?? ''),
    queryFn: () => chats.conversation(id ?? ''),
    enabled: id !== null,
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
}

type ImportBody = Schemas['ImportConversation'];

/** The body of `POST /v1/conversations/import`: the messages with text, answers as completed or partial. */
export function importBody(c: PrivateConversation): ImportBody {
  return {
    title: c.title,
    messages: c.messages
      .filter((m) => m.content.trim() !== '') // the server refuses empty messages
      .map((m) =>
        m.role === 'user'
          ? { role: 'user', content: m.content }
          : { role: 'assistant', content: m.content, status: m.status === 'completed' ? 'completed' : 'partial', model: m.model ?? null },
      ),
  };
}

/**
 * The idempotency key of saving this conversation as it stands: the private chat's id and a digest
 * of the body. Saving again after a lost answer returns the copy already saved, not a second one;
 * once the conversation has changed, it is a new save.
 */
export function importKey(id: string, body: ImportBody): string {
  // Two FNV-1a hashes (different offsets) of the JSON: a change detector within one private chat,
  // not a security measure, and it works without `crypto.subtle` (a plain-HTTP intranet address).
  const text = JSON.stringify(body);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193 + 2) >>> 0;
  }
  return `private-${id}-${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}

/** Saves a private conversation as an ordinary one (the caller then deletes the private copy). */
export function useMoveToSaved() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (c: PrivateConversation): Promise<ConversationDetail> => {
      const body = importBody(c);
      const key = importKey(c.id, body);
      return call(api.POST('/v1/conversations/import', { params: { header: { 'Idempotency-Key': key } }, body }));
    },
    onSuccess: () => void refreshConversationLists(client),
    meta: { toastErrors: true },
  });
}
