// Private conversations live only here: in this browser's IndexedDB (its own database, apart from
// the drafts'), one record per conversation, scoped to the signed-in user in the active tenant.
// The server never stores them; it relays each turn and forgets it.
import { newIdempotencyKey } from '../../api/client';

export type PrivateStatus = 'completed' | 'streaming' | 'partial' | 'failed' | 'cancelled';

export interface PrivateError {
  code: string;
  message: string;
}

export interface PrivateMessage {
  id: string;
  role: 'user' | 'assistant';
  /** The text (Markdown for answers); for an answer still streaming, the text so far. */
  content: string;
  /** A user message is `completed`; an answer goes `streaming` → completed / partial / failed / cancelled. */
  status: PrivateStatus;
  created_at: string;
  /** For answers: the model that wrote it. */
  model?: string | null;
  /** The server's turn writing this answer: what a reload reattaches to while it is `streaming`. */
  turn_id?: string | null;
  /** The UTF-8 bytes of the turn's text received so far: the Last-Event-ID to resume after. */
  turn_offset?: number;
  /** Set once a Stop was asked for (the cancel is sent once the turn is known). */
  stop_requested?: boolean;
  /** For failed and partial answers: what went wrong. */
  error?: PrivateError | null;
  /** Older messages the server left out of this turn to fit the model's window. */
  dropped_messages?: number;
}

export interface PrivateConversation {
  id: string;
  /** Whose it is: `<user id>:<tenant id>` (another account on this browser does not see it). */
  owner: string;
  title: string;
  created_at: string;
  updated_at: string;
  /** The model picked for it ('' or null: the preset's or the organisation's default). */
  model: string | null;
  preset_id: string | null;
  messages: PrivateMessage[];
}

/** What the sidebar lists. */
export type PrivateSummary = Pick<PrivateConversation, 'id' | 'title' | 'updated_at'> & { streaming: boolean };

const DB = 'confab-private';
const STORE = 'conversations';
const BY_OWNER = 'owner';
let opening: Promise<IDBDatabase> | null = null;

function db(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(STORE, { keyPath: 'id' });
      store.createIndex(BY_OWNER, 'owner');
    };
    request.onsuccess = () => {
      // Another tab upgrading the database (a newer release) must not be blocked by this one.
      request.result.onversionchange = () => {
        request.result.close();
        opening = null;
      };
      resolve(request.result);
    };
    request.onerror = () => reject(request.error ?? new Error('IndexedDB is not available'));
    request.onblocked = () => reject(new Error('another tab holds an older version of the private chats'));
  }).catch((e: unknown) => {
    opening = null; // try again next time (storage may have been re-enabled)
    throw e;
  });
  return opening;
}

/** Runs `op` in one transaction and resolves once it has committed. */
async function transaction<T>(mode: IDBTransactionMode, op: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T> {
  const tx = (await db()).transaction(STORE, mode);
  return new Promise<T>((resolve, reject) => {
    let result: T;
    const request = op(tx.objectStore(STORE));
    if (request) request.onsuccess = () => (result = request.result);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('the private chats could not be saved'));
  });
}

/** The user's conversations, most recently changed first. */
export async function listPrivate(owner: string): Promise<PrivateConversation[]> {
  const all = await transaction<PrivateConversation[]>('readonly', (s) => s.index(BY_OWNER).getAll(owner));
  return all.sort((a, b) => b.updated_at.localeCompare(a.updated_at));
}

export function summaryOf(c: PrivateConversation): PrivateSummary {
  return { id: c.id, title: c.title, updated_at: c.updated_at, streaming: c.messages.some((m) => m.status === 'streaming') };
}

export async function loadPrivate(owner: string, id: string): Promise<PrivateConversation | null> {
  const c = await transaction<PrivateConversation | undefined>('readonly', (s) => s.get(id));
  return c && c.owner === owner ? c : null;
}

export function savePrivate(c: PrivateConversation): Promise<void> {
  return transaction('readwrite', (s) => void s.put(c));
}

export function deletePrivate(owner: string, id: string): Promise<void> {
  return transaction('readwrite', (s) => {
    // Read and delete in one transaction: only the owner's record goes.
    const read = s.get(id);
    read.onsuccess = () => {
      if ((read.result as PrivateConversation | undefined)?.owner === owner) s.delete(id);
    };
  });
}

/**
 * Adds conversations (an import), all or none. One whose id is already taken in this browser (or
 * earlier in the same import) gets a fresh id; the answer is the ids they are stored under, in order.
 */
export async function addPrivate(owner: string, conversations: Omit<PrivateConversation, 'owner'>[]): Promise<string[]> {
  const ids: string[] = [];
  await transaction('readwrite', (s) => {
    const taken = s.getAllKeys();
    taken.onsuccess = () => {
      const used = new Set(taken.result.map(String));
      for (const c of conversations) {
        const id = used.has(c.id) ? newId() : c.id;
        used.add(id);
        ids.push(id);
        s.put({ ...c, id, owner });
      }
    };
  });
  return ids;
}

/** A fresh id (a UUID, also on a plain-HTTP page where `crypto.randomUUID` is missing). */
export const newId = (): string => newIdempotencyKey();
