import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { byteLength, confab, isAbortError, type ConversationDetail, type Message, type StreamEvent } from '../../../api/client';
import { firstTokenShown, turnFinished } from '../../../api/telemetry';
import { describeError } from '../../../shared/errors';
import { useNotify } from '../../../shared/toast';
import { conversationKey } from '../../conversations/api';
import { isLive } from '../messages';

/**
 * Follows every answer of the conversation that is still being written (also after a reload) and
 * writes what arrives into the cached conversation. Answers are not request/response: they come
 * as server-sent events (confab.events), reattached with Last-Event-ID after a drop. Returns
 * whether a dropped stream is reconnecting.
 */
export function useAnswerStreams(conversationId: string | null, messages: Message[] | undefined): boolean {
  const client = useQueryClient();
  const notify = useNotify();
  const [reconnecting, setReconnecting] = useState(false);

  // Deltas collect here and reach the cache (and so React) once per animation frame.
  const streams = useRef(new Map<string, AbortController>());
  const known = useRef(new Map<string, number>());
  const pending = useRef(new Map<string, string>());
  const frame = useRef<number | null>(null);

  const updateMessages = useCallback(
    (update: (messages: Message[]) => Message[]) => {
      if (!conversationId) return;
      client.setQueryData<ConversationDetail>(conversationKey(conversationId), (d) => d && { ...d, messages: update(d.messages) });
    },
    [client, conversationId],
  );

  const flush = useCallback(() => {
    frame.current = null;
    if (pending.current.size === 0) return;
    const batch = new Map(pending.current);
    pending.current.clear();
    updateMessages((messages) =>
      messages.map((m) => {
        const more = batch.get(m.id);
        return more ? { ...m, content: m.content + more, status: 'streaming' } : m;
      }),
    );
  }, [updateMessages]);

  const onEvent = useCallback(
    (event: StreamEvent) => {
      if (event.type === 'message.delta') {
        const have = known.current.get(event.message_id) ?? 0;
        if (event.offset <= have) return; // already shown (a replay after reconnecting)
        known.current.set(event.message_id, event.offset);
        firstTokenShown(event.message_id);
        pending.current.set(event.message_id, (pending.current.get(event.message_id) ?? '') + event.content);
        frame.current ??= requestAnimationFrame(flush);
      } else if (event.type !== 'message.created') {
        const final = event.message;
        pending.current.delete(final.id);
        turnFinished(final.id, final.status);
        updateMessages((messages) => messages.map((m) => (m.id === final.id ? { ...final, sibling_ids: m.sibling_ids } : m)));
      }
    },
    [flush, updateMessages],
  );

  const follow = useCallback(
    (m: Message) => {
      if (streams.current.has(m.id)) return;
      const controller = new AbortController();
      streams.current.set(m.id, controller);
      known.current.set(m.id, byteLength(m.content));
      const events = confab.events(m.id, {
        lastEventId: String(byteLength(m.content)),
        signal: controller.signal,
        onReconnect: (attempt) => setReconnecting(attempt > 0),
      });
      void (async () => {
        try {
          for await (const event of events) onEvent(event);
        } catch (e) {
          if (!isAbortError(e)) notify.error(describeError(e));
        } finally {
          streams.current.delete(m.id);
          setReconnecting(false);
        }
      })();
    },
    [onEvent, notify],
  );

  useEffect(() => {
    const all = streams.current;
    return () => {
      for (const c of all.values()) c.abort();
      all.clear();
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    };
  }, []);

  useEffect(() => {
    for (const m of messages ?? []) if (isLive(m)) follow(m);
  }, [messages, follow]);

  return reconnecting;
}
