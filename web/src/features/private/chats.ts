// The private conversations of the signed-in user, and the turns answering them. A turn runs here,
// not in a component: it goes on while the user looks at another conversation, its answer is
// written to IndexedDB as it streams (every SAVE_EVERY_MS and at the end), and an answer a closed
// page left `streaming` is resumed on the next load from where it was stored (Last-Event-ID),
// or kept as `partial` once the server no longer holds it. The views read the conversations
// through TanStack Query; this module keeps the cached copies current.
import type { QueryClient } from '@tanstack/react-query';
import { ConfabError, type PrivateTurnEvent, type PrivateTurnBody } from '../../api/client';
import { titleFrom } from '../chat/messages';
import {
  addPrivate,
  deletePrivate,
  listPrivate,
  loadPrivate,
  newId,
  savePrivate,
  type PrivateConversation,
  type PrivateMessage,
} from './store';
import { afterStreamError, applyTurnEvent, historyFor, interrupted, unfinished } from './turns';

/** How often an answer being written is stored (and at its end). */
export const SAVE_EVERY_MS = 400;

/** The channel on which this browser's tabs announce stored changes. */
const TABS = 'confab-private-chats';
interface Changed {
  owner: string;
  id: string;
}

/** A turn's events as the SDK streams them (`confab.privateTurn` / `confab.privateEvents`). */
export type TurnEvents = AsyncIterable<PrivateTurnEvent>;

/** What the chats need of the server. */
export interface PrivateTurnsApi {
  start: (body: PrivateTurnBody, signal: AbortSignal) => TurnEvents;
  /** Follows a turn after the event `lastEventId`; fails with a ConfabError 404 once it is gone. */
  follow: (turnId: string, lastEventId: string, signal: AbortSignal) => TurnEvents;
  cancel: (turnId: string) => Promise<void>;
}

/** The query keys of one user's private conversations. */
export const privateKeys = {
  all: (owner: string) => ['private', owner] as const,
  list: (owner: string) => ['private', owner, 'list'] as const,
  conversation: (owner: string, id: string) => ['private', owner, 'conversation', id] as const,
};

export interface SendOptions {
  /** '' or null: the preset's or the organisation's default model. */
  model: string | null;
  /** For a new conversation: its preset. */
  presetId?: string | null;
}

export class PrivateChats {
  /** The conversations with an answer being written, as they are now (ahead of what is stored). */
  private readonly live = new Map<string, PrivateConversation>();
  /** The running turns, by the answer they write. */
  private readonly running = new Map<string, AbortController>();
  private readonly saves = new Map<string, ReturnType<typeof setTimeout>>();
  private published = new Set<string>();
  private resuming: Promise<void> | null = null;
  private frame: ReturnType<typeof setTimeout> | null = null;

  /** Tells this browser's other tabs of a stored change (they would otherwise show and resend a stale copy). */
  private readonly tabs: BroadcastChannel | null;

  constructor(
    readonly owner: string,
    readonly client: QueryClient,
    private readonly api: PrivateTurnsApi,
    private readonly saveEveryMs = SAVE_EVERY_MS,
  ) {
    this.tabs = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(TABS);
    if (this.tabs) this.tabs.onmessage = (e: MessageEvent<Changed>) => void this.changedElsewhere(e.data);
  }

  /** The conversation as it is now: the live copy while an answer streams, else the stored one. */
  async conversation(id: string): Promise<PrivateConversation | null> {
    const shown = this.client.getQueryData<PrivateConversation | null>(privateKeys.conversation(this.owner, id));
    return this.live.get(id) ?? shown ?? (await loadPrivate(this.owner, id));
  }

  /** Sends a message (in a new conversation when `id` is null) and starts its answer; the conversation's id. */
  async send(id: string | null, text: string, options: SendOptions): Promise<string> {
    const now = new Date().toISOString();
    const existing = id ? await this.conversation(id) : null;
    if (id && !existing) throw new Error('This private conversation is not in this browser any more.');
    const c: PrivateConversation = existing ?? {
      id: newId(),
      owner: this.owner,
      title: titleFrom(text),
      created_at: now,
      updated_at: now,
      model: null,
      preset_id: options.presetId || null,
      messages: [],
    };
    const answer: PrivateMessage = { id: newId(), role: 'assistant', content: '', status: 'streaming', created_at: now, turn_offset: 0 };
    const next: PrivateConversation = {
      ...c,
      model: options.model || null,
      updated_at: now,
      messages: [...c.messages, { id: newId(), role: 'user', content: text, status: 'completed', created_at: now }, answer],
    };
    await this.store(next);
    this.start(next, answer.id, false);
    return next.id;
  }

