import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, call, type Conversation, type Me, type Schemas } from '../../../api/client';
import { describeError } from '../../../shared/errors';
import { navigate } from '../../../router';
import { useNotify } from '../../../shared/toast';
import { Icon } from '../../../shared/Icon';

const PAGE = 30;

interface Props {
  me: Me;
  listVersion: number;
  activeId: string | null;
  onSignOut: () => void;
  onSwitchTenant: (id: string) => void;
  themeToggle: ReactNode;
  onClose: () => void;
}

export function Sidebar({ me, listVersion, activeId, onSignOut, onSwitchTenant, themeToggle, onClose }: Props) {
  const notify = useNotify();
  const [archived, setArchived] = useState(false);
  const [items, setItems] = useState<Conversation[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<Schemas['SearchHitView'][] | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const pendingDeletes = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const sentinel = useRef<HTMLLIElement>(null);
  const loadingRef = useRef(false);

  const loadPage = useCallback(
    async (from: string | null, reset: boolean) => {
      if (loadingRef.current && !reset) return;
      loadingRef.current = true;
      setLoading(true);
      try {
        const page = await call(
          api.GET('/v1/conversations', { params: { query: { archived, limit: PAGE, ...(from ? { cursor: from } : {}) } } }),
        );
        const visible = page.items.filter((c) => !pendingDeletes.current.has(c.id));
        setItems((prev) => (reset ? visible : [...prev, ...visible.filter((c) => !prev.some((p) => p.id === c.id))]));
        setCursor(page.next_cursor ?? null);
      } catch (e) {
        notify.error(describeError(e));
      } finally {
        loadingRef.current = false;
        setLoading(false);
      }
    },
    [archived, notify],
  );

  useEffect(() => {
    void loadPage(null, true);
  }, [loadPage, listVersion, me.active_tenant?.id]);

  // Infinite scroll: the next page loads when the end of the list comes into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !cursor) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void loadPage(cursor, false);
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [cursor, loadPage]);

  // Search as you type (debounced).
  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setHits(null);
      return;
    }
    const timer = setTimeout(() => {
      call(api.GET('/v1/search', { params: { query: { q, limit: 20 } } }))
        .then((r) => setHits(r.items))
        .catch((e: unknown) => notify.error(describeError(e)));
    }, 250);
    return () => clearTimeout(timer);
  }, [query, notify, listVersion]);

  const update = async (c: Conversation, body: Schemas['UpdateConversation']) => {
    try {
      const updated = await call(api.PATCH('/v1/conversations/{id}', { params: { path: { id: c.id } }, body }));
      setItems((list) => (updated.archived !== archived ? list.filter((x) => x.id !== c.id) : list.map((x) => (x.id === c.id ? updated : x))));
      return true;
    } catch (e) {
      notify.error(describeError(e));
      return false;
    }
  };

  const archive = async (c: Conversation) => {
    if (await update(c, { archived: !c.archived })) {
      notify.info(c.archived ? `“${c.title}” restored` : `“${c.title}” archived`, {
        label: 'Undo',
        run: () => void call(api.PATCH('/v1/conversations/{id}', { params: { path: { id: c.id } }, body: { archived: c.archived } })).then(() => void loadPage(null, true)),
      });
      if (c.id === activeId) navigate('/');
    }
  };

  // Deleting waits a few seconds so it can be undone.
  const remove = (c: Conversation) => {
    setItems((list) => list.filter((x) => x.id !== c.id));
    if (c.id === activeId) navigate('/');
    const timer = setTimeout(() => {
      pendingDeletes.current.delete(c.id);
      call(api.DELETE('/v1/conversations/{id}', { params: { path: { id: c.id } } })).catch((e: unknown) => notify.error(describeError(e)));
    }, 6000);
    pendingDeletes.current.set(c.id, timer);
    notify.info(
      `“${c.title}” deleted`,
      {
        label: 'Undo',
        run: () => {
          clearTimeout(timer);
          pendingDeletes.current.delete(c.id);
          void loadPage(null, true);
        },
      },
      6000,
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
      <button type="button" className="new-chat" onClick={() => open('/')}>+ New chat</button>
      <label className="search">
        <span className="visually-hidden">Search conversations</span>
        <input type="search" placeholder="Search…" value={query} onChange={(e) => setQuery(e.target.value)} />
      </label>
      {hits ? (
        <ul className="conversations search-results" aria-label="Search results">
          {hits.length === 0 && <li className="muted">No matches.</li>}
          {hits.map((h, i) => (
            <li key={`${h.conversation_id}-${h.message_id ?? 't'}-${i}`}>
              <a href={`/c/${h.conversation_id}`} onClick={(e) => { e.preventDefault(); open(`/c/${h.conversation_id}`); }}>
                <strong>{h.conversation_title}</strong>
                {h.conversation_archived && <span className="badge">archived</span>}
                <span className="snippet">
                  {h.snippet.map((s, j) => (s.highlight ? <mark key={j}>{s.text}</mark> : <span key={j}>{s.text}</span>))}
                </span>
              </a>
            </li>
          ))}
        </ul>
      ) : (
        <ul className="conversations">
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
          {!loading && items.length === 0 && <li className="muted">{archived ? 'No archived conversations.' : 'No conversations yet.'}</li>}
          {cursor && <li ref={sentinel} className="muted">Loading more…</li>}
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
