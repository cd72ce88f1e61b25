import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Schemas } from '../../api/client';
import type { Access, Me } from '../../auth/access';
import { SessionContext } from '../../auth/context';
import { ConfirmProvider } from '../../components/confirm';
import { NotifyProvider } from '../../components/notify';
import ModelsView from './ModelsView';

afterEach(() => vi.unstubAllGlobals());

// jsdom has no ResizeObserver (wide tables watch their size) and <dialog> without its modal methods.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};
HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
  this.open = true;
};
HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
  this.open = false;
};

const seeing: Schemas['ModelView'] = {
  id: 'eyes', display_name: 'Eyes', provider: 'openai', is_demo: false, source: 'tenant', context_window: 8000, max_output_tokens: 1000,
  input_price_per_million: 1, output_price_per_million: 2, vision: true,
};

/** A fake Confab with one tenant model that sees pictures; records the bodies of model PUTs. */
function serve() {
  const puts: unknown[] = [];
  vi.stubGlobal('fetch', async (request: Request) => {
    const path = new URL(request.url).pathname;
    const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
    if (path === '/v1/models/eyes' && request.method === 'PUT') {
      puts.push(await request.json());
      return json(seeing);
    }
    if (path === '/v1/models') return json({ items: [seeing] });
    if (path === '/v1/providers') return json({ items: [{ name: 'openai', kind: 'openai', installation_key: true, tenant_key: false }] });
    return new Response('{}', { status: 404, headers: { 'Content-Type': 'application/json' } });
  });
  return puts;
}

function renderView() {
  const access: Access = { tenantRole: 'tenant_admin', tenant: null, platform: false };
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <SessionContext.Provider value={{ me: {} as Me, access }}>
        <NotifyProvider>
          <ConfirmProvider>
            <ModelsView />
          </ConfirmProvider>
        </NotifyProvider>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

describe('a tenant model', () => {
  it('says it sees pictures, and an edit keeps that unless the box is cleared', async () => {
    const puts = serve();
    renderView();
    await screen.findByText('eyes · sees pictures');
    fireEvent.click(screen.getByRole('button', { name: 'Edit model eyes' }));
    const dialog = await screen.findByRole('dialog');
    const box = within(dialog).getByRole('checkbox', { name: /Sees pictures/ }) as HTMLInputElement;
    expect(box.checked).toBe(true);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save model' }));
    await waitFor(() => expect(puts).toHaveLength(1));
    expect(puts[0]).toMatchObject({ provider: 'openai', vision: true });

    fireEvent.click(screen.getByRole('button', { name: 'Edit model eyes' }));
    const again = await screen.findByRole('dialog');
    fireEvent.click(within(again).getByRole('checkbox', { name: /Sees pictures/ }));
    fireEvent.click(within(again).getByRole('button', { name: 'Save model' }));
    await waitFor(() => expect(puts).toHaveLength(2));
    expect(puts[1]).toMatchObject({ vision: false });
  });
});