  /** Continues a partial answer: a new turn whose history ends with it; its text is appended. */
  continue(id: string, answerId: string): Promise<void> {
    return this.restart(id, answerId, (a) => ({ ...a, status: 'streaming', turn_id: null, turn_offset: 0, error: null, stop_requested: false }), true);
  }

  /** Answers again in place of a failed, stopped or unwanted answer. */
  rerun(id: string, answerId: string): Promise<void> {
    return this.restart(id, answerId, (a) => ({ ...a, content: '', status: 'streaming', turn_id: null, turn_offset: 0, error: null, stop_requested: false, dropped_messages: 0 }), false);
  }

  /** Stops the conversation's answers; each ends `cancelled` with what it had (the stream says so). */
  async stop(id: string): Promise<void> {
    const c = this.live.get(id);
    if (!c) return;
    for (const answer of unfinished(c)) {
      if (answer.turn_id) await this.api.cancel(answer.turn_id);
      else this.update(id, answer.id, (a) => ({ ...a, stop_requested: true })); // cancelled once the turn is known
    }
  }

  /** Deletes a conversation from this browser (its running answer is dropped). */
  async remove(id: string): Promise<void> {
    const c = this.live.get(id);
    for (const answer of c ? unfinished(c) : []) {
      this.running.get(answer.id)?.abort();
      if (answer.turn_id) void this.api.cancel(answer.turn_id).catch(() => {});
    }
    this.live.delete(id);
    clearTimeout(this.saves.get(id));
    this.saves.delete(id);
    await deletePrivate(this.owner, id);
    this.tabs?.postMessage({ owner: this.owner, id } satisfies Changed);
    this.client.removeQueries({ queryKey: privateKeys.conversation(this.owner, id) });
    await this.client.invalidateQueries({ queryKey: privateKeys.list(this.owner) });
  }

  /** Stores imported conversations; their ids in this browser (new ones where the file's were taken). */
  async add(conversations: Omit<PrivateConversation, 'owner'>[]): Promise<string[]> {
    const ids = await addPrivate(this.owner, conversations);
    for (const id of ids) this.tabs?.postMessage({ owner: this.owner, id } satisfies Changed);
    await this.client.invalidateQueries({ queryKey: privateKeys.list(this.owner) });
    return ids;
  }

  /** Every conversation as stored, newest first (for "export all"), live ones as they are now. */
  async all(): Promise<PrivateConversation[]> {
    return (await listPrivate(this.owner)).map((c) => this.live.get(c.id) ?? c);
  }

  /**
   * Resumes the answers a closed page left `streaming`: from the stored offset while the server
   * still holds the turn; kept as they are, `partial`, when it does not. One that never got a turn
   * cannot be found again: it is `failed`, to be retried.
   */
  resumeAll(): Promise<void> {
    this.resuming ??= this.resumeStored().finally(() => (this.resuming = null));
    return this.resuming;
  }

  private async resumeStored(): Promise<void> {
    for (const c of await listPrivate(this.owner)) {
      if (this.live.has(c.id)) continue;
      for (const answer of unfinished(c)) {
        if (this.running.has(answer.id)) continue;
        if (answer.turn_id) {
          this.live.set(c.id, this.live.get(c.id) ?? c);
          this.follow(c.id, answer.id, answer.turn_id, String(answer.turn_offset ?? 0));
        } else {
          const lost = interrupted(answer, 'The page was closed before the answer started.');
          await this.store({ ...c, messages: c.messages.map((m) => (m.id === answer.id ? lost : m)) });
        }
      }
    }
  }

  /** Leaves every running turn: their answers stay `streaming` (stored), for the next `resumeAll`. */
  pause(): void {
    for (const controller of this.running.values()) controller.abort();
    this.tabs?.close();
  }

  /** Another tab stored or deleted a conversation: show it as stored (unless a turn runs here). */
  private async changedElsewhere(changed: Changed): Promise<void> {
    if (changed.owner !== this.owner) return;
    void this.client.invalidateQueries({ queryKey: privateKeys.list(this.owner) });
    if (this.live.has(changed.id)) return;
    const key = privateKeys.conversation(this.owner, changed.id);
    if (this.client.getQueryData(key) === undefined) return;
    this.client.setQueryData(key, await loadPrivate(this.owner, changed.id).catch(() => null));
  }

