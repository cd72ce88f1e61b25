import type { Message } from '../../../api/client';
import { LazyMarkdown as Markdown } from '../../../shared/markdown/LazyMarkdown';
import { isLive } from '../messages';

interface Props {
  answers: Message[];
  busy: boolean;
  onStop: (answer: Message) => void;
  onPick: (answer: Message) => void;
}

const ENDED: Record<string, string> = {
  partial: 'Interrupted before it finished.',
  failed: 'This answer failed.',
  cancelled: 'Stopped.',
};

/**
 * Several answers to one message, side by side while they are written (stacked on a narrow
 * screen): each can be stopped on its own, and "Use this answer" keeps one as the conversation's
 * branch (the others stay as its versions).
 */
export function ChoiceBoard({ answers, busy, onStop, onPick }: Props) {
  return (
    <section className="choices" aria-label={`${answers.length} answers to choose from`} data-count={answers.length}>
      {answers.map((a, i) => {
        const live = isLive(a);
        return (
          <article key={a.id} className={`choice status-${a.status}`} aria-label={`Answer ${i + 1}`} aria-busy={live} data-status={a.status}>
            <div className="message-meta">
              <span className="who">Answer {i + 1}</span>
              <span className="badge">{a.model ?? 'Assistant'}</span>
            </div>
            <div className="choice-body">
              {a.content ? <Markdown source={a.content} final={!live} /> : live ? <p className="muted typing">Thinking…</p> : null}
            </div>
            {ENDED[a.status] && <p className="status-note">{ENDED[a.status]}</p>}
            <div className="actions">
              {live ? (
                <button type="button" className="ghost small stop" onClick={() => onStop(a)}>Stop</button>
              ) : (
                a.status !== 'failed' && (
                  <button type="button" className="small" disabled={busy} onClick={() => onPick(a)}>Use this answer</button>
                )
              )}
            </div>
          </article>
        );
      })}
    </section>
  );
}
