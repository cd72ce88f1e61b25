import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Message } from '../../../api/client';
import { navigate, privatePath } from '../../../router';
import { useConfirm } from '../../../shared/confirm';
import { describeError } from '../../../shared/errors';
import { Icon } from '../../../shared/Icon';
import { preloadMarkdown } from '../../../shared/markdown/LazyMarkdown';
import { useNotify } from '../../../shared/toast';
import { Composer } from '../../chat/components/Composer';
import { MessageList } from '../../chat/components/MessageList';
import { PresetPicker } from '../../chat/components/PresetPicker';
import { useDraft } from '../../chat/hooks/useDraft';
import { useModels, usePresets } from '../../presets/api';
import { useMoveToSaved, usePrivateChats, usePrivateConversation, usePrivateMode } from '../api';
import { downloadExport } from '../files';
import type { PrivateConversation, PrivateMessage } from '../store';
import { PrivateNotice } from './PrivateNotice';
import { clause } from './PrivateSection';

interface Props {
  /** null: a new private chat, stored by its first message. */
  id: string | null;
}

/** A private message in the shape the chat's message list shows. */
function asMessage(m: PrivateMessage, conversationId: string): Message {
  return {
    id: m.id,
    conversation_id: conversationId,
    role: m.role,
    status: m.status,
    content: m.content,
    created_at: m.created_at,
    updated_at: m.created_at,
    model: m.model ?? null,
    error: m.error ?? null,
  };
}

/**
 * A private conversation: the chat's own message list and composer over a conversation kept in
 * this browser, with its notice always in view, and export, "move to my saved history" and delete.
 */
