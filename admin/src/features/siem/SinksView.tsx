// SIEM sinks: where the audit log streams to (signed webhooks, syslog over TLS), how delivery goes
// (last delivered, last error, backlog), a test event, pausing and removing. The tenant's sinks
// and the installation's own share this view; the routes differ.
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, type Schemas } from '../../api/client';
import { useConfirm } from '../../components/confirm';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/notify';
import { EmptyState, FormError, PageHeader, QueryState, Section, StatusBadge, TableWrap } from '../../components/ui';
import { describeError } from '../../errors';
import { fmtInt, fmtTime } from '../../format';
import { syslogUrl } from './url';

type Sink = Schemas['AuditSinkView'];

const ROUTES = {
  tenant: { list: '/v1/tenant/audit-sinks', one: '/v1/tenant/audit-sinks/{id}', test: '/v1/tenant/audit-sinks/{id}/test' },
  platform: { list: '/v1/platform/audit-sinks', one: '/v1/platform/audit-sinks/{id}', test: '/v1/platform/audit-sinks/{id}/test' },
} as const;

export function SinksView({ platform, canWrite }: { platform: boolean; canWrite: boolean }) {
  const r = platform ? ROUTES.platform : ROUTES.tenant;
  // Delivery moves on its own: the status refreshes while the view is open.
  const tenantSinks = $api.useQuery('get', ROUTES.tenant.list, undefined, { enabled: !platform, refetchInterval: 5000 });
  const platformSinks = $api.useQuery('get', ROUTES.platform.list, undefined, { enabled: platform, refetchInterval: 5000 });
  const sinks = platform ? platformSinks : tenantSinks;
  const tenantDelete = $api.useMutation('delete', ROUTES.tenant.one);
  const platformDelete = $api.useMutation('delete', ROUTES.platform.one);
  const tenantTest = $api.useMutation('post', ROUTES.tenant.test);
  const platformTest = $api.useMutation('post', ROUTES.platform.test);
  const tenantPatch = $api.useMutation('patch', ROUTES.tenant.one);
  const platformPatch = $api.useMutation('patch', ROUTES.platform.one);
  const remove = platform ? platformDelete : tenantDelete;
  const test = platform ? platformTest : tenantTest;
  const patch = platform ? platformPatch : tenantPatch;
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  const [creating, setCreating] = useState(false);
  const [testing, setTesting] = useState<string | null>(null);
  const [results, setResults] = useState<Record<string, { ok: boolean; text: string }>>({});
  const refresh = () => client.invalidateQueries({ queryKey: ['get', r.list] });
  const items = sinks.data?.items ?? [];
  const scopeWords = platform ? 'the installation’s own audit entries (platform scope)' : 'this tenant’s audit entries';

  const runTest = async (s: Sink) => {
    setTesting(s.id);
    try {
      const data = await test.mutateAsync({ params: { path: { id: s.id } } });
      const ok = !!data?.delivered;
      const text = ok ? 'Test event delivered.' : `Test event not delivered: ${data?.error ?? 'no reason given'}`;
      setResults((all) => ({ ...all, [s.id]: { ok, text } }));
      if (ok) notify.ok(`“${s.name}” took the test event.`);
      else notify.error(`“${s.name}” did not take the test event.`);
    } catch (e) {
      setResults((all) => ({ ...all, [s.id]: { ok: false, text: describeError(e) } }));
      notify.error(e);
    } finally {
      setTesting(null);
      void refresh();
    }
  };

  const onDelete = async (s: Sink) => {
    const ok = await confirm({
      title: `Delete the sink “${s.name}”?`,
      message: (
        <>
          <p>
            Confab stops sending audit entries to {s.url}.{' '}
            {s.backlog > 0
              ? `Its backlog of ${fmtInt(s.backlog)} undelivered entr${s.backlog === 1 ? 'y is' : 'ies are'} dropped, not sent.`
              : 'It has no backlog: everything was delivered.'}
          </p>
          <p>The audit log itself keeps every entry. A new sink can start from any point of the log again.</p>
        </>
      ),
      confirmLabel: 'Delete sink',
    });
    if (!ok) return;
    try {
      await remove.mutateAsync({ params: { path: { id: s.id } } });
      notify.ok(`Sink “${s.name}” deleted.`);
      await refresh();
    } catch (e) {
      notify.error(e);
    }
  };

  const onPause = async (s: Sink) => {
    if (s.enabled) {
      const ok = await confirm({
        title: `Pause “${s.name}”?`,
        message: <p>Delivery stops; new entries wait in its backlog and are sent, in order, when it is resumed.</p>,
        confirmLabel: 'Pause delivery',
        danger: false,
      });
      if (!ok) return;
    }
    try {
      await patch.mutateAsync({ params: { path: { id: s.id } }, body: { enabled: !s.enabled } });
      notify.ok(s.enabled ? `Delivery to “${s.name}” paused.` : `Delivery to “${s.name}” resumed.`);
      await refresh();
    } catch (e) {
      notify.error(e);
    }
  };

  return (
    <>
      <PageHeader
        title={platform ? 'Platform SIEM sinks' : 'SIEM sinks'}
        description={`Stream ${scopeWords} to a security information and event management system: signed HTTPS webhooks or syslog over TLS. Entries go in order, and after a failure Confab retries with backoff, so nothing is skipped.`}
      >
        {canWrite && <button type="button" onClick={() => setCreating(true)}>Add a sink</button>}
      </PageHeader>
      <QueryState query={sinks} what="the sinks">
        {() =>
          items.length === 0 ? (
            <EmptyState title="No sinks.">
              {canWrite
                ? 'Add one with “Add a sink”: a webhook URL and a signing secret, or a syslog collector’s host and port.'
                : platform
                  ? 'The platform audit log goes nowhere else yet.'
                  : 'The audit log goes nowhere else yet; a tenant admin can add a sink here.'}
            </EmptyState>
          ) : (
            <Section title="Sinks" id="sinks-heading">
              <TableWrap label="Sinks">
                <table className="data-table sinks-table">
                  <thead>
                    <tr>
                      <th scope="col">Sink</th>
                      <th scope="col">Status</th>
                      <th scope="col" className="num">Backlog</th>
                      <th scope="col">Last delivered</th>
                      <th scope="col">Last error</th>
                      {canWrite && <th scope="col"><span className="visually-hidden">Actions</span></th>}
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((s) => (
                      <tr key={s.id}>
                        <th scope="row" className="title-cell sink-cell">
                          <span className="cell-main">{s.name}</span>
                          <span className="muted small block">{s.kind === 'webhook' ? 'Webhook' : 'Syslog'} · <span className="mono url">{s.url}</span></span>
                          {s.kind === 'webhook' && <span className="muted small block">{s.has_secret ? 'Signing secret set (never shown)' : 'No signing secret'}</span>}
                        </th>
                        <td>
                          <StatusBadge status={s.status} />
                          {s.status === 'failing' && s.next_attempt_at && <span className="muted small block">next try {fmtTime(s.next_attempt_at)}</span>}
                          <TestResult result={results[s.id]} />
                        </td>
                        <td className="num">
                          {fmtInt(s.backlog)}
                          <span className="visually-hidden"> entries waiting</span>
                        </td>
                        <td>
                          {s.last_success_at ? <span className="nowrap">{fmtTime(s.last_success_at)}</span> : <span className="muted">never</span>}
                          {s.last_success_at && s.delivered_seq > 0 && <span className="muted small block">up to entry #{fmtInt(s.delivered_seq)}</span>}
                        </td>
                        <td className="detail-cell">
                          {s.last_error ? (
                            <>
                              <span className="error">{s.last_error}</span>
                              <span className="muted small block">
                                {s.last_error_at ? fmtTime(s.last_error_at) : ''}
                                {s.attempts > 0 ? ` · ${s.attempts} failed attempt${s.attempts === 1 ? '' : 's'}` : ''}
                              </span>
                            </>
                          ) : (
                            <span className="muted">none</span>
                          )}
                        </td>
                        {canWrite && (
                          <td>
                            <div className="actions row-actions">
                              <button type="button" className="ghost small" disabled={testing === s.id} aria-label={`Send a test event to ${s.name}`} onClick={() => void runTest(s)}>
                                {testing === s.id ? 'Testing…' : 'Test'}
                              </button>
                              <button type="button" className="ghost small" aria-label={`${s.enabled ? 'Pause' : 'Resume'} delivery to ${s.name}`} onClick={() => void onPause(s)}>
                                {s.enabled ? 'Pause' : 'Resume'}
                              </button>
                              <button type="button" className="ghost small danger" aria-label={`Delete the sink ${s.name}`} onClick={() => void onDelete(s)}>
                                Delete
                              </button>
                            </div>
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            </Section>
          )
        }
      </QueryState>
      {creating && <CreateSinkDialog platform={platform} onClose={() => setCreating(false)} onCreated={() => void refresh()} />}
    </>
  );
}

function TestResult({ result }: { result: { ok: boolean; text: string } | undefined }) {
  if (!result) return null;
  return <span className={`small block ${result.ok ? 'ok' : 'error'}`}>{result.text}</span>;
}

function CreateSinkDialog({ platform, onClose, onCreated }: { platform: boolean; onClose: () => void; onCreated: () => void }) {
  const tenantCreate = $api.useMutation('post', ROUTES.tenant.list);
  const platformCreate = $api.useMutation('post', ROUTES.platform.list);
  const create = platform ? platformCreate : tenantCreate;
  const notify = useNotify();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Schemas['AuditSinkKindView']>('webhook');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('6514');
  const [tls, setTls] = useState(true);
  const [from, setFrom] = useState<'now' | 'start'>('now');
  const [problem, setProblem] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    let target = url.trim();
    if (kind === 'syslog') {
      const built = syslogUrl(host, port, tls);
      if ('error' in built) return setProblem(built.error);
      target = built.url;
    }
    try {
      await create.mutateAsync({
        body: {
          name: name.trim(),
          kind,
          url: target,
          secret: kind === 'webhook' ? secret : null,
          enabled: true,
          from_seq: from === 'start' ? 1 : null,
        },
      });
      notify.ok(`Sink “${name.trim()}” added.`);
      onCreated();
      onClose();
    } catch {
      /* shown below */
    }
  };

  return (
    <Dialog title="Add a SIEM sink" onClose={onClose}>
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <label>
          Name
          <input type="text" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <fieldset className="radio-group">
          <legend>Delivery</legend>
          <label className="inline">
            <input type="radio" name="sink-kind" value="webhook" checked={kind === 'webhook'} onChange={() => setKind('webhook')} />
            Webhook (signed HTTPS POSTs of JSON batches)
          </label>
          <label className="inline">
            <input type="radio" name="sink-kind" value="syslog" checked={kind === 'syslog'} onChange={() => setKind('syslog')} />
            Syslog (RFC 5424)
          </label>
        </fieldset>
        {kind === 'webhook' ? (
          <>
            <label>
              Webhook URL
              <input type="url" required className="mono" placeholder="https://siem.example.com/confab" value={url} onChange={(e) => setUrl(e.target.value)} />
            </label>
            <label>
              Signing secret <span className="muted">(16–256 characters; stored encrypted, never shown again)</span>
              <input type="password" required minLength={16} maxLength={256} autoComplete="new-password" value={secret} onChange={(e) => setSecret(e.target.value)} />
            </label>
          </>
        ) : (
          <>
            <div className="grid-2">
              <label>
                Host
                <input type="text" required className="mono" placeholder="syslog.example.com" value={host} onChange={(e) => setHost(e.target.value)} />
              </label>
              <label>
                Port
                <input type="text" inputMode="numeric" required value={port} onChange={(e) => setPort(e.target.value)} />
              </label>
            </div>
            <label className="inline">
              <input type="checkbox" checked={tls} onChange={(e) => setTls(e.target.checked)} />
              TLS <span className="muted small">(required; plain TCP is accepted only to this machine in development setups)</span>
            </label>
          </>
        )}
        <fieldset className="radio-group">
          <legend>Start with</legend>
          <label className="inline">
            <input type="radio" name="sink-from" checked={from === 'now'} onChange={() => setFrom('now')} />
            New entries only (from this sink’s creation on)
          </label>
          <label className="inline">
            <input type="radio" name="sink-from" checked={from === 'start'} onChange={() => setFrom('start')} />
            The whole log (every entry still kept)
          </label>
        </fieldset>
        {problem && <p className="error" role="alert">{problem}</p>}
        <FormError error={create.error} />
        <div className="actions end">
          <button type="button" className="ghost" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={create.isPending}>Add sink</button>
        </div>
      </form>
    </Dialog>
  );
}
