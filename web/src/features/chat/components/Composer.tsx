import { useEffect, useRef, useState, type ClipboardEvent } from 'react';
import type { Schemas } from '../../../api/client';
import { Icon } from '../../../shared/Icon';
import { hasImage, pastedName } from '../../files/attachments';
import { AttachmentChips } from '../../files/components/AttachmentChips';
import type { Attachments } from '../../files/useAttachments';
import { MAX_CHOICES } from '../choices';

interface Props {
  initial: string;
  models: Schemas['ModelView'][];
  /** The label of the empty choice: the preset's or the organisation's default model. */
  defaultLabel?: string;
  /** '' sends no model, so the conversation's preset (or the tenant default) decides. */
  model: string;
  onModel: (id: string) => void;
  /** How many answers to ask for at once (1–4); without `onChoices` there is no such control. */
  choices?: number;
  onChoices?: (n: number) => void;
  streaming: boolean;
  busy: boolean;
  onDraft: (text: string) => void;
  onSend: (text: string) => void;
  onStop: () => void;
  /** The message's files (see useAttachments); without them nothing can be attached. */
  attachments?: Attachments;
  /** The model the empty choice stands for: a picture needs a model with vision. */
  defaultModel?: string;
}

/**
 * The message box: Enter sends, Shift+Enter starts a new line, Esc stops an answer. Files come
 * by the attach button, or pasted (a screenshot); the chat takes dropped ones.
 * `initial` is read when it mounts (the parent remounts it to clear it after a send).
 */
export function Composer({ initial, models, defaultLabel = 'Default model', model, onModel, choices = 1, onChoices, streaming, busy, onDraft, onSend, onStop, attachments, defaultModel }: Props) {
  const [text, setText] = useState(initial);
  const box = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const answering = models.find((m) => m.id === (model || defaultModel));
  // A picture for a model that cannot see it: the server would refuse the message.
  const blind = attachments && hasImage(attachments.items) && answering && !answering.vision ? answering : null;
  const uploading = attachments?.uploading ?? false;
  const held = busy || uploading || blind !== null;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length); // a restored draft continues at its end
  }, []);

  const submit = () => {
    const t = text.trim();
    if (!t || held || streaming) return;
    onSend(text);
  };

  const paste = (e: ClipboardEvent<HTMLTextAreaElement>) => {
    const files = Array.from(e.clipboardData.files);
    if (!attachments || !files.length) return;
    // A copied picture comes without text: the paste is the picture. Copied files with their
    // names as text attach the files and paste nothing.
    e.preventDefault();
    attachments.add(files, new Map(files.map((f) => [f, f.type.startsWith('image/') ? pastedName(f) : f.name])));
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {attachments && <AttachmentChips items={attachments.items} onRemove={attachments.remove} announcement={attachments.announcement} />}
      <label className="visually-hidden" htmlFor="composer-text">Message</label>
      <textarea
        id="composer-text"
        ref={box}
        rows={2}
        placeholder="Message Confab (Enter to send, Shift+Enter for a new line)"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          onDraft(e.target.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            submit();
          }
        }}
        onPaste={paste}
      />
      {blind && (
        <p className="composer-note warn" role="alert">
          {blind.display_name} cannot see pictures. Choose a model that can, or remove the picture.
        </p>
      )}
      <div className="composer-bar">
        {attachments && (
          <>
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              tabIndex={-1}
              aria-label="Files to attach"
              onChange={(e) => {
                const files = Array.from(e.target.files ?? []);
                e.target.value = ''; // the same file can be picked again
                if (files.length) attachments.add(files);
              }}
            />
            <button type="button" className="icon attach" aria-label="Attach files" title="Attach files (or drop or paste them here)" onClick={() => picker.current?.click()}>
              <Icon name="paperclip" size={18} />
            </button>
          </>
        )}
        <label>
          <span className="visually-hidden">Model</span>
          <select aria-label="Model" value={model} onChange={(e) => onModel(e.target.value)}>
            <option value="">{defaultLabel}</option>
            {models.map((m) => (
              <option key={m.id} value={m.id}>{m.display_name}{m.is_demo ? ' (demo)' : ''}</option>
            ))}
          </select>
        </label>
        {onChoices && (
          <label title="Several answers at once, side by side: keep the one you like">
            <span className="visually-hidden">Answers</span>
            <select aria-label="Answers" value={choices} onChange={(e) => onChoices(Number(e.target.value))}>
              {Array.from({ length: MAX_CHOICES }, (_, i) => i + 1).map((n) => (
                <option key={n} value={n}>{n === 1 ? '1 answer' : `${n} answers`}</option>
              ))}
            </select>
          </label>
        )}
        <span className="composer-gap" />
        {streaming ? (
          <button type="button" className="stop" onClick={onStop} aria-keyshortcuts="Escape">Stop</button>
        ) : (
          <button type="submit" disabled={held || !text.trim()} title={uploading ? 'Waiting for the files to upload' : undefined}>
            {busy ? 'Sending…' : uploading ? 'Uploading…' : 'Send'}
          </button>
        )}
      </div>
    </form>
  );
}
