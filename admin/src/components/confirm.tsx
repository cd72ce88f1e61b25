// `const confirm = useConfirm(); if (await confirm({…})) …`: every destructive action asks first,
// in a dialog that says what it will do.
import { createContext, useCallback, useContext, useId, useState, type ReactNode } from 'react';
import { Dialog } from './Dialog';

export interface ConfirmRequest {
  title: string;
  /** What it does, in plain words. */
  message: ReactNode;
  confirmLabel: string;
  /** A red button: the action cannot be undone or takes something away. */
  danger?: boolean;
}

type Pending = ConfirmRequest & { resolve: (ok: boolean) => void };
const ConfirmContext = createContext<(r: ConfirmRequest) => Promise<boolean>>(() => Promise.resolve(false));

export function ConfirmProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const messageId = useId();
  const confirm = useCallback(
    (r: ConfirmRequest) => new Promise<boolean>((resolve) => setPending({ ...r, resolve })),
    [],
  );
  const finish = (ok: boolean) => {
    pending?.resolve(ok);
    setPending(null);
  };
  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      {pending && (
        <Dialog title={pending.title} onClose={() => finish(false)} describedBy={messageId}>
          <div id={messageId} className="confirm-message">{pending.message}</div>
          <div className="actions end">
            <button type="button" className="ghost" onClick={() => finish(false)} autoFocus>Cancel</button>
            <button type="button" className={pending.danger === false ? '' : 'danger-solid'} onClick={() => finish(true)}>
              {pending.confirmLabel}
            </button>
          </div>
        </Dialog>
      )}
    </ConfirmContext.Provider>
  );
}

export function useConfirm() {
  return useContext(ConfirmContext);
}
