// The open conversation and the actions on it. Its answers stream in through
// hooks/useAnswerStreams.ts, which writes them into the same cached conversation.
import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, call, newIdempotencyKey, type ConversationDetail } from '../../api/client';
import { $api } from '../../api/query';
import { conversationKey, refreshConversationLists } from '../conversations/api';
import { latestLeaf } from './messages';

/**
 * The conversation as the chat shows it. The page keeps it current itself (the answer streams, and a
 * reload after each turn), so it is never refetched behind the streams' back: a refetch would race
 * them. Closed, it is dropped; opened again, it loads afresh, as today's streams stopped with it.
 */
export function useConversation(id: string | null) {
  return $api.useQuery('get', '/v1/conversations/{id}', { params: { path: { id: id ?? '' } } }, {
    enabled: id !== null,
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
}

/** Reloads a conversation after a turn started (its new answer then streams), and the lists. */
export async function reloadAfterTurn(client: QueryClient, id: string): Promise<void> {
  await client.invalidateQueries({ queryKey: conversationKey(id) });
  void refreshConversationLists(client);
}

/**
 * Regenerate, continue and edit: each starts a turn with a fresh idempotency key; `pending` stays
 * true until the conversation has reloaded with the new answer.
 */
export function useTurns(conversationId: string | null) {
  const client = useQueryClient();
  const started = {
    onSuccess: () => (conversationId ? reloadAfterTurn(client, conversationId) : undefined),
    meta: { toastErrors: true },
  };
  const regenerate = $api.useMutation('post', '/v1/messages/{id}/regenerate', started);
  const resume = $api.useMutation('post', '/v1/messages/{id}/continue', started);
  const edit = $api.useMutation('post', '/v1/messages/{id}/edit', started);
  const turn = (id: string) => ({ path: { id }, header: { 'Idempotency-Key': newIdempotencyKey() } });
  const withModel = (model: string) => (model ? { model } : {});
  return {
    pending: regenerate.isPending || resume.isPending || edit.isPending,
    regenerate: (messageId: string, model: string) => regenerate.mutate({ params: turn(messageId), body: withModel(model) }),
    continue: (messageId: string) => resume.mutate({ params: turn(messageId) }),
    edit: (messageId: string, content: string, model: string) => edit.mutate({ params: turn(messageId), body: { content, ...withModel(model) } }),
  };
}

/** Shows another version of a message: its branch, down to that branch's latest message. */
export function useSwitchBranch(conversationId: string | null) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (to: string): Promise<ConversationDetail | null> => {
      if (!conversationId) return null;
      const path = { id: conversationId };
      const tree = await call(api.GET('/v1/conversations/{id}', { params: { path, query: { view: 'tree' } } }));
      return call(api.PUT('/v1/conversations/{id}/active-branch', { params: { path }, body: { message_id: latestLeaf(tree.messages, to) } }));
    },
    onSuccess: (detail) => {
      if (detail && conversationId) client.setQueryData(conversationKey(conversationId), detail);
    },
    meta: { toastErrors: true },
  });
}

/** "Use this answer": the picked answer of a choice set becomes the branch; the conversation reloads. */
export function usePickChoice(conversationId: string | null) {
  const client = useQueryClient();
  return $api.useMutation('post', '/v1/choice-sets/{id}/pick', {
    onSuccess: () => (conversationId ? client.invalidateQueries({ queryKey: conversationKey(conversationId) }) : undefined),
    meta: { toastErrors: true },
  });
}

/** Stops an answer; what was written so far stays (the stream reports it `cancelled`). */
export const useCancelAnswer = () => $api.useMutation('post', '/v1/messages/{id}/cancel', { meta: { toastErrors: true } });
