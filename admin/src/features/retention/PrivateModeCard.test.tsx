import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfirmProvider } from '../../components/confirm';
import { NotifyProvider } from '../../components/notify';
import { PrivateModeCard, privateModeBody } from './PrivateModeCard';

afterEach(() => vi.unstubAllGlobals());

// jsdom has <dialog> without its modal methods.
HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
  this.open = true;
};
HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
  this.open = false;
};

type Setting = { allowed: boolean; reason: string | null; legal_hold: string | null; updated_at: string | null; updated_by: string | null };

/** A fake Confab holding the tenant's setting; records the bodies of PUTs. */
function serve(setting: Setting) {
  const puts: unknown[] = [];
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname !== '/v1/tenant/private-mode') return new Response('{}', { status: 404 });
    if (request.method === 'PUT') {
      const body = (await request.json()) as { allowed: boolean; reason: string | null };
      puts.push(body);
      Object.assign(setting, body, { updated_at: '2026-12-20T10:00:00Z', updated_by: 'admin@acme.test' });
    }
    return new Response(JSON.stringify(setting), { status: 200, headers: { 'Content-Type': 'application/json' } });
  });
  return puts;
}

function renderCard(canWrite = true) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <NotifyProvider>
        <ConfirmProvider>
          <PrivateModeCard canWrite={canWrite} />
        </ConfirmProvider>
      </NotifyProvider>
    </QueryClientProvider>,
  );
}

describe('the private chats card', () => {
  it('sends a reason only while private chats are off', () => {
    expect(privateModeBody(false, '  Policy 7 requires keeping chats  ')).toEqual({ allowed: false, reason: 'Policy 7 requires keeping chats' });
    expect(privateModeBody(false, '   ')).toEqual({ allowed: false, reason: null });
    expect(privateModeBody(true, 'left over')).toEqual({ allowed: true, reason: null });
  });

  it('turns private chats off with a reason, after a confirmation that says what happens to existing ones', async () => {
    const puts = serve({ allowed: true, reason: null, legal_hold: null, updated_at: null, updated_by: null });
    renderCard();
    const toggle = await screen.findByRole('switch', { name: 'Allow private chats' });
    expect(screen.getByText('Never changed (allowed by default)')).toBeTruthy();
    fireEvent.click(toggle);
    fireEvent.change(screen.getByLabelText(/Reason shown to members/), { target: { value: 'Policy 7 requires keeping chats' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toMatch(/stay there: Confab never had them/);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Turn private chats off' }));
    await waitFor(() => expect(puts).toEqual([{ allowed: false, reason: 'Policy 7 requires keeping chats' }]));
    await screen.findByText(/Changed .* by admin@acme.test/);
  });

  it('shows the legal hold that forbids private chats, and no controls for an auditor', async () => {
    serve({ allowed: true, reason: null, legal_hold: 'Acme v. Globex', updated_at: null, updated_by: null });
    renderCard(false);
    await screen.findByText(/legal hold “Acme v. Globex” forbids private chats/);
    expect((screen.getByRole('switch', { name: 'Allow private chats' }) as HTMLInputElement).disabled).toBe(true);
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull();
  });
});