  /** Resolves once no turn is running (for tests). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private async restart(id: string, answerId: string, reset: (a: PrivateMessage) => PrivateMessage, continuing: boolean): Promise<void> {
    const c = await this.conversation(id);
    if (!c || this.running.has(answerId)) return;
    const next = { ...c, updated_at: new Date().toISOString(), messages: c.messages.map((m) => (m.id === answerId ? reset(m) : m)) };
    await this.store(next);
    this.start(next, answerId, continuing);
  }

  private start(c: PrivateConversation, answerId: string, continuing: boolean): void {
    const index = c.messages.findIndex((m) => m.id === answerId);
    const body: PrivateTurnBody = {
      messages: historyFor(c, index, continuing),
      ...(c.model ? { model: c.model } : {}),
      ...(c.preset_id ? { preset_id: c.preset_id } : {}),
    };
    this.live.set(c.id, c);
    this.run(c.id, answerId, (signal) => this.api.start(body, signal));
  }

  private follow(id: string, answerId: string, turnId: string, lastEventId: string): void {
    this.run(id, answerId, (signal) => this.api.follow(turnId, lastEventId, signal));
  }

  private run(id: string, answerId: string, open: (signal: AbortSignal) => TurnEvents): void {
    const controller = new AbortController();
    this.running.set(answerId, controller);
    void (async () => {
      try {
        for await (const event of open(controller.signal)) {
          const answer = this.update(id, answerId, (a) => applyTurnEvent(a, event));
          if (event.type === 'turn.created' && answer?.stop_requested) void this.api.cancel(event.turn_id).catch(() => {});
        }
      } catch (e) {
        this.update(id, answerId, (a) => {
          if (a.stop_requested && !a.turn_id) return { ...a, status: 'cancelled' };
          // Gone from the server (ended too long ago, restarted, another replica): keep what came.
          if (e instanceof ConfabError && e.status === 404 && a.turn_id) return interrupted(a, 'Confab no longer holds the rest of this answer.');
          return afterStreamError(a, e) ?? a;
        });
      } finally {
        this.running.delete(answerId);
        const c = this.live.get(id);
        if (c) {
          if (!c.messages.some((m) => this.running.has(m.id))) this.live.delete(id);
          await this.store(c).catch(() => {}); // the page is going away or storage failed: nothing more to do
        }
      }
    })();
  }

  /** Changes one answer of a live conversation; shown at the next frame, stored within SAVE_EVERY_MS. */
  private update(id: string, answerId: string, change: (a: PrivateMessage) => PrivateMessage): PrivateMessage | null {
    const c = this.live.get(id);
    const index = c?.messages.findIndex((m) => m.id === answerId) ?? -1;
    const before = c?.messages[index];
    if (!c || !before) return null;
    const after = change(before);
    if (after === before) return after;
    const messages = [...c.messages];
    messages[index] = after;
    const next = { ...c, messages, updated_at: new Date().toISOString() };
    this.live.set(id, next);
    this.publishSoon(id);
    if (!this.saves.has(id)) {
      this.saves.set(
        id,
        setTimeout(() => {
          this.saves.delete(id);
          const now = this.live.get(id);
          if (now) void savePrivate(now).catch(() => {});
        }, this.saveEveryMs),
      );
    }
    return after;
  }

  /** Stores a conversation now and shows it (and the list) at once. */
  private async store(c: PrivateConversation): Promise<void> {
    clearTimeout(this.saves.get(c.id));
    this.saves.delete(c.id);
    if (this.live.has(c.id)) this.live.set(c.id, c);
    this.client.setQueryData(privateKeys.conversation(this.owner, c.id), c);
    await savePrivate(c);
    this.tabs?.postMessage({ owner: this.owner, id: c.id } satisfies Changed);
    await this.client.invalidateQueries({ queryKey: privateKeys.list(this.owner) });
  }

  private publishSoon(id: string): void {
    this.published.add(id);
    this.frame ??= setTimeout(() => {
      this.frame = null;
      const ids = this.published;
      this.published = new Set();
      for (const i of ids) {
        const c = this.live.get(i);
        if (c) this.client.setQueryData(privateKeys.conversation(this.owner, i), c);
      }
    }, 16);
  }
}

let active: PrivateChats | null = null;

/**
 * The chats of `owner` (one per page): switching to another account or organisation leaves the
 * previous one's turns running on the server, to be resumed when it is back.
 */
export function privateChatsFor(owner: string, client: QueryClient, api: PrivateTurnsApi): PrivateChats {
  if (active?.owner === owner && active.client === client) return active;
  active?.pause();
  active = new PrivateChats(owner, client, api);
  return active;
}
