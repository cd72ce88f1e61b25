import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Me } from '../../../api/client';
import { describeError } from '../../../shared/errors';
import { Icon } from '../../../shared/Icon';
import { preloadMarkdown } from '../../../shared/markdown/LazyMarkdown';
import { useFileUsage } from '../../files/api';
import { useAttachments } from '../../files/useAttachments';
import { useFileDrop } from '../../files/useFileDrop';
import { useModels, usePresets } from '../../presets/api';
import { ShareDialog } from '../../shares/components/ShareDialog';
import { useCancelAnswer, useConversation, usePickChoice, useSwitchBranch, useTurns } from '../api';
import { openChoiceSet } from '../choices';
import { useChoiceSet } from '../hooks/useChoiceSet';
import { useAnswerStreams } from '../hooks/useAnswerStreams';
import { useDraft } from '../hooks/useDraft';
import { useSendMessage } from '../hooks/useSendMessage';
import { isLive } from '../messages';
import { ChoiceBoard } from './ChoiceBoard';
import { Composer } from './Composer';
import { MessageList } from './MessageList';
import { PresetPicker } from './PresetPicker';

interface Props {
  /** null: a new chat, created by its first message. */
  conversationId: string | null;
  me: Me;
}

export function Chat({ conversationId, me }: Props) {
  const conversation = useConversation(conversationId);
  const detail = conversation.data;
  const models = useModels().data?.items;
  const presets = usePresets().data;
  const [model, setModel] = useState<string>('');
  const [choices, setChoices] = useState(1);
  const [presetChoice, setPresetChoice] = useState<string>('');
  const [shareOpen, setShareOpen] = useState(false);
  const [composerGeneration, setComposerGeneration] = useState(0);
  const draftKeyOf = (id: string | null) => `${me.id}:${me.active_tenant?.id ?? ''}:${id ?? 'new'}`;
  const draftKey = draftKeyOf(conversationId);
  const { draft, setDraft, saveText, saveFiles } = useDraft(draftKey);
  const limits = useFileUsage().data;
  const attachments = useAttachments({ saved: draft ? draft.files ?? [] : null, onReady: saveFiles, limits });
  const drop = useFileDrop(attachments.add);
  const { send, sending, error: sendError } = useSendMessage({
    conversationId,
    draftKeyOf,
    draft,
    setDraft,
    onSent: () => {
      attachments.clear();
      setComposerGeneration((g) => g + 1);
    },
  });
  // Answers of a choice set not picked yet stream together on the set's one stream.
  const choiceSet = openChoiceSet(detail);
  const choice = useChoiceSet(choiceSet?.id ?? null);
  const followed = useMemo(
    () => detail?.messages.filter((m) => !choiceSet?.message_ids.includes(m.id)),
    [detail?.messages, choiceSet],
  );
  const reconnecting = useAnswerStreams(conversationId, followed) || choice.reconnecting;
  const pick = usePickChoice(conversationId);
  const turns = useTurns(conversationId);
  const switchBranch = useSwitchBranch(conversationId);
  const cancel = useCancelAnswer();
  const busy = sending || turns.pending || pick.isPending;

  useEffect(() => preloadMarkdown(), []);

  const messages = detail?.messages ?? [];
  const choiceAnswers = choiceSet ? choice.answers ?? [] : [];
  const streaming = [...(followed ?? []).filter(isLive), ...choiceAnswers.filter(isLive)];

  const { mutateAsync: cancelAnswer } = cancel;
  const stop = useCallback(async () => {
    for (const m of streaming) await cancelAnswer({ params: { path: { id: m.id } } }).catch(() => {}); // the toast says why
  }, [streaming, cancelAnswer]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && streaming.length && !document.querySelector('dialog[open]')) void stop();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [stop, streaming.length]);

  if (conversation.error) {
    return (
      <div className="empty-state" role="alert">
        <h2>This conversation could not be opened</h2>
        <p>{describeError(conversation.error)}</p>
        <button type="button" onClick={() => void conversation.refetch()}>Try again</button>
      </div>
    );
  }

  const sendText = (text: string) => send({ text, files: attachments.ready, model, presetChoice, choices });
  const stopOne = (id: string) => void cancelAnswer({ params: { path: { id } } }).catch(() => {});
  const presetModel =
    detail?.preset?.model ??
    (presets?.items.find((p) => `preset:${p.id}` === presetChoice)?.current.model ||
      presets?.plugin_items.find((p) => `plugin:${p.plugin}:${p.id}` === presetChoice)?.model);
  return (
    <section className="chat" aria-label="Chat" {...drop.handlers}>
      {drop.dragging && <div className="drop-hint" aria-hidden="true"><Icon name="paperclip" size={22} /> Drop files to attach them</div>}
      <header className="chat-head">
        <h1 className="chat-title">{detail?.conversation.title ?? (conversationId ? 'Loading…' : 'New chat')}</h1>
        {detail?.preset && (
          <span className="badge" title="Preset">{detail.preset.name} · v{detail.preset.version}</span>
        )}
        {conversationId && detail && (
          <button type="button" className="ghost" onClick={() => setShareOpen(true)}>Share</button>
        )}
      </header>
      {!conversationId && <PresetPicker presets={presets} value={presetChoice} onChange={setPresetChoice} />}
      <MessageList
        messages={messages}
        emptyHeading={conversationId ? '' : 'What can I help with?'}
        busy={busy}
        onBranch={(to) => switchBranch.mutate(to)}
        onRegenerate={(m) => turns.regenerate(m.id, model)}
        onContinue={(m) => turns.continue(m.id)}
        onEdit={(m, content) => turns.edit(m.id, content, model)}
        replace={(m) =>
          choiceSet && m.id === messages[messages.length - 1]?.id ? (
            choice.answers ? (
              <ChoiceBoard
                answers={choice.answers}
                busy={busy}
                onStop={(a) => stopOne(a.id)}
                onPick={(a) => pick.mutate({ params: { path: { id: choiceSet.id } }, body: { message_id: a.id } })}
              />
            ) : (
              <p className="muted message">Loading the answers…</p>
            )
          ) : undefined
        }
      />
      {reconnecting && <p className="notice" role="status">Connection lost — reconnecting…</p>}
      {sendError && (
        <div className="notice error" role="alert">
          <span>{sendError}</span>
          {draft?.idempotencyKey && (
            <button type="button" onClick={() => sendText(draft.text)} disabled={busy}>Retry</button>
          )}
        </div>
      )}
      {!sendError && draft?.idempotencyKey && draft.text && !busy && (
        <div className="notice" role="status">
          <span>Your last message may not have been sent.</span>
          <button type="button" onClick={() => sendText(draft.text)}>Retry</button>
        </div>
      )}
      {draft && (
        <Composer
          key={`${draftKey}:${composerGeneration}`}
          initial={draft.text}
          models={models ?? []}
          defaultLabel={
            presetModel
              ? `Preset's model (${presetModel})`
              : models?.[0] // the API's documented default: the catalogue's first model
                ? `Default (${models[0].display_name})`
                : 'Default model'
          }
          model={model}
          onModel={setModel}
          choices={choices}
          onChoices={setChoices}
          streaming={streaming.length > 0}
          busy={busy}
          onDraft={saveText}
          onSend={sendText}
          onStop={() => void stop()}
          attachments={attachments}
          defaultModel={presetModel || models?.[0]?.id}
        />
      )}
      {shareOpen && conversationId && detail && (
        <ShareDialog conversationId={conversationId} title={detail.conversation.title} onClose={() => setShareOpen(false)} />
      )}
    </section>
  );
}