export function PrivateChat({ id }: Props) {
  const chats = usePrivateChats();
  const mode = usePrivateMode();
  const conversation = usePrivateConversation(id);
  const c = conversation.data ?? null;
  const models = useModels().data?.items;
  const presets = usePresets().data;
  const notify = useNotify();
  const confirm = useConfirm();
  const move = useMoveToSaved();
  const [presetChoice, setPresetChoice] = useState('');
  const [model, setModel] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [composerGeneration, setComposerGeneration] = useState(0);
  const draftKey = `${chats.owner}:private:${id ?? 'new'}`;
  const { draft, saveText } = useDraft(draftKey);

  useEffect(() => preloadMarkdown(), []);

  const messages = useMemo(() => (c ? c.messages.map((m) => asMessage(m, c.id)) : []), [c]);
  const streaming = c?.messages.some((m) => m.status === 'streaming') ?? false;
  const allowed = mode.data?.allowed ?? true;
  const chosenModel = model ?? c?.model ?? '';

  const stop = useCallback(() => {
    if (c) void chats.stop(c.id).catch((e: unknown) => notify.error(describeError(e)));
  }, [c, chats, notify]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && streaming && !document.querySelector('dialog[open]')) stop();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [stop, streaming]);

  if (id && conversation.isSuccess && !c) {
    return (
      <div className="empty-state" role="alert">
        <h2>This private conversation is not in this browser</h2>
        <p>Private conversations are kept only in the browser they were written in. It may have been deleted, moved to your saved history, or written on another device.</p>
        <button type="button" onClick={() => navigate(privatePath(null))}>Start a new private chat</button>
      </div>
    );
  }
  if (conversation.error) {
    return (
      <div className="empty-state" role="alert">
        <h2>Your private conversations could not be read</h2>
        <p>This browser did not let Confab read its storage. Private chats need the site's storage to be allowed (some private-browsing windows do not).</p>
      </div>
    );
  }

  const send = async (text: string) => {
    setSending(true);
    setError(null);
    try {
      const presetId = presetChoice.startsWith('preset:') ? presetChoice.slice('preset:'.length) : null;
      const stored = await chats.send(id, text, { model: chosenModel, presetId });
      saveText('');
      setComposerGeneration((g) => g + 1);
      if (!id) navigate(privatePath(stored), true);
    } catch (e) {
      // Nothing goes to the server here (the answer streams on its own): this is the browser's storage.
      setError(`Not sent: ${e instanceof Error ? e.message : describeError(e)}`);
    } finally {
      setSending(false);
    }
  };

  const last = c?.messages[c.messages.length - 1];
  const act = (run: (conversationId: string, answerId: string) => Promise<void>) => (m: Message) => {
    if (c) void run(c.id, m.id).catch((e: unknown) => notify.error(describeError(e)));
  };

  const exportOne = (conv: PrivateConversation) => downloadExport([conv], conv.title);

  const moveToSaved = async (conv: PrivateConversation) => {
    const left = conv.messages.filter((m) => m.content.trim() === '').length;
    const ok = await confirm({
      title: 'Move to your saved history?',
      message: (
        <>
          <p>“{conv.title}” is saved on Confab's server as an ordinary conversation: it appears in your history on every device and in search, and your organisation's retention rules and legal holds apply to it.</p>
          <p>The private copy in this browser is then deleted.{left ? ` ${left} answer${left === 1 ? '' : 's'} without text (failed) ${left === 1 ? 'is' : 'are'} left out.` : ''}</p>
        </>
      ),
      confirmLabel: 'Move to saved history',
    });
    if (!ok) return;
    const saved = await move.mutateAsync(conv).catch(() => null); // the toast says why
    if (!saved) return;
    navigate(`/c/${saved.conversation.id}`);
    try {
      await chats.remove(conv.id);
      notify.info(`“${conv.title}” is now in your saved history.`);
    } catch (e) {
      notify.error(`“${conv.title}” is saved, but its private copy could not be deleted from this browser: ${describeError(e)}`);
    }
  };

  const remove = async (conv: PrivateConversation) => {
    const ok = await confirm({
      title: 'Delete this private conversation?',
      message: <p>“{conv.title}” is deleted from this browser. Confab keeps no copy, so it cannot be restored unless you exported it.</p>,
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    await chats.remove(conv.id).catch((e: unknown) => notify.error(describeError(e)));
    notify.info(`“${conv.title}” deleted.`);
    navigate('/');
  };

  const withoutPlugins = presets && { ...presets, plugin_items: [] };
  const presetModel = presets?.items.find((p) => `preset:${p.id}` === presetChoice || p.id === c?.preset_id)?.current.model;
  return (
    <section className="chat private-chat" aria-label="Private chat">
      <header className="chat-head">
        <span className="badge private-badge"><Icon name="lock" /> Private</span>
        <h1 className="chat-title">{c?.title ?? (id ? 'Loading…' : 'New private chat')}</h1>
        {c && (
          <div className="chat-actions">
            <button type="button" className="ghost small" onClick={() => exportOne(c)}>Export</button>
            <button type="button" className="ghost small" disabled={streaming || move.isPending} onClick={() => void moveToSaved(c)}>Move to saved history</button>
            <button type="button" className="ghost small danger" onClick={() => void remove(c)}>Delete</button>
          </div>
        )}
      </header>
      <PrivateNotice />
      {!id && <PresetPicker presets={withoutPlugins} value={presetChoice} onChange={setPresetChoice} />}
      <MessageList
        messages={messages}
        emptyHeading={id ? '' : 'A private chat: just between you and this browser.'}
        busy={sending || streaming}
        onBranch={() => {}}
        actionable={(m) => m.id === last?.id && allowed}
        onRegenerate={act((cid, mid) => chats.rerun(cid, mid))}
        onContinue={act((cid, mid) => chats.continue(cid, mid))}
        noteOf={(m) => {
          const dropped = c?.messages.find((p) => p.id === m.id)?.dropped_messages ?? 0;
          return dropped > 0 ? `The ${dropped} oldest message${dropped === 1 ? ' was' : 's were'} left out of this answer's context to fit the model's window.` : null;
        }}
      />
      {!allowed && (
        <div className="notice error" role="status">
          <span>Private chats are turned off: {clause(mode.data?.reason ?? 'your organisation does not allow them')}. You can still read, export, move or delete this conversation.</span>
        </div>
      )}
      {error && <div className="notice error" role="alert"><span>{error}</span></div>}
      {allowed && draft && (
        <Composer
          key={`${draftKey}:${composerGeneration}`}
          initial={draft.text}
          models={models ?? []}
          defaultLabel={presetModel ? `Preset's model (${presetModel})` : models?.[0] ? `Default (${models[0].display_name})` : 'Default model'}
          model={chosenModel}
          onModel={setModel}
          streaming={streaming}
          busy={sending}
          onDraft={saveText}
          onSend={(text) => void send(text)}
          onStop={stop}
        />
      )}
    </section>
  );
}
