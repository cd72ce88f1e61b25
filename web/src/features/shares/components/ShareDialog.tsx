import { useEffect, useRef, useState } from 'react';
import type { Schemas } from '../../../api/client';
import { describeError } from '../../../shared/errors';
import { useCreateShare, useRevokeShare, useShares } from '../api';

const EXPIRY: [string, number | null][] = [['Never', null], ['1 day', 1], ['7 days', 7], ['30 days', 30]];
const VISIBILITY: Record<Schemas['ShareVisibility'], string> = {
  tenant: 'Everyone in my organisation (signed in)',
  link: 'Anyone with the link',
  users: 'Only the people I name',
};

function linkOf(share: Schemas['ShareView']): string | null {
  if (share.link) return share.link.url;
  if (share.visibility !== 'link') return `${location.origin}/shared/${share.id}`;
  return null;
}

/** Share a snapshot of the conversation's branch; list and revoke its shares. */
export function ShareDialog({ conversationId, title, onClose }: { conversationId: string; title: string; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [visibility, setVisibility] = useState<Schemas['ShareVisibility']>('tenant');
  const [expiry, setExpiry] = useState<number | null>(null);
  const [emails, setEmails] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  const sharesQuery = useShares(conversationId);
  const shares = sharesQuery.data ?? [];
  const createShare = useCreateShare();
  const revokeShare = useRevokeShare();
  const shownError = error ?? (sharesQuery.error ? describeError(sharesQuery.error) : null);

  const create = () => {
    setError(null);
    void createShare
      .mutateAsync({
        params: { path: { id: conversationId } },
        body: {
          visibility,
          title,
          ...(expiry ? { expires_at: new Date(Date.now() + expiry * 86_400_000).toISOString() } : {}),
          ...(visibility === 'users' ? { user_emails: emails.split(/[\s,;]+/).filter(Boolean) } : {}),
        },
      })
      .then((share) => setCreated(linkOf(share)), (e: unknown) => setError(describeError(e)));
  };

  const revoke = (id: string) => revokeShare.mutateAsync({ params: { path: { id } } }).catch((e: unknown) => setError(describeError(e)));

  const copy = (url: string) => void navigator.clipboard?.writeText(url).then(() => setCopied(url));

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="share-title" onClose={onClose}>
      <h2 id="share-title">Share a snapshot</h2>
      <p className="muted">A read-only copy of this conversation as it is now. Later messages are not shared.</p>
      <div className="stack">
        <label>
          Who can see it
          <select value={visibility} onChange={(e) => setVisibility(e.target.value as Schemas['ShareVisibility'])}>
            {Object.entries(VISIBILITY).map(([v, label]) => <option key={v} value={v}>{label}</option>)}
          </select>
        </label>
        {visibility === 'users' && (
          <label>
            E-mail addresses
            <input value={emails} onChange={(e) => setEmails(e.target.value)} placeholder="ann@example.com, bob@example.com" />
          </label>
        )}
        <label>
          Expires
          <select value={expiry ?? ''} onChange={(e) => setExpiry(e.target.value ? Number(e.target.value) : null)}>
            {EXPIRY.map(([label, days]) => <option key={label} value={days ?? ''}>{label}</option>)}
          </select>
        </label>
        <button type="button" onClick={create}>Create link</button>
      </div>
      {shownError && <p className="error" role="alert">{shownError}</p>}
      {created && (
        <p className="created" role="status">
          Link: <input readOnly value={created} aria-label="Share link" onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => copy(created)}>{copied === created ? 'Copied' : 'Copy link'}</button>
        </p>
      )}
      <h3>Active shares of this conversation</h3>
      <ul className="shares">
        {shares.length === 0 && <li className="muted">None.</li>}
        {shares.map((s) => {
          const url = linkOf(s);
          return (
            <li key={s.id}>
              <span>{VISIBILITY[s.visibility]}{s.expires_at ? ` · until ${new Date(s.expires_at).toLocaleDateString()}` : ''}</span>
              {url && <button type="button" className="ghost small" onClick={() => copy(url)}>{copied === url ? 'Copied' : 'Copy link'}</button>}
              <button type="button" className="ghost small danger" onClick={() => void revoke(s.id)}>Revoke</button>
            </li>
          );
        })}
      </ul>
      <div className="actions end">
        <button type="button" className="ghost" onClick={() => dialog.current?.close()}>Close</button>
      </div>
    </dialog>
  );
}
