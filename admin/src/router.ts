// Hash routes (`#/users`, `#/audit?action=auth.login`): the document's own URL never changes, so
// it can be served at `/` or `/admin/` alike, and its directory stays the API base.
import { useSyncExternalStore } from 'react';

export interface Route {
  path: string;
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = (q >= 0 ? raw.slice(0, q) : raw).replace(/\/+$/, '');
  return { path, query: new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '') };
}

export function routeHash(path: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v);
  const qs = params.toString();
  return `#/${path}${qs ? `?${qs}` : ''}`;
}

const listeners = new Set<() => void>();
function subscribe(fn: () => void) {
  listeners.add(fn);
  window.addEventListener('hashchange', fn);
  return () => {
    listeners.delete(fn);
    window.removeEventListener('hashchange', fn);
  };
}
const snapshot = () => location.hash;

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, snapshot);
  return parseHash(hash);
}

/** Goes to a route; `replace` keeps it out of the history (filters typed into a form). */
export function navigate(path: string, query: Record<string, string | undefined> = {}, replace = false): void {
  const hash = routeHash(path, query);
  if (hash === location.hash) return;
  if (replace) {
    history.replaceState(history.state, '', hash);
    listeners.forEach((fn) => fn());
  } else {
    location.hash = hash;
  }
}
