// Short notices after an action ("User disabled."), read out by screen readers.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { describeError } from '../errors';

interface Notice {
  id: number;
  text: string;
  kind: 'ok' | 'error';
}
interface Notify {
  ok: (text: string) => void;
  error: (e: unknown) => void;
}
const NotifyContext = createContext<Notify>({ ok: () => {}, error: () => {} });

export function NotifyProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const next = useRef(1);
  const push = useCallback((text: string, kind: Notice['kind']) => {
    const id = next.current++;
    setNotices((n) => [...n.slice(-2), { id, text, kind }]);
    setTimeout(() => setNotices((n) => n.filter((x) => x.id !== id)), kind === 'error' ? 10000 : 5000);
  }, []);
  const value = useMemo<Notify>(
    () => ({ ok: (t) => push(t, 'ok'), error: (e) => push(typeof e === 'string' ? e : describeError(e), 'error') }),
    [push],
  );
  return (
    <NotifyContext.Provider value={value}>
      {children}
      <div className="notices" role="status" aria-live="polite">
        {notices.map((n) => (
          <p key={n.id} className={`notice ${n.kind}`}>
            {n.text}
            <button type="button" className="icon" aria-label="Dismiss" onClick={() => setNotices((all) => all.filter((x) => x.id !== n.id))}>✕</button>
          </p>
        ))}
      </div>
    </NotifyContext.Provider>
  );
}

export function useNotify() {
  return useContext(NotifyContext);
}
