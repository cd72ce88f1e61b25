// Unsent drafts survive reloads: each composer's text, its uploaded files and the idempotency key
// of its pending send live in IndexedDB, so a retry after a network error reuses the key (no
// duplicate turn) with the same message.
import type { AttachedFile } from '../files/attachments';

export interface Draft {
  text: string;
  /** Set when a send was attempted and not confirmed; reused by the retry. */
  idempotencyKey: string | null;
  /** The files uploaded for it, in order (absent in drafts kept before attachments existed). */
  files?: AttachedFile[];
}

const DB = 'confab';
const STORE = 'drafts';
let opening: Promise<IDBDatabase> | null = null;

function db(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opening;
}

async function run<T>(mode: IDBTransactionMode, op: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const store = (await db()).transaction(STORE, mode).objectStore(STORE);
  return new Promise((resolve, reject) => {
    const request = op(store);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function loadDraft(key: string): Promise<Draft | null> {
  try {
    return ((await run('readonly', (s) => s.get(key))) as Draft | undefined) ?? null;
  } catch {
    return null; // private mode or storage disabled: drafts simply do not persist
  }
}

export async function saveDraft(key: string, draft: Draft): Promise<void> {
  try {
    if (!draft.text && !draft.idempotencyKey && !draft.files?.length) await run('readwrite', (s) => s.delete(key));
    else await run('readwrite', (s) => s.put(draft, key));
  } catch {
    /* see loadDraft */
  }
}

export function clearDraft(key: string): Promise<void> {
  return saveDraft(key, { text: '', idempotencyKey: null, files: [] });
}
