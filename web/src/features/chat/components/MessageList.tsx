import { useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, type ReactNode } from 'react';
import type { Message } from '../../../api/client';
import { MessageRow } from './MessageRow';

interface Props {
  messages: Message[];
  /** The heading shown while there are no messages. */
  emptyHeading: string;
  busy: boolean;
  onBranch: (to: string) => void;
  onRegenerate: (m: Message) => void;
  onContinue: (m: Message) => void;
  /** Without it, messages cannot be edited. */
  onEdit?: (m: Message, content: string) => void;
  /** The messages that offer regenerate, continue and edit (all of them by default). */
  actionable?: (m: Message) => boolean;
  /** A remark under a message. */
  noteOf?: (m: Message) => ReactNode;
  /** Shown instead of a message's row (the side-by-side answers in place of the first of them). */
  replace?: (m: Message) => ReactNode | undefined;
}

/**
 * The messages, virtualised: only the rows in view exist in the DOM. It opens at the end and
 * follows new text while the reader is at the bottom.
 */
export function MessageList({ messages, emptyHeading, busy, onBranch, onRegenerate, onContinue, onEdit, actionable = () => true, noteOf, replace }: Props) {
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

  return (
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
          <h2>{emptyHeading}</h2>
        </div>
      )}
      <div className="messages-inner" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((row) => {
          const m = messages[row.index];
          if (!m) return null;
          const acts = actionable(m);
          return (
            <div key={row.key} data-index={row.index} ref={virtualizer.measureElement} className="row" style={{ transform: `translateY(${row.start}px)` }}>
              {replace?.(m) ?? <MessageRow
                message={m}
                busy={busy}
                onBranch={onBranch}
                onRegenerate={acts ? () => onRegenerate(m) : undefined}
                onContinue={acts ? () => onContinue(m) : undefined}
                onEdit={acts && onEdit ? (content) => onEdit(m, content) : undefined}
                note={noteOf?.(m)}
              />}
            </div>
          );
        })}
      </div>
    </div>
  );
}
