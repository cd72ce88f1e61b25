import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call, newIdempotencyKey } from '../../../api/client';
import { turnSent } from '../../../api/telemetry';
import { navigate } from '../../../router';
import { describeError } from '../../../shared/errors';
import { conversationKey, refreshConversationLists } from '../../conversations/api';
import type { AttachedFile } from '../../files/attachments';
import { clearDraft, saveDraft, type Draft } from '../drafts';
import { presetBody, titleFrom } from '../messages';

/** A send error of a new chat, shown by the conversation page it navigates to. */
const carriedErrors = new Map<string, string>();

interface Options {
  /** null for a new chat: the first send creates the conversation, then opens it. */
  conversationId: string | null;
  /** Where a conversation's draft is stored. */
  draftKeyOf: (conversationId: string | null) => string;
  draft: Draft | null;
  setDraft: (draft: Draft) => void;
  /** The message was accepted: the composer starts empty. */
  onSent: () => void;
}

interface Send {
  text: string;
  /** The uploaded files it carries, in order. */
  files?: AttachedFile[];
  /** '' leaves the model to the conversation's preset (or the organisation's default). */
  model: string;
  /** A new chat's preset (see `presetBody`). */
  presetChoice: string;
  /** How many answers at once (1 by default; 2–4 stream side by side). */
  choices?: number;
}

/**
 * Sends a message with its files. Its idempotency key is stored with the draft (text and files)
 * before the request goes out, so a retry (even after a reload) reuses it and the server makes the
 * turn once. The whole send is one
 * mutation, so `sending` covers every step; a failure is reported as `error`, above the composer.
 */
export function useSendMessage({ conversationId, draftKeyOf, draft, setDraft, onSent }: Options) {
  const client = useQueryClient();
  const [error, setError] = useState<string | null>(() => {
    const carried = conversationId ? carriedErrors.get(conversationId) : undefined;
    if (conversationId) carriedErrors.delete(conversationId);
    return carried ?? null;
  });

  const mutation = useMutation({
    mutationFn: async ({ text, files = [], model, presetChoice, choices = 1 }: Send) => {
      const key = draft?.idempotencyKey ?? newIdempotencyKey();
      setError(null);
      let id = conversationId;
      let draftKey = draftKeyOf(id);
      try {
        if (!id) {
          const c = await call(api.POST('/v1/conversations', { body: { title: titleFrom(text), ...presetBody(presetChoice) } }));
          id = c.id;
          await clearDraft(draftKey);
          draftKey = draftKeyOf(id);
        }
        // The key is stored with the draft first: a retry (even after a reload) reuses it.
        await saveDraft(draftKey, { text, idempotencyKey: key, files });
        setDraft({ text, idempotencyKey: key, files });
        const sentAt = performance.now();
        const turn = await call(
          api.POST('/v1/conversations/{id}/messages', { params: { path: { id }, header: { 'Idempotency-Key': key } }, body: { content: text, file_ids: files.map((f) => f.id), ...(model ? { model } : {}), ...(choices > 1 ? { choices } : {}) } }),
        );
        // Timed from here to the first token and the end shown (api/telemetry.ts).
        if (typeof turn === 'object' && turn !== null && !turn.replayed) turnSent(turn.assistant_message.id, sentAt);
        await clearDraft(draftKey);
        setDraft({ text: '', idempotencyKey: null, files: [] });
        onSent();
        void refreshConversationLists(client);
        if (!conversationId) navigate(`/c/${id}`);
        else await client.invalidateQueries({ queryKey: conversationKey(id) });
      } catch (e) {
        setError(describeError(e));
        if (!conversationId && id) {
          carriedErrors.set(id, describeError(e));
          void refreshConversationLists(client);
          navigate(`/c/${id}`);
        }
      }
    },
  });

  return { send: (send: Send) => mutation.mutate(send), sending: mutation.isPending, error };
}
