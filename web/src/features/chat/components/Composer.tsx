import { useEffect, useRef, useState } from 'react';
import type { Schemas } from '../../../api/client';
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
}

/**
 * The message box: Enter sends, Shift+Enter starts a new line, Esc stops an answer.
 * `initial` is read when it mounts (the parent remounts it to clear it after a send).
 */
export function Composer({ initial, models, defaultLabel = 'Default model', model, onModel, choices = 1, onChoices, streaming, busy, onDraft, onSend, onStop }: Props) {
  const [text, setText] = useState(initial);
  const box = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length); // a restored draft continues at its end
  }, []);

  const submit = () => {
    const t = text.trim();
    if (!t || busy || streaming) return;
    onSend(text);
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
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
      />
      <div className="composer-bar">
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
          <button type="submit" disabled={busy || !text.trim()}>{busy ? 'Sending…' : 'Send'}</button>
        )}
      </div>
    </form>
  );
}
