// The client-side routes (the server answers each with index.html; see server/src/web/spa.rs).
// A private conversation's address is in the fragment (`/#/private/<id>`): the page at `/` serves
// it, and its id never reaches the server, not even in a request line.
import { useEffect, useState } from 'react';

export type Route =
  | { name: 'home' }
  | { name: 'chat'; id: string }
  | { name: 'private'; id: string | null }
  | { name: 'share'; token: string }
  | { name: 'shared'; id: string }
  | { name: 'presets' }
  | { name: 'unknown' };

export function parseRoute(path: string, hash = ''): Route {
  if (path === '/' || path === '') {
    const p = /^#\/private(?:\/([^/]+))?\/?$/.exec(hash);
    if (p) return { name: 'private', id: p[1] ? decodeURIComponent(p[1]) : null };
    return { name: 'home' };
  }
  if (path === '/presets') return { name: 'presets' };
  const m = /^\/(c|s|shared)\/([^/]+)$/.exec(path);
  if (!m || !m[2]) return { name: 'unknown' };
  const value = decodeURIComponent(m[2]);
  if (m[1] === 'c') return { name: 'chat', id: value };
  if (m[1] === 's') return { name: 'share', token: value };
  return { name: 'shared', id: value };
}

/** The address of a private conversation (a new one when `id` is null). */
export const privatePath = (id: string | null) => (id ? `/#/private/${encodeURIComponent(id)}` : '/#/private');

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname, location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname, location.hash));
    addEventListener('popstate', update);
    // A fragment typed into the address bar changes the route too.
    addEventListener('hashchange', update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener('hashchange', update);
    };
  }, []);
  return route;
}
