import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { Conversation, Me, Schemas } from '../../../api/client';
import { navigate } from '../../../router';
import { Icon } from '../../../shared/Icon';
import { useNotify } from '../../../shared/toast';
import { NewPrivateChat, PrivateOffReason, PrivateSection } from '../../private/components/PrivateSection';
import { useSearch } from '../../search/api';
import { SearchResults } from '../../search/components/SearchResults';
import { refreshConversationLists, useConversationList, useDeleteConversation, useUpdateConversation } from '../api';

interface Props {
  me: Me;
  activeId: string | null;
  /** The private conversation open (see features/private). */
  activePrivateId: string | null;
  onSignOut: () => void;
  onSwitchTenant: (id: string) => void;
  themeToggle: ReactNode;
  onClose: () => void;
}

/** How long a deletion can be undone before it is sent. */
const UNDO_MS = 6000;

export function Sidebar({ me, activeId, activePrivateId, onSignOut, onSwitchTenant, themeToggle, onClose }: Props) {
  const client = useQueryClient();
  const notify = useNotify();
  const [archived, setArchived] = useState(false);
  const [query, setQuery] = useState('');
  const [renaming, setRenaming] = useState<string | null>(null);
  // Deleted, but still within the undo time: hidden from the list, not yet deleted on the server.
  const [undoable, setUndoable] = useState<ReadonlySet<string>>(new Set());
  const list = useConversationList(archived);
  const hits = useSearch(query);
  const updateConversation = useUpdateConversation();
  const deleteConversation = useDeleteConversation();
  const sentinel = useRef<HTMLLIElement>(null);
  const items = (list.data ?? []).filter((c) => !undoable.has(c.id));

  // Infinite scroll: the next page loads when the end of the list comes into view.
  const { hasNextPage, isFetching, fetchNextPage } = list;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasNextPage || isFetching) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void fetchNextPage();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasNextPage, isFetching, fetchNextPage]);

  /** The updated conversation, or null when the change failed (a toast says why). */
  const update = (c: Conversation, body: Schemas['UpdateConversation']) =>
    updateConversation.mutateAsync({ params: { path: { id: c.id } }, body }).catch(() => null);

  const archive = async (c: Conversation) => {
    if (await update(c, { archived: !c.archived })) {
      notify.info(c.archived ? `“${c.title}” restored` : `“${c.title}” archived`, {
        label: 'Undo',
        run: () => void update(c, { archived: c.archived }).then((undone) => undone && refreshConversationLists(client)),
      });
      if (c.id === activeId) navigate('/');
    }
  };

  // Deleting waits a few seconds so it can be undone.
  const remove = (c: Conversation) => {
    const hide = (hidden: boolean) =>
      setUndoable((ids) => {
        const next = new Set(ids);
        if (hidden) next.add(c.id);
        else next.delete(c.id);
        return next;
      });
    hide(true);
    if (c.id === activeId) navigate('/');
    const timer = setTimeout(() => {
      deleteConversation.mutate({ params: { path: { id: c.id } } });
      hide(false); // the deletion took it out of the lists
    }, UNDO_MS);
    notify.info(
      `“${c.title}” deleted`,
      {
        label: 'Undo',
        run: () => {
          clearTimeout(timer);
          hide(false);
        },
      },
      UNDO_MS,
    );
  };

  const open = (path: string) => {
    navigate(path);
    onClose();
  };

  return (
    <nav className="sidebar" aria-label="Conversations">
      <div className="sidebar-head">
        <span className="brand">Confab</span>
        {themeToggle}
        <button type="button" className="ghost close-sidebar" aria-label="Hide conversations" onClick={onClose}>×</button>
      </div>
      <div className="new-chats">
        <button type="button" className="new-chat" onClick={() => open('/')}>+ New chat</button>
        <NewPrivateChat onOpen={open} />
      </div>
      <PrivateOffReason />
      <label className="search">
        <span className="visually-hidden">Search conversations</span>
        <input type="search" placeholder="Search…" value={query} onChange={(e) => setQuery(e.target.value)} />
      </label>
      {!query.trim() && (
        <>
          <PrivateSection activeId={activePrivateId} onOpen={open} />
          <h2 className="list-heading">Saved</h2>
        </>
      )}
      {hits ? (
        <SearchResults hits={hits} onOpen={open} />
      ) : (
        <ul className="conversations" aria-label="Saved conversations">
          {items.map((c) => (
            <li key={c.id} className={c.id === activeId ? 'active' : undefined}>
              {renaming === c.id ? (
                <form
                  className="rename"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const title = new FormData(e.currentTarget).get('title')?.toString().trim();
                    if (title) void update(c, { title }).then(() => setRenaming(null));
                  }}
                >
                  <input name="title" aria-label="New title" defaultValue={c.title} autoFocus onKeyDown={(e) => e.key === 'Escape' && setRenaming(null)} />
                  <button type="submit">Save</button>
                </form>
              ) : (
                <>
                  <a href={`/c/${c.id}`} aria-current={c.id === activeId ? 'page' : undefined} onClick={(e) => { e.preventDefault(); open(`/c/${c.id}`); }}>
                    {c.title || 'Untitled'}
                  </a>
                  <span className="row-actions">
                    <button type="button" className="icon" aria-label={`Rename “${c.title}”`} onClick={() => setRenaming(c.id)}><Icon name="pencil" /></button>
                    <button type="button" className="icon" aria-label={`${c.archived ? 'Unarchive' : 'Archive'} “${c.title}”`} onClick={() => void archive(c)}><Icon name={c.archived ? 'unarchive' : 'archive'} /></button>
                    <button type="button" className="icon" aria-label={`Delete “${c.title}”`} onClick={() => remove(c)}><Icon name="trash" /></button>
                  </span>
                </>
              )}
            </li>
          ))}
          {!list.isFetching && items.length === 0 && <li className="muted">{archived ? 'No archived conversations.' : 'No conversations yet.'}</li>}
          {hasNextPage && <li ref={sentinel} className="muted">Loading more…</li>}
        </ul>
      )}
      <div className="sidebar-foot">
        <label className="inline">
          <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.target.checked)} /> Show archived
        </label>
        <a href="/presets" onClick={(e) => { e.preventDefault(); open('/presets'); }}>My presets</a>
        {me.tenants.length > 1 && (
          <label>
            Organisation
            <select value={me.active_tenant?.id ?? ''} onChange={(e) => onSwitchTenant(e.target.value)}>
              {me.tenants.map((t) => (
                <option key={t.id} value={t.id}>{t.name}</option>
              ))}
            </select>
          </label>
        )}
        <div className="who">
          <span title={me.email}>{me.display_name || me.email}</span>
          <button type="button" className="ghost" onClick={onSignOut}>Sign out</button>
        </div>
      </div>
    </nav>
  );
}
