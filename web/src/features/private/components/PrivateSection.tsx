import { useRef } from 'react';
import { navigate, privatePath } from '../../../router';
import { useConfirm } from '../../../shared/confirm';
import { describeError } from '../../../shared/errors';
import { Icon } from '../../../shared/Icon';
import { useNotify } from '../../../shared/toast';
import { usePrivateChats, usePrivateList, usePrivateMode } from '../api';
import { downloadExport, readImport } from '../files';
import type { PrivateSummary } from '../store';

/** "New private chat" beside "New chat": off, with the organisation's reason, when it is not allowed. */
export function NewPrivateChat({ onOpen }: { onOpen: (path: string) => void }) {
  const mode = usePrivateMode();
  const off = mode.data && !mode.data.allowed;
  return (
    <button
      type="button"
      className="ghost new-private"
      aria-label="New private chat"
      title={off ? undefined : 'A chat kept only in this browser'}
      aria-describedby={off ? 'private-off' : undefined}
      disabled={!mode.data?.allowed}
      onClick={() => onOpen(privatePath(null))}
    >
      <Icon name="lock" /> Private
    </button>
  );
}

/** Why private chats are off, under the buttons (a disabled button shows no tooltip everywhere). */
export function PrivateOffReason() {
  const mode = usePrivateMode();
  if (!mode.data || mode.data.allowed) return null;
  return (
    <p id="private-off" className="private-off">
      Private chats are off: {clause(mode.data.reason ?? 'your organisation does not allow them')}.
    </p>
  );
}

/** The server's reason as the end of our sentence (its own full stop dropped). */
export const clause = (reason: string) => reason.trim().replace(/[.!]+$/, '');

/**
 * The sidebar's "Private (this browser)" section: the private conversations, each with export and
 * delete, and import / export of all of them.
 */
export function PrivateSection({ activeId, onOpen }: { activeId: string | null; onOpen: (path: string) => void }) {
  const chats = usePrivateChats();
  const list = usePrivateList();
  const confirm = useConfirm();
  const notify = useNotify();
  const picker = useRef<HTMLInputElement>(null);
  const items = list.data ?? [];

  const exportOne = async (s: PrivateSummary) => {
    const c = await chats.conversation(s.id);
    if (c) downloadExport([c], c.title);
  };

  const exportAll = async () => {
    const all = await chats.all();
    if (all.length) downloadExport(all, 'all');
  };

  const remove = async (s: PrivateSummary) => {
    const ok = await confirm({
      title: 'Delete this private conversation?',
      message: <p>“{s.title}” is deleted from this browser. Confab keeps no copy, so it cannot be restored unless you exported it.</p>,
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await chats.remove(s.id);
      notify.info(`“${s.title}” deleted.`);
      if (s.id === activeId) navigate('/');
    } catch (e) {
      notify.error(describeError(e));
    }
  };

  const importFile = async (file: File) => {
    const read = await readImport(file);
    const errors = [...read.errors];
    let renamed = 0;
    let imported = 0;
    if (read.conversations.length) {
      try {
        const ids = await chats.add(read.conversations);
        imported = ids.length;
        renamed = ids.filter((id, i) => id !== read.conversations[i]?.id).length;
      } catch (e) {
        errors.push(`Nothing was imported: this browser's storage refused it (${describeError(e)}).`);
      }
    }
    const done = `${imported} private conversation${imported === 1 ? '' : 's'} imported from ${file.name}.`;
    const ids = renamed ? ` ${renamed} got a new id, as this browser already had ${renamed === 1 ? 'one' : 'ones'} with the same id.` : '';
    if (errors.length === 0) {
      notify.info(done + ids);
      return;
    }
    await confirm({
      title: imported ? 'Imported, with problems' : 'Nothing imported',
      message: (
        <>
          <p>{done + ids}</p>
          <ul className="import-errors">{errors.map((e) => <li key={e}>{e}</li>)}</ul>
        </>
      ),
      confirmLabel: 'OK',
      cancelLabel: null,
    });
  };

  return (
    <section className="private-section" aria-labelledby="private-heading">
      <div className="private-head">
        <h2 id="private-heading"><Icon name="lock" /> Private (this browser)</h2>
        <button type="button" className="icon" aria-label="Import private conversations" title="Import from a file" onClick={() => picker.current?.click()}>
          <Icon name="upload" />
        </button>
        <button type="button" className="icon" aria-label="Export all private conversations" title="Export all to a file" disabled={!items.length} onClick={() => void exportAll()}>
          <Icon name="download" />
        </button>
        <input
          ref={picker}
          type="file"
          accept=".json,application/json"
          hidden
          aria-label="Private conversations file"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = ''; // the same file can be picked again
            if (file) void importFile(file);
          }}
        />
      </div>
      <ul className="private-list" aria-label="Private conversations">
        {items.map((s) => (
          <li key={s.id} className={s.id === activeId ? 'active' : undefined}>
            <a href={privatePath(s.id)} aria-current={s.id === activeId ? 'page' : undefined} onClick={(e) => { e.preventDefault(); onOpen(privatePath(s.id)); }}>
              {s.title || 'Untitled'}
              {s.streaming && <span className="visually-hidden"> (answering)</span>}
            </a>
            <span className="row-actions">
              <button type="button" className="icon" aria-label={`Export private “${s.title}”`} onClick={() => void exportOne(s)}><Icon name="download" /></button>
              <button type="button" className="icon" aria-label={`Delete private “${s.title}”`} onClick={() => void remove(s)}><Icon name="trash" /></button>
            </span>
          </li>
        ))}
        {list.isSuccess && items.length === 0 && <li className="muted">None yet. They stay in this browser only.</li>}
        {list.error && <li className="muted">This browser's storage cannot be read.</li>}
      </ul>
    </section>
  );
}
