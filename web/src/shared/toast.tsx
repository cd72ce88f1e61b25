import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

export interface ToastAction {
  label: string;
  run: () => void;
}
interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
  action?: ToastAction;
}
interface Notify {
  info: (text: string, action?: ToastAction, ms?: number) => void;
  error: (text: string) => void;
}

const Context = createContext<Notify>({ info: () => {}, error: () => {} });
export const useNotify = () => useContext(Context);

/** Messages for the user, announced to screen readers (`role="status"` / `"alert"`). */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const push = useCallback(
    (toast: Omit<Toast, 'id'>, ms: number) => {
      const id = next.current++;
      setToasts((t) => [...t.slice(-3), { ...toast, id }]);
      setTimeout(() => dismiss(id), ms);
    },
    [dismiss],
  );
  const notify = useMemo<Notify>(
    () => ({
      info: (text, action, ms = 5000) => push({ text, kind: 'info', action }, ms),
      error: (text) => push({ text, kind: 'error' }, 8000),
    }),
    [push],
  );
  return (
    <Context.Provider value={notify}>
      {children}
      <div className="toasts">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
            <span>{t.text}</span>
            {t.action && (
              <button type="button" onClick={() => { t.action?.run(); dismiss(t.id); }}>
                {t.action.label}
              </button>
            )}
            <button type="button" className="icon" aria-label="Dismiss" onClick={() => dismiss(t.id)}>×</button>
          </div>
        ))}
      </div>
    </Context.Provider>
  );
}
