// The signed-in account's access, for any view: `useAccess()`, `useCanWrite('users')`.
import { createContext, useContext } from 'react';
import { canWrite, type Access, type Me, type ViewId } from './access';

export interface Session {
  me: Me;
  access: Access;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in console');
  return s;
}

export function useCanWrite(view: ViewId): boolean {
  return canWrite(useSession().access, view);
}
