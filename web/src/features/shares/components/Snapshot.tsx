import type { ReactNode } from 'react';
import { describeError } from '../../../shared/errors';
import { LazyMarkdown as Markdown } from '../../../shared/markdown/LazyMarkdown';
import { useSnapshot } from '../api';
import type { Schemas } from '../../../api/client';
import { formatBytes } from '../../../shared/format';
import { kindLabel } from '../../files/attachments';
import { FileThumb } from '../../files/components/FileThumb';

/** The files a shared message carried: named only, as the files themselves stay their owner's. */
function SnapshotFiles({ files }: { files: Schemas['SharedFileView'][] }) {
  return (
    <ul className="message-files" aria-label="Files attached (not shared)">
      {files.map((f, i) => (
        <li key={i}>
          <span className="file-chip" title="The file itself is not part of the snapshot">
            <FileThumb kind={f.kind} />
            <span className="file-text">
              <span className="file-name">{f.name}</span>
              <span className="file-detail">{kindLabel(f.kind, f.media_type)} · {formatBytes(f.size_bytes)} · not shared</span>
            </span>
          </span>
        </li>
      ))}
    </ul>
  );
}

interface Props {
  /** A link share's secret (`/s/<token>`, readable signed out)… */
  token?: string;
  /** …or a share's id (`/shared/<id>`, for signed-in readers it is shared with). */
  shareId?: string;
  signedIn: boolean;
  themeToggle: ReactNode;
}

/** The read-only page of a shared snapshot. */
export function Snapshot({ token, shareId, signedIn, themeToggle }: Props) {
  const { data: snapshot, error: failure } = useSnapshot({ token, shareId });
  const error = failure ? describeError(failure) : null;

  return (
    <div className="snapshot-page">
      <header className="snapshot-head">
        <a href="/" className="brand">Confab</a>
        <span className="badge">Read-only snapshot</span>
        {themeToggle}
        {!signedIn && <a href="/">Sign in</a>}
      </header>
      <main className="snapshot" id="main">
        {error && (
          <div className="empty-state" role="alert">
            <h1>Snapshot unavailable</h1>
            <p>{error}</p>
          </div>
        )}
        {!error && !snapshot && <p aria-busy="true">Loading…</p>}
        {snapshot && (
          <>
            <h1>{snapshot.title}</h1>
            <p className="muted">
              Shared {new Date(snapshot.shared_at).toLocaleString()}
              {snapshot.shared_by ? ` by ${snapshot.shared_by}` : ''}
              {snapshot.expires_at ? ` · available until ${new Date(snapshot.expires_at).toLocaleString()}` : ''}
            </p>
            {snapshot.messages.map((m) => (
              <article key={m.position} className={`message message-${m.role}`} aria-label={m.role === 'user' ? 'Question' : 'Answer'}>
                <div className="message-meta"><span className="who">{m.role === 'user' ? 'Question' : m.model ?? 'Answer'}</span></div>
                {m.files && m.files.length > 0 && <SnapshotFiles files={m.files} />}
                {m.role === 'user' ? <div className="user-text">{m.content}</div> : <Markdown source={m.content} final />}
                {m.status !== 'completed' && m.role === 'assistant' && <p className="status-note warn">This answer is {m.status}.</p>}
              </article>
            ))}
          </>
        )}
      </main>
    </div>
  );
}
