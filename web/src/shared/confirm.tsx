// `const confirm = useConfirm(); if (await confirm({…})) …`: an action that takes something away
// asks first, in the page's own dialog (never `window.confirm`), saying what it will do.
import { createContext, useCallback, useContext, useEffect, useId, useRef, useState, type ReactNode } from 'react';

export interface ConfirmRequest {
  title: string;
  /** What it does, in plain words. */
  message: ReactNode;
  confirmLabel: string;
  /** null: no way to decline (a report to acknowledge). */
  cancelLabel?: string | null;
  /** A red button: it cannot be undone. */
  danger?: boolean;
}

type Pending = ConfirmRequest & { resolve: (ok: boolean) => void };
const Context = createContext<(request: ConfirmRequest) => Promise<boolean>>(() => Promise.resolve(false));

export const useConfirm = () => useContext(Context);

export function ConfirmProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const confirm = useCallback((request: ConfirmRequest) => new Promise<boolean>((resolve) => setPending({ ...request, resolve })), []);
  const finish = (ok: boolean) => {
    pending?.resolve(ok);
    setPending(null);
  };
  return (
    <Context.Provider value={confirm}>
      {children}
      {pending && <ConfirmDialog request={pending} onAnswer={finish} />}
    </Context.Provider>
  );
}

function ConfirmDialog({ request, onAnswer }: { request: ConfirmRequest; onAnswer: (ok: boolean) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const messageId = useId();
  useEffect(() => {
    const el = dialog.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (el && !el.open) el.showModal?.();
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={messageId}
      onCancel={(e) => {
        e.preventDefault();
        onAnswer(false);
      }}
    >
      <h2 id={titleId}>{request.title}</h2>
      <div id={messageId}>{request.message}</div>
      <div className="actions end">
        {request.cancelLabel !== null && (
          <button type="button" className="ghost" autoFocus onClick={() => onAnswer(false)}>{request.cancelLabel ?? 'Cancel'}</button>
        )}
        <button type="button" className={request.danger ? 'danger-solid' : undefined} autoFocus={request.cancelLabel === null} onClick={() => onAnswer(true)}>
          {request.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
