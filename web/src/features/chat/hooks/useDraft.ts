import { useCallback, useEffect, useRef, useState } from 'react';
import { filesKey } from '../../files/attachments';
import { loadDraft, saveDraft, type Draft } from '../drafts';

/**
 * The composer's unsent text and files and the idempotency key of its pending send, as stored
 * under `key` (null until it has been read). `saveText` and `saveFiles` keep what the user writes
 * and attaches; a changed message drops the key (a retry of it would be another message).
 */
export function useDraft(key: string) {
  const [draft, setDraftState] = useState<Draft | null>(null);
  // Text and files may change in the same moment: each change builds on the one before.
  const latest = useRef<Draft | null>(null);
  useEffect(() => {
    let live = true;
    void loadDraft(key).then((d) => {
      if (!live) return;
      latest.current = d ?? { text: '', idempotencyKey: null };
      setDraftState(latest.current);
    });
    return () => {
      live = false;
    };
  }, [key]);

  const setDraft = useCallback((next: Draft) => {
    latest.current = next;
    setDraftState(next);
  }, []);

  const save = useCallback(
    (change: Partial<Pick<Draft, 'text' | 'files'>>) => {
      const before = latest.current ?? { text: '', idempotencyKey: null };
      const next = { ...before, ...change };
      const same = next.text === before.text && filesKey(next.files) === filesKey(before.files);
      next.idempotencyKey = same ? before.idempotencyKey : null;
      setDraft(next);
      void saveDraft(key, next);
    },
    [key, setDraft],
  );
  const saveText = useCallback((text: string) => save({ text }), [save]);
  const saveFiles = useCallback((files: Draft['files']) => save({ files }), [save]);
  return { draft, setDraft, saveText, saveFiles };
}
