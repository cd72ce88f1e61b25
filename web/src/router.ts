// The client-side routes (the server answers each with index.html; see server/src/web/spa.rs).
import { useEffect, useState } from 'react';

export type Route =
  | { name: 'home' }
  | { name: 'chat'; id: string }
  | { name: 'share'; token: string }
  | { name: 'shared'; id: string }
  | { name: 'presets' }
  | { name: 'unknown' };

export function parseRoute(path: string): Route {
  if (path === '/' || path === '') return { name: 'home' };
  if (path === '/presets') return { name: 'presets' };
  const m = /^\/(c|s|shared)\/([^/]+)$/.exec(path);
  if (!m || !m[2]) return { name: 'unknown' };
  const value = decodeURIComponent(m[2]);
  if (m[1] === 'c') return { name: 'chat', id: value };
  if (m[1] === 's') return { name: 'share', token: value };
  return { name: 'shared', id: value };
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return route;
}
