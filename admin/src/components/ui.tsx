// Small shared pieces: the state of a query, empty states, paging, headings.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { takeTitleFocus } from './focus';
import { describeError, isForbidden } from '../errors';

export function PageHeader({ title, children, description }: { title: string; children?: ReactNode; description?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (takeTitleFocus()) ref.current?.focus();
  }, []);
  return (
    <header className="page-header">
      <div>
        <h1 ref={ref} tabIndex={-1} className="page-title">{title}</h1>
        {description && <p className="muted page-description">{description}</p>}
      </div>
      {children && <div className="actions">{children}</div>}
    </header>
  );
}

/** Loading, error or the content of one query. */
export function QueryState({
  query,
  what,
  children,
}: {
  query: { isPending: boolean; error: unknown; refetch: () => unknown };
  what: string;
  children: () => ReactNode;
}) {
  if (query.error) {
    if (isForbidden(query.error)) return <p className="notice-inline">Your role cannot see {what}.</p>;
    return (
      <div role="alert" className="error-box">
        <p>Could not load {what}: {describeError(query.error)}</p>
        <button type="button" className="ghost small" onClick={() => void query.refetch()}>Try again</button>
      </div>
    );
  }
  if (query.isPending) return <p className="muted" aria-busy="true">Loading {what}…</p>;
  return <>{children()}</>;
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <p className="empty-title">{title}</p>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}

/** "Load more" under a cursor-paged list. */
export function LoadMore({
  query,
  shown,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
  shown: number;
}) {
  return (
    <div className="pager">
      <span className="muted">{shown} shown{query.hasNextPage ? '' : ' · all loaded'}</span>
      {query.hasNextPage && (
        <button type="button" className="ghost small" disabled={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
          {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}

export function Section({ title, children, actions, id }: { title: string; children: ReactNode; actions?: ReactNode; id?: string }) {
  return (
    <section className="panel" aria-labelledby={id}>
      <div className="panel-head">
        <h2 id={id}>{title}</h2>
        {actions && <div className="actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

export function FormError({ error }: { error: unknown }) {
  if (!error) return null;
  return <p className="error" role="alert">{describeError(error)}</p>;
}

/**
 * The scroll box of a wide table. When the table is wider than the box it can be scrolled with
 * the keyboard too: it takes the focus (and says what it holds) only then.
 */
export function TableWrap({ children, label }: { children: ReactNode; label?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const check = () => setScrolls(el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
    check();
    const ro = new ResizeObserver(check);
    ro.observe(el);
    if (el.firstElementChild) ro.observe(el.firstElementChild);
    return () => ro.disconnect();
  }, []);
  return (
    <div ref={ref} className="table-wrap" {...(scrolls ? { tabIndex: 0, role: 'group', 'aria-label': `${label ?? 'Table'} (scrollable)` } : {})}>
      {children}
    </div>
  );
}
