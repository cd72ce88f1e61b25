// The session: who is signed in (`GET /v1/me`, null when nobody is), signing in and out, switching
// organisation, and what happens when a request finds the session ended (401).
import { hashKey, useQuery, useQueryClient, type Query, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { flushSync } from 'react-dom';
import { ConfabError, setCsrfToken, setUnauthorizedHandler, type Me } from '../../api/client';
import { $api } from '../../api/query';
import { navigate } from '../../router';
import { useNotify } from '../../shared/toast';

const meQuery = $api.queryOptions('get', '/v1/me');
const sessionKey = meQuery.queryKey;
const isUserData = (query: Query) => query.queryHash !== hashKey(sessionKey);

/** The signed-in user, `null` when nobody is (the API said 401); it changes only through this module. */
export function useSession() {
  return useQuery({
    queryKey: sessionKey,
    queryFn: async (context): Promise<Me | null> => {
      try {
        const me = await meQuery.queryFn(context);
        setCsrfToken(me.csrf_token);
        return me;
      } catch (e) {
        if (e instanceof ConfabError && e.status === 401) return null;
        throw e;
      }
    },
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
}

function setSession(client: QueryClient, me: Me | null) {
  client.setQueryData<Me | null>(sessionKey, me);
}

/** Signs in; a new session starts with nothing cached from an earlier one. */
export function useSignIn() {
  const client = useQueryClient();
  return $api.useMutation('post', '/v1/auth/login', {
    onSuccess: (me) => {
      client.removeQueries({ predicate: isUserData });
      setCsrfToken(me.csrf_token);
      setSession(client, me);
    },
  });
}

/**
 * Signs out; the session is gone on this page whether or not the server heard it. A session that
 * single sign-on opened then goes on to the provider's sign-out (RP-initiated logout), when it offers one.
 */
export function useSignOut() {
  const client = useQueryClient();
  return $api.useMutation('post', '/v1/auth/oidc/logout', {
    onSettled: (out) => {
      setCsrfToken(null);
      setSession(client, null);
      if (out?.redirect) location.assign(out.redirect);
      else navigate('/');
    },
  });
}

/** Makes another organisation the active one; everything shown is then reloaded from it. */
export function useSwitchTenant() {
  const client = useQueryClient();
  return $api.useMutation('put', '/v1/me/active-tenant', {
    onSuccess: (me) => {
      if (me.csrf_token) setCsrfToken(me.csrf_token);
      setSession(client, me);
      // Leave the open conversation first, so that it is not reloaded from the other organisation;
      // nothing cached from this one applies there (not even a list's cursors).
      flushSync(() => navigate('/'));
      void client.resetQueries({ predicate: isUserData });
    },
    meta: { toastErrors: true },
  });
}

/** A request that finds the session ended (401) returns to sign-in, saying why. */
export function useSessionEndNotice() {
  const client = useQueryClient();
  const notify = useNotify();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (client.getQueryData<Me | null>(sessionKey)) notify.error('Your session has ended. Please sign in again.');
      setSession(client, null);
    });
  }, [client, notify]);
}
