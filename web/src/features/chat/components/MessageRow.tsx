import { useState, type ReactNode } from 'react';
import type { Message } from '../../../api/client';
import { sentence } from '../../../shared/format';
import { LazyMarkdown as Markdown } from '../../../shared/markdown/LazyMarkdown';
import { MessageFiles } from '../../files/components/MessageFiles';

interface Props {
  message: Message;
  busy: boolean;
  onBranch: (siblingId: string) => void;
  /** Without a handler, its button is not offered. */
  onRegenerate?: () => void;
  onContinue?: () => void;
  onEdit?: (content: string) => void;
  /** A remark under the message (e.g. that older messages were left out of the answer's context). */
  note?: ReactNode;
}

const STATUS_NOTE: Record<string, string> = {
  partial: 'This answer was interrupted before it finished.',
  failed: 'This answer failed.',
  cancelled: 'Stopped.',
};

export function MessageRow({ message: m, busy, onBranch, onRegenerate, onContinue, onEdit, note }: Props) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(m.content);
  const siblings = m.sibling_ids ?? [m.id];
  const index = siblings.indexOf(m.id);
  const live = m.status === 'queued' || m.status === 'streaming';

  return (
    <article className={`message message-${m.role} status-${m.status}`} aria-label={m.role === 'user' ? 'You' : 'Assistant'} aria-busy={live} data-status={m.status}>
      <div className="message-meta">
        <span className="who">{m.role === 'user' ? 'You' : m.model ?? 'Assistant'}</span>
        {siblings.length > 1 && index >= 0 && (
          <span className="branches" role="group" aria-label="Versions">
            <button type="button" className="icon" aria-label="Previous version" disabled={index === 0 || busy} onClick={() => onBranch(siblings[index - 1] ?? m.id)}>‹</button>
            <span>{index + 1} / {siblings.length}</span>
            <button type="button" className="icon" aria-label="Next version" disabled={index === siblings.length - 1 || busy} onClick={() => onBranch(siblings[index + 1] ?? m.id)}>›</button>
          </span>
        )}
      </div>
      {m.files && m.files.length > 0 && <MessageFiles files={m.files} />}
      {editing ? (
        <form
          className="edit"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim()) {
              setEditing(false);
              onEdit?.(text);
            }
          }}
        >
          <label className="visually-hidden" htmlFor={`edit-${m.id}`}>Edit message</label>
          <textarea id={`edit-${m.id}`} value={text} onChange={(e) => setText(e.target.value)} rows={3} autoFocus
            onKeyDown={(e) => {
              if (e.key === 'Escape') setEditing(false);
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                e.currentTarget.form?.requestSubmit();
              }
            }}
          />
          <div className="actions">
            <button type="submit">Save and send</button>
            <button type="button" className="ghost" onClick={() => setEditing(false)}>Cancel</button>
          </div>
        </form>
      ) : m.role === 'user' ? (
        <div className="user-text">{m.content}</div>
      ) : (
        <>
          {m.content ? <Markdown source={m.content} final={!live} /> : live ? <p className="muted typing">Thinking…</p> : null}
        </>
      )}
      {STATUS_NOTE[m.status] && (
        <p className={`status-note${m.status === 'cancelled' ? '' : ' warn'}`}>
          {STATUS_NOTE[m.status]} {m.error && m.status !== 'cancelled' ? sentence(m.error.message) : ''}
          {m.error?.retry_after_secs ? ` You can retry in ${m.error.retry_after_secs} s.` : ''}
        </p>
      )}
      {note && <p className="status-note muted">{note}</p>}
      {!editing && !live && (
        <div className="actions">
          <button type="button" className="ghost small" onClick={() => void navigator.clipboard?.writeText(m.content)}>Copy</button>
          {m.role === 'user' && onEdit && <button type="button" className="ghost small" disabled={busy} onClick={() => { setText(m.content); setEditing(true); }}>Edit</button>}
          {m.role === 'assistant' && m.status === 'partial' && onContinue && <button type="button" className="small" disabled={busy} onClick={onContinue}>Continue</button>}
          {m.role === 'assistant' && m.status === 'failed' && onRegenerate && <button type="button" className="small" disabled={busy} onClick={onRegenerate}>Retry</button>}
          {m.role === 'assistant' && m.status !== 'failed' && onRegenerate && <button type="button" className="ghost small" disabled={busy} onClick={onRegenerate}>Regenerate</button>}
        </div>
      )}
    </article>
  );
}
