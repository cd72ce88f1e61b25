import { QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setUnauthorizedHandler, type Me } from '../../api/client';
import { $api } from '../../api/query';
import { ToastProvider } from '../../shared/toast';
import { serve, withQueries } from '../../test-utils';
import { useSession, useSessionEndNotice } from './api';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  setUnauthorizedHandler(() => {});
});

const ann = { id: 'u1', email: 'ann@example.com', display_name: 'Ann', tenants: [], csrf_token: 'csrf-1' } as unknown as Me;

function Who() {
  const session = useSession();
  useSessionEndNotice();
  if (session.data === undefined) return <p>Loading</p>;
  return <p>{session.data ? `Signed in as ${session.data.email}` : 'Signed out'}</p>;
}

function renderSession() {
  const { client } = withQueries();
  render(
    <ToastProvider>
      <QueryClientProvider client={client}>
        <Who />
      </QueryClientProvider>
    </ToastProvider>,
  );
  return client;
}

describe('the session', () => {
  it('is nobody when /v1/me says 401, with no "session ended" notice', async () => {
    serve(({ path }) => (path === '/v1/me' ? [401, { error: { code: 'unauthenticated', message: 'Sign in.' } }] : undefined));
    renderSession();
    await screen.findByText('Signed out');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('ends when another request gets 401, with a notice', async () => {
    serve(({ path }) => {
      if (path === '/v1/me') return [200, ann];
      return [401, { error: { code: 'unauthenticated', message: 'Sign in.' } }];
    });
    const client = renderSession();
    await screen.findByText('Signed in as ann@example.com');
    await client.fetchQuery($api.queryOptions('get', '/v1/presets', undefined, { meta: { toastErrors: true } })).catch(() => {});
    await screen.findByText('Signed out');
    expect(screen.getAllByRole('alert').map((a) => a.textContent)).toEqual([expect.stringContaining('Your session has ended')]);
  });
});
