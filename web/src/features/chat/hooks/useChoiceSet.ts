import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { confab, isAbortError, type Message } from '../../../api/client';
import { $api } from '../../../api/query';
import { describeError } from '../../../shared/errors';
import { useNotify } from '../../../shared/toast';
import { applyChoiceEvent, positionsOf } from '../choices';

const setKey = (id: string) => ['get', '/v1/choice-sets/{id}', { params: { path: { id } } }];

/**
 * A choice set's answers, kept current from one stream that carries them all
 * (`GET /v1/choice-sets/{id}/events`): opened where the page has each answer, reattached with one
 * `Last-Event-ID` after a drop. Events reach the cache (and so React) once per animation frame.
 * Returns the answers in choice order and whether the stream is reconnecting.
 */
export function useChoiceSet(id: string | null): { answers: Message[] | undefined; reconnecting: boolean } {
  const client = useQueryClient();
  const notify = useNotify();
  const [reconnecting, setReconnecting] = useState(false);
  const query = $api.useQuery('get', '/v1/choice-sets/{id}', { params: { path: { id: id ?? '' } } }, {
    enabled: id !== null,
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
  const loaded = query.data !== undefined;
  const answers = useRef<Message[]>([]);
  answers.current = query.data?.answers ?? [];

  useEffect(() => {
    if (!loaded || id === null) return;
    const lastEventId = positionsOf(answers.current);
    if (lastEventId.split('.').every((p) => p === 'x')) return; // every answer has ended
    const controller = new AbortController();
    const queued: Parameters<typeof applyChoiceEvent>[1][] = [];
    let frame: number | null = null;
    const flush = () => {
      frame = null;
      const events = queued.splice(0);
      client.setQueryData(setKey(id), (d: { answers: Message[] } | undefined) =>
        d && { ...d, answers: events.reduce(applyChoiceEvent, d.answers) },
      );
    };
    const stream = confab.choiceEvents(id, {
      lastEventId,
      signal: controller.signal,
      onReconnect: (attempt) => setReconnecting(attempt > 0),
    });
    void (async () => {
      try {
        for await (const event of stream) {
          queued.push(event);
          frame ??= requestAnimationFrame(flush);
        }
      } catch (e) {
        if (!isAbortError(e)) notify.error(describeError(e));
      } finally {
        setReconnecting(false);
      }
    })();
    return () => {
      controller.abort();
      if (frame !== null) cancelAnimationFrame(frame);
    };
  }, [id, loaded, client, notify]);

  return { answers: query.data?.answers, reconnecting };
}
