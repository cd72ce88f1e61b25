import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Catalogue } from '../../../App';
import {
  api,
  byteLength,
  call,
  confab,
  isAbortError,
  newIdempotencyKey,
  type ConversationDetail,
  type Me,
  type Message,
  type Schemas,
  type StreamEvent,
} from '../../../api/client';
import { clearDraft, loadDraft, saveDraft } from '../drafts';
import { describeError } from '../../../shared/errors';
import { navigate } from '../../../router';
import { useNotify } from '../../../shared/toast';
import { Composer } from './Composer';
import { preloadMarkdown } from '../../../shared/markdown/LazyMarkdown';
import { MessageRow } from './MessageRow';
import { ShareDialog } from '../../shares/components/ShareDialog';

interface Props {
  conversationId: string | null;
  me: Me;
  catalogue: Catalogue | null;
  onChanged: () => void;
}

// Turns are sent without `Accept: text/event-stream`: the answer (202) is followed with confab.events.
type TurnCall = Promise<{ data?: unknown; error?: unknown; response: Response }>;
const LIVE = new Set(['queued', 'streaming']);
/** A send error of a new chat, shown by the conversation page it navigates to. */
const carriedErrors = new Map<string, string>();

export function Chat({ conversationId, me, catalogue, onChanged }: Props) {
  const notify = useNotify();
  const [detail, setDetail] = useState<ConversationDetail | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [model, setModel] = useState<string>('');
  const [presetChoice, setPresetChoice] = useState<string>('');
  const [sendError, setSendError] = useState<string | null>(() => {
    const carried = conversationId ? carriedErrors.get(conversationId) : undefined;
    if (conversationId) carriedErrors.delete(conversationId);
    return carried ?? null;
  });
  const [busy, setBusy] = useState(false);
  const [reconnecting, setReconnecting] = useState(false);
  const [shareOpen, setShareOpen] = useState(false);
  const [draft, setDraft] = useState<{ text: string; idempotencyKey: string | null } | null>(null);
  const [composerGeneration, setComposerGeneration] = useState(0);
  const draftKey = `${me.id}:${me.active_tenant?.id ?? ''}:${conversationId ?? 'new'}`;

  // Streaming: deltas collect here and reach React state once per animation frame.
  const streams = useRef(new Map<string, AbortController>());
  const known = useRef(new Map<string, number>());
  const pending = useRef(new Map<string, string>());
  const frame = useRef<number | null>(null);

  const flush = useCallback(() => {
    frame.current = null;
    if (pending.current.size === 0) return;
    const batch = new Map(pending.current);
    pending.current.clear();
    setDetail((d) =>
      d && {
        ...d,
        messages: d.messages.map((m) => {
          const more = batch.get(m.id);
          return more ? { ...m, content: m.content + more, status: 'streaming' } : m;
        }),
      },
    );
  }, []);

  const onEvent = useCallback(
    (event: StreamEvent) => {
      if (event.type === 'message.delta') {
        const have = known.current.get(event.message_id) ?? 0;
        if (event.offset <= have) return; // already shown (a replay after reconnecting)
        known.current.set(event.message_id, event.offset);
        pending.current.set(event.message_id, (pending.current.get(event.message_id) ?? '') + event.content);
        frame.current ??= requestAnimationFrame(flush);
      } else if (event.type !== 'message.created') {
        const final = event.message;
        pending.current.delete(final.id);
        setDetail((d) => d && { ...d, messages: d.messages.map((m) => (m.id === final.id ? { ...final, sibling_ids: m.sibling_ids } : m)) });
      }
    },
    [flush],
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

  const load = useCallback(async () => {
    if (!conversationId) return;
    try {
      const d = await call(api.GET('/v1/conversations/{id}', { params: { path: { id: conversationId } } }));
      setDetail(d);
      setLoadError(null);
    } catch (e) {
      setLoadError(describeError(e));
    }
  }, [conversationId]);

  useEffect(() => {
    preloadMarkdown();
    void load();
    const all = streams.current;
    return () => {
      for (const c of all.values()) c.abort();
      all.clear();
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    };
  }, [load]);

  // Follow every answer that is still being written (also after a reload).
  useEffect(() => {
    for (const m of detail?.messages ?? []) if (m.role === 'assistant' && LIVE.has(m.status)) follow(m);
  }, [detail, follow]);

  useEffect(() => {
    let live = true;
    void loadDraft(draftKey).then((d) => live && setDraft(d ?? { text: '', idempotencyKey: null }));
    return () => {
      live = false;
    };
  }, [draftKey]);

  const messages = detail?.messages ?? [];
  const streaming = messages.filter((m) => m.role === 'assistant' && LIVE.has(m.status));

  const stop = useCallback(async () => {
    for (const m of streaming) {
      try {
        await call(api.POST('/v1/messages/{id}/cancel', { params: { path: { id: m.id } } }));
      } catch (e) {
        notify.error(describeError(e));
      }
    }
  }, [streaming, notify]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && streaming.length && !document.querySelector('dialog[open]')) void stop();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [stop, streaming.length]);

  /** Runs a turn action; on success the conversation reloads and its new answer streams. */
  const turn = useCallback(
    async (make: (key: string) => TurnCall) => {
      setBusy(true);
      try {
        await call(make(newIdempotencyKey()));
        await load();
        onChanged();
      } catch (e) {
        notify.error(describeError(e));
      } finally {
        setBusy(false);
      }
    },
    [load, notify, onChanged],
  );

  const send = async (text: string) => {
    const key = draft?.idempotencyKey ?? newIdempotencyKey();
    const body = { content: text, ...(model ? { model } : {}) };
    setBusy(true);
    setSendError(null);
    let id = conversationId;
    let keyForDraft = draftKey;
    try {
      if (!id) {
        const preset = presetBody(presetChoice);
        const c = await call(api.POST('/v1/conversations', { body: { title: titleFrom(text), ...preset } }));
        id = c.id;
        keyForDraft = `${me.id}:${me.active_tenant?.id ?? ''}:${id}`;
        await clearDraft(draftKey);
      }
      // The key is stored with the draft first: a retry (even after a reload) reuses it.
      await saveDraft(keyForDraft, { text, idempotencyKey: key });
      setDraft({ text, idempotencyKey: key });
      await call(
        api.POST('/v1/conversations/{id}/messages', { params: { path: { id }, header: { 'Idempotency-Key': key } }, body }),
      );
      await clearDraft(keyForDraft);
      setDraft({ text: '', idempotencyKey: null });
      setComposerGeneration((g) => g + 1);
      onChanged();
      if (!conversationId) navigate(`/c/${id}`);
      else await load();
    } catch (e) {
      setSendError(describeError(e));
      if (!conversationId && id) {
        carriedErrors.set(id, describeError(e));
        onChanged();
        navigate(`/c/${id}`);
      }
    } finally {
      setBusy(false);
    }
  };

  /** Shows another version of a message: its branch, down to that branch's latest message. */
  const switchBranch = async (to: string) => {
    if (!conversationId) return;
    try {
      const tree = await call(api.GET('/v1/conversations/{id}', { params: { path: { id: conversationId }, query: { view: 'tree' } } }));
      setDetail(
        await call(
          api.PUT('/v1/conversations/{id}/active-branch', { params: { path: { id: conversationId } }, body: { message_id: latestLeaf(tree.messages, to) } }),
        ),
      );
    } catch (e) {
      notify.error(describeError(e));
    }
  };

  // The message list is virtualised: only the rows in view exist in the DOM.
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const virtualizer = useVirtualizer({
    count: messages.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 140,
    overscan: 6,
    getItemKey: (i) => messages[i]?.id ?? i,
  });
  const opened = useRef(false);
  useLayoutEffect(() => {
    if (!messages.length) return;
    if (!opened.current || stick.current) {
      opened.current = true;
      virtualizer.scrollToIndex(messages.length - 1, { align: 'end' });
    }
  }, [messages, virtualizer]);

  if (loadError) {
    return (
      <div className="empty-state" role="alert">
        <h2>This conversation could not be opened</h2>
        <p>{loadError}</p>
        <button type="button" onClick={() => void load()}>Try again</button>
      </div>
    );
  }

  const presets = catalogue?.presets;
  const presetModel =
    detail?.preset?.model ??
    (presets?.items.find((p) => `preset:${p.id}` === presetChoice)?.current.model ||
      presets?.plugin_items.find((p) => `plugin:${p.plugin}:${p.id}` === presetChoice)?.model);
  return (
    <section className="chat" aria-label="Chat">
      <header className="chat-head">
        <h1 className="chat-title">{detail?.conversation.title ?? (conversationId ? 'Loading…' : 'New chat')}</h1>
        {detail?.preset && (
          <span className="badge" title="Preset">{detail.preset.name} · v{detail.preset.version}</span>
        )}
        {conversationId && detail && (
          <button type="button" className="ghost" onClick={() => setShareOpen(true)}>Share</button>
        )}
      </header>
      {!conversationId && (
        <div className="new-chat-options">
          <label>
            Preset
            <select value={presetChoice} onChange={(e) => setPresetChoice(e.target.value)}>
              <option value="">No preset</option>
              {presets?.items.filter((p) => !p.deleted).map((p) => (
                <option key={p.id} value={`preset:${p.id}`}>
                  {p.current.name} · v{p.current.version} · {p.source === 'tenant' ? 'organisation' : 'personal'}
                </option>
              ))}
              {presets?.plugin_items.map((p) => (
                <option key={`${p.plugin}:${p.id}`} value={`plugin:${p.plugin}:${p.id}`}>
                  {p.name} · {p.plugin} {p.plugin_version} · plugin
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      <div
        className="messages"
        ref={scroller}
        tabIndex={0}
        aria-label="Messages"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        }}
      >
        {messages.length === 0 && (
          <div className="empty-state">
            <h2>{conversationId ? '' : 'What can I help with?'}</h2>
          </div>
        )}
        <div className="messages-inner" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((row) => {
            const m = messages[row.index];
            if (!m) return null;
            return (
              <div key={row.key} data-index={row.index} ref={virtualizer.measureElement} className="row" style={{ transform: `translateY(${row.start}px)` }}>
                <MessageRow
                  message={m}
                  busy={busy}
                  onBranch={(to) => void switchBranch(to)}
                  onRegenerate={() =>
                    void turn((key) => api.POST('/v1/messages/{id}/regenerate', { params: { path: { id: m.id }, header: { 'Idempotency-Key': key } }, body: model ? { model } : {} }))
                  }
                  onContinue={() =>
                    void turn((key) => api.POST('/v1/messages/{id}/continue', { params: { path: { id: m.id }, header: { 'Idempotency-Key': key } } }))
                  }
                  onEdit={(content) =>
                    void turn((key) => api.POST('/v1/messages/{id}/edit', { params: { path: { id: m.id }, header: { 'Idempotency-Key': key } }, body: { content, ...(model ? { model } : {}) } }))
                  }
                />
              </div>
            );
          })}
        </div>
      </div>
      {reconnecting && <p className="notice" role="status">Connection lost — reconnecting…</p>}
      {sendError && (
        <div className="notice error" role="alert">
          <span>{sendError}</span>
          {draft?.idempotencyKey && (
            <button type="button" onClick={() => draft && void send(draft.text)} disabled={busy}>Retry</button>
          )}
        </div>
      )}
      {!sendError && draft?.idempotencyKey && draft.text && !busy && (
        <div className="notice" role="status">
          <span>Your last message may not have been sent.</span>
          <button type="button" onClick={() => void send(draft.text)}>Retry</button>
        </div>
      )}
      {draft && (
        <Composer
          key={`${draftKey}:${composerGeneration}`}
          initial={draft.text}
          models={catalogue?.models ?? []}
          defaultLabel={
            presetModel
              ? `Preset's model (${presetModel})`
              : catalogue?.models[0] // the API's documented default: the catalogue's first model
                ? `Default (${catalogue.models[0].display_name})`
                : 'Default model'
          }
          model={model}
          onModel={setModel}
          streaming={streaming.length > 0}
          busy={busy}
          onDraft={(text) => {
            const next = { text, idempotencyKey: text === draft.text ? draft.idempotencyKey : null };
            setDraft(next);
            void saveDraft(draftKey, next);
          }}
          onSend={(text) => void send(text)}
          onStop={() => void stop()}
        />
      )}
      {shareOpen && conversationId && detail && (
        <ShareDialog conversationId={conversationId} title={detail.conversation.title} onClose={() => setShareOpen(false)} />
      )}
    </section>
  );
}

function presetBody(choice: string): Pick<Schemas['CreateConversation'], 'preset_id' | 'plugin_preset'> {
  if (choice.startsWith('preset:')) return { preset_id: choice.slice('preset:'.length) };
  if (choice.startsWith('plugin:')) {
    const [, plugin = '', ...rest] = choice.split(':');
    return { plugin_preset: { plugin, preset_id: rest.join(':') } };
  }
  return {};
}

/** The newest message at the end of the newest path below `id` (messages come oldest first). */
export function latestLeaf(messages: Message[], id: string): string {
  let leaf = id;
  for (;;) {
    const children = messages.filter((m) => m.parent_id === leaf);
    const newest = children[children.length - 1];
    if (!newest) return leaf;
    leaf = newest.id;
  }
}

/** A conversation title from its first message: one line of printable text, at most 60 characters. */
export function titleFrom(text: string): string {
  const line = text.replace(/[\p{C}\s]+/gu, ' ').trim();
  return Array.from(line).slice(0, 60).join('').trim() || 'New chat';
}
