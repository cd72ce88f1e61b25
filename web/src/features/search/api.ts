// Full-text search over the user's conversations, as they type.
import { useRef } from 'react';
import type { Schemas } from '../../api/client';
import { $api } from '../../api/query';
import { useDebouncedValue } from '../../shared/useDebouncedValue';

type Hits = Schemas['SearchHitView'][];

/**
 * The hits for `text`, searched once typing pauses (250 ms). While the next answer is on its way
 * the last hits of this search stay; `null` when the box is empty (or nothing has come yet).
 */
export function useSearch(text: string): Hits | null {
  const q = useDebouncedValue(text.trim(), 250);
  const search = $api.useQuery('get', '/v1/search', { params: { query: { q, limit: 20 } } }, {
    enabled: q !== '',
    meta: { toastErrors: true },
  });
  const shown = useRef<Hits | null>(null);
  if (!text.trim()) shown.current = null;
  else if (q && search.data) shown.current = search.data.items;
  return shown.current;
}
