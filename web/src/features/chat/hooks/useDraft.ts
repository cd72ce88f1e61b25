import { useEffect, useState } from 'react';
import { loadDraft, saveDraft, type Draft } from '../drafts';

/**
 * The composer's unsent text and the idempotency key of its pending send, as stored under `key`
 * (null until it has been read). `saveText` keeps what the user types; changed text drops the key.
 */
export function useDraft(key: string) {
  const [draft, setDraft] = useState<Draft | null>(null);
  useEffect(() => {
    let live = true;
    void loadDraft(key).then((d) => live && setDraft(d ?? { text: '', idempotencyKey: null }));
    return () => {
      live = false;
    };
  }, [key]);

  const saveText = (text: string) => {
    const next = { text, idempotencyKey: text === draft?.text ? draft.idempotencyKey : null };
    setDraft(next);
    void saveDraft(key, next);
  };
  return { draft, setDraft, saveText };
}
