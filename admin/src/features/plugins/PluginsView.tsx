// The tenant's plugin chain: which plugins run, in what order (drag, or the move buttons), how
// they fail, how long they may take, and their configuration (a form made from the plugin's
// schema); plus the plugins it could add and the latest runs.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, type Schemas } from '../../api/client';
import { useCanWrite } from '../../auth/context';
import { useConfirm } from '../../components/confirm';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/notify';
import { EmptyState, FormError, PageHeader, QueryState, Section, TableWrap } from '../../components/ui';
import { fmtInt, fmtTime } from '../../format';
import { asSchema, controlId, initialValue, validate, type Json, type Problem } from './schema';
import { SchemaForm } from './SchemaForm';

type Entry = Schemas['ChainEntryView'];
type Plugin = Schemas['PluginView'];
const policyName = (p: string) => (p === 'fail_closed' ? 'fail closed' : 'fail open');

export default function PluginsView() {
  const canWrite = useCanWrite('plugins');
  const chain = $api.useQuery('get', '/v1/tenant/plugins');
  const available = $api.useQuery('get', '/v1/tenant/plugins/available', undefined, { enabled: canWrite });
  const [configuring, setConfiguring] = useState<{ name: string; entry: Entry | null } | null>(null);
  const entries = [...(chain.data?.chain ?? [])].sort((a, b) => a.position - b.position);
  const inChain = new Set(entries.map((e) => e.name));
  const addable = (available.data?.items ?? []).filter((p) => !inChain.has(p.name));

  return (
    <>
      <PageHeader title="Plugins" description="Plugins run on every chat turn of this tenant, first to last: they can add presets, rewrite or refuse requests, and rewrite answers." />
      <Section title="Chain" id="chain-heading-plugins">
        <QueryState query={chain} what="the plugin chain">
          {() =>
            entries.length === 0 ? (
              <EmptyState title="No plugins run in this tenant.">{canWrite ? 'Add one of the available plugins below.' : 'A tenant admin adds plugins here.'}</EmptyState>
            ) : (
              <ChainList entries={entries} canWrite={canWrite} onConfigure={(e) => setConfiguring({ name: e.name, entry: e })} />
            )
          }
        </QueryState>
      </Section>
      {canWrite && (
        <Section title="Available plugins" id="available-heading">
          <QueryState query={available} what="available plugins">
            {() =>
              addable.length === 0 ? (
                <p className="muted">{(available.data?.items.length ?? 0) === 0 ? 'No plugin has been uploaded to this installation yet; a platform admin uploads them.' : 'Every uploaded plugin is already in the chain.'}</p>
              ) : (
                <ul className="card-list" aria-label="Available plugins">
                  {addable.map((p) => {
                    const latest = p.versions[p.versions.length - 1];
                    return (
                      <li key={p.name} className="card">
                        <div className="card-head">
                          <h3 className="card-title">{p.name}</h3>
                          {latest && <span className="badge">{latest.version}</span>}
                        </div>
                        {latest && <p className="muted">{latest.description}</p>}
                        {latest && <p className="small muted">Hooks: {latest.hooks.join(', ')} · default {policyName(latest.default_failure_policy)}</p>}
                        {canWrite && (
                          <div className="actions">
                            <button type="button" className="small" aria-label={`Add to chain: ${p.name}`} onClick={() => setConfiguring({ name: p.name, entry: null })}>Add to chain</button>
                          </div>
                        )}
                      </li>
                    );
                  })}
                </ul>
              )
            }
          </QueryState>
        </Section>
      )}
      <Runs names={entries.map((e) => e.name)} />
      {configuring && (
        <ConfigureDialog
          name={configuring.name}
          entry={configuring.entry}
          plugin={(available.data?.items ?? []).find((p) => p.name === configuring.name) ?? null}
          readOnly={!canWrite}
          onClose={() => setConfiguring(null)}
        />
      )}
    </>
  );
}

function useRefreshChain() {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: ['get', '/v1/tenant/plugins'] });
}

function ChainList({ entries, canWrite, onConfigure }: { entries: Entry[]; canWrite: boolean; onConfigure: (e: Entry) => void }) {
  const [order, setOrder] = useState(entries.map((e) => e.name));
  const [dragging, setDragging] = useState<string | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const setChainOrder = $api.useMutation('put', '/v1/tenant/plugin-order');
  const configure = $api.useMutation('put', '/v1/tenant/plugins/{name}');
  const remove = $api.useMutation('delete', '/v1/tenant/plugins/{name}');
  const refresh = useRefreshChain();
  const confirm = useConfirm();
  const notify = useNotify();
  const list = useRef<HTMLOListElement>(null);
  const key = entries.map((e) => e.name).join(',');
  useEffect(() => setOrder(key.split(',')), [key]);
  const byName = new Map(entries.map((e) => [e.name, e]));

  const saveOrder = async (next: string[], moved: string) => {
    const before = order;
    setOrder(next);
    try {
      await setChainOrder.mutateAsync({ body: { names: next } });
      notify.ok(`${moved} now runs ${ordinal(next.indexOf(moved) + 1)} of ${next.length}.`);
      await refresh();
    } catch (e) {
      setOrder(before);
      notify.error(e);
    }
  };
  const move = (name: string, delta: number) => {
    const i = order.indexOf(name);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= order.length) return;
    const next = [...order];
    next.splice(i, 1);
    next.splice(j, 0, name);
    void saveOrder(next, name).then(() => {
      // Keep the focus on the moved plugin's button that was pressed, or its other one at the ends.
      const which = delta < 0 ? 'up' : 'down';
      const btn = list.current?.querySelector<HTMLButtonElement>(`[data-move="${name}:${which}"]:not([disabled])`) ?? list.current?.querySelector<HTMLButtonElement>(`[data-move^="${name}:"]:not([disabled])`);
      btn?.focus();
    });
  };
  const drop = (target: string) => {
    if (!dragging || dragging === target) return;
    const next = order.filter((n) => n !== dragging);
    next.splice(next.indexOf(target) + (order.indexOf(dragging) < order.indexOf(target) ? 1 : 0), 0, dragging);
    void saveOrder(next, dragging);
  };
  const toggle = async (e: Entry) => {
    if (e.enabled && !(await confirm({ title: `Disable ${e.name}?`, message: <p>{e.name} stops running on this tenant's turns until it is enabled again. Its place in the chain and its settings are kept.</p>, confirmLabel: 'Disable plugin' }))) return;
    try {
      await configure.mutateAsync({
        params: { path: { name: e.name } },
        body: { version: e.version, enabled: !e.enabled, config: e.config as Json, failure_policy: e.failure_policy, time_budget_ms: e.time_budget_ms },
      });
      notify.ok(`${e.name} ${e.enabled ? 'disabled' : 'enabled'}.`);
      await refresh();
    } catch (err) {
      notify.error(err);
    }
  };

  return (
    <>
      {canWrite && <p className="muted small">Drag a plugin by its handle, or use its move buttons, to change the order.</p>}
      <ol className="chain" ref={list} aria-label="Plugin chain, first runs first">
        {order.map((name, i) => {
          const e = byName.get(name);
          if (!e) return null;
          return (
            <li
              key={name}
              className={`chain-item${dragging === name ? ' dragging' : ''}${over === name && dragging !== name ? ' drop-target' : ''}${e.enabled ? '' : ' disabled'}`}
              draggable={canWrite}
              onDragStart={(ev) => {
                setDragging(name);
                ev.dataTransfer.effectAllowed = 'move';
                ev.dataTransfer.setData('text/plain', name);
              }}
              onDragEnd={() => {
                setDragging(null);
                setOver(null);
              }}
              onDragOver={(ev) => {
                if (!dragging) return;
                ev.preventDefault();
                setOver(name);
              }}
              onDrop={(ev) => {
                ev.preventDefault();
                drop(name);
                setDragging(null);
                setOver(null);
              }}
              data-name={name}
            >
              {canWrite && <span className="drag-handle" aria-hidden="true" title="Drag to reorder">⠿</span>}
              <span className="chain-pos" aria-hidden="true">{i + 1}</span>
              <div className="chain-main">
                <div className="chain-title">
                  <strong>{e.name}</strong> <span className="badge">{e.version}</span>{' '}
                  <span className={`badge ${e.enabled ? 'status-active' : 'status-disabled'}`}>{e.enabled ? 'enabled' : 'disabled'}</span>
                </div>
                <div className="muted small">
                  {e.hooks.join(', ')} · {policyName(e.failure_policy)} · budget {fmtInt(e.time_budget_ms)} ms · changed {fmtTime(e.updated_at)}
                </div>
              </div>
              <div className="actions row-actions">
                {canWrite && (
                  <>
                    <button type="button" className="ghost small" data-move={`${name}:up`} disabled={i === 0 || setChainOrder.isPending} aria-label={`Move ${name} up`} onClick={() => move(name, -1)}>↑</button>
                    <button type="button" className="ghost small" data-move={`${name}:down`} disabled={i === order.length - 1 || setChainOrder.isPending} aria-label={`Move ${name} down`} onClick={() => move(name, 1)}>↓</button>
                    <button type="button" className="ghost small" aria-label={`${e.enabled ? 'Disable' : 'Enable'} ${name}`} onClick={() => void toggle(e)}>{e.enabled ? 'Disable' : 'Enable'}</button>
                  </>
                )}
                <button type="button" className="ghost small" aria-label={`${canWrite ? 'Configure' : 'Settings of'} ${name}`} onClick={() => onConfigure(e)}>{canWrite ? 'Configure' : 'Settings'}</button>
                {canWrite && (
                  <button
                    type="button"
                    className="ghost small danger"
                    aria-label={`Remove ${name} from the chain`}
                    onClick={async () => {
                      if (!(await confirm({ title: `Remove ${name}?`, message: <p>{name} leaves this tenant's chain and its settings here are deleted. You can add it again later, but must configure it anew.</p>, confirmLabel: 'Remove plugin' }))) return;
                      try {
                        await remove.mutateAsync({ params: { path: { name } } });
                        notify.ok(`${name} removed from the chain.`);
                        await refresh();
                      } catch (err) {
                        notify.error(err);
                      }
                    }}
                  >
                    Remove
                  </button>
                )}
              </div>
            </li>
          );
        })}
      </ol>
    </>
  );
}

function ordinal(n: number): string {
  return n === 1 ? 'first' : n === 2 ? 'second' : n === 3 ? 'third' : `#${n}`;
}

function ConfigureDialog({ name, entry, plugin, readOnly, onClose }: { name: string; entry: Entry | null; plugin: Plugin | null; readOnly: boolean; onClose: () => void }) {
  const versions = plugin?.versions ?? [];
  const [version, setVersion] = useState(entry?.version ?? versions[versions.length - 1]?.version ?? '');
  const chosen = versions.find((v) => v.version === version) ?? null;
  const schema = asSchema(chosen?.config_schema) ?? { type: 'object', properties: {} };
  const [enabled, setEnabled] = useState(entry?.enabled ?? true);
  const [policy, setPolicy] = useState<Schemas['FailurePolicy']>(entry?.failure_policy ?? chosen?.default_failure_policy ?? 'fail_closed');
  const [budget, setBudget] = useState(String(entry?.time_budget_ms ?? 50));
  const [config, setConfig] = useState<Record<string, Json>>(() => initialValue(schema, entry?.config));
  // Checked live once the admin first tried to save, so a fixed field clears its message.
  const [attempted, setAttempted] = useState(false);
  const [summary, setSummary] = useState<string | null>(null);
  const put = $api.useMutation('put', '/v1/tenant/plugins/{name}');
  const refresh = useRefreshChain();
  const notify = useNotify();
  const form = useRef<HTMLFormElement>(null);
  const problems: Problem[] = attempted ? validate(schema, config) : [];
  const budgetProblem = attempted && !(Number.isInteger(Number(budget)) && Number(budget) >= 1 && Number(budget) <= 2000);
  useEffect(() => {
    if (attempted && problems.length === 0 && !budgetProblem) setSummary(null);
  }, [attempted, problems.length, budgetProblem]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found = validate(schema, config);
    const ms = Number(budget);
    const budgetBad = !Number.isInteger(ms) || ms < 1 || ms > 2000;
    setAttempted(true);
    if (found.length > 0 || budgetBad) {
      setSummary(`${found.length + (budgetBad ? 1 : 0)} setting${found.length + (budgetBad ? 1 : 0) === 1 ? ' needs' : 's need'} fixing before saving.`);
      const first = budgetBad ? 'plugin-budget' : controlId('cfg', found[0]!.path);
      requestAnimationFrame(() => form.current?.querySelector<HTMLElement>(`[id="${first}"]`)?.focus());
      return;
    }
    setSummary(null);
    try {
      await put.mutateAsync({ params: { path: { name } }, body: { version, enabled, failure_policy: policy, time_budget_ms: ms, config } });
      notify.ok(`${name} saved.`);
      await refresh();
      onClose();
    } catch {
      /* shown below */
    }
  };

  return (
    <Dialog title={readOnly ? `Settings of ${name}` : entry ? `Configure ${name}` : `Add ${name}`} onClose={onClose} wide>
      <form ref={form} className="stack" onSubmit={(e) => void submit(e)} noValidate>
        {chosen && <p className="muted">{chosen.description}</p>}
        <div className="grid-3">
          <label>
            Version
            <select value={version} disabled={readOnly} onChange={(e) => setVersion(e.target.value)}>
              {versions.length === 0 && <option value={version}>{version}</option>}
              {versions.map((v) => <option key={v.id} value={v.version}>{v.version}</option>)}
            </select>
          </label>
          <label>
            Time budget per call (ms)
            <input id="plugin-budget" type="number" min={1} max={2000} step={1} readOnly={readOnly} value={budget} onChange={(e) => setBudget(e.target.value)} aria-describedby="plugin-budget-hint" aria-invalid={budgetProblem || undefined} />
            <span id="plugin-budget-hint" className={budgetProblem ? 'error small' : 'muted small'}>1 to 2000{budgetProblem ? ': a whole number of milliseconds in this range' : ''}</span>
          </label>
          <fieldset className="schema-group">
            <legend>When it fails</legend>
            <label className="inline">
              <input type="radio" name="policy" disabled={readOnly} checked={policy === 'fail_closed'} onChange={() => setPolicy('fail_closed')} /> Stop the turn (fail closed)
            </label>
            <label className="inline">
              <input type="radio" name="policy" disabled={readOnly} checked={policy === 'fail_open'} onChange={() => setPolicy('fail_open')} /> Go on without it (fail open)
            </label>
          </fieldset>
        </div>
        <label className="inline">
          <input type="checkbox" disabled={readOnly} checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
        </label>
        <fieldset className="schema-root">
          <legend>Configuration</legend>
          {chosen ? (
            <SchemaForm schema={schema} value={config} onChange={setConfig} problems={problems} readOnly={readOnly} />
          ) : (
            // Without the plugin's versions (not listed to auditors) there is no schema: show the settings as they are.
            <pre className="json" aria-label="Configuration as JSON">{JSON.stringify(entry?.config ?? {}, null, 2)}</pre>
          )}
        </fieldset>
        {summary && <p className="error" role="alert">{summary}</p>}
        <FormError error={put.error} />
        <div className="actions end">
          <button type="button" className="ghost" onClick={onClose}>{readOnly ? 'Close' : 'Cancel'}</button>
          {!readOnly && <button type="submit" disabled={put.isPending}>{entry ? 'Save' : 'Add to chain'}</button>}
        </div>
      </form>
    </Dialog>
  );
}

function Runs({ names }: { names: string[] }) {
  const [plugin, setPlugin] = useState('');
  const [failedOnly, setFailedOnly] = useState(false);
  const runs = $api.useQuery('get', '/v1/tenant/plugins/runs', {
    params: { query: { plugin: plugin || undefined, failed_only: failedOnly || undefined, limit: 50 } },
  });
  const items = runs.data?.items ?? [];
  return (
    <Section title="Recent runs" id="runs-heading">
      <div className="filters compact">
        <label>
          Plugin
          <select value={plugin} onChange={(e) => setPlugin(e.target.value)}>
            <option value="">All</option>
            {names.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
        <label className="inline">
          <input type="checkbox" checked={failedOnly} onChange={(e) => setFailedOnly(e.target.checked)} /> Failures only
        </label>
      </div>
      <QueryState query={runs} what="plugin runs">
        {() =>
          items.length === 0 ? (
            <p className="muted">{failedOnly ? 'No failures recorded.' : 'No runs yet: they are recorded on chat turns while plugins are enabled.'}</p>
          ) : (
            <TableWrap>
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Plugin</th>
                    <th scope="col">Outcome</th>
                    <th scope="col" className="num">Time</th>
                    <th scope="col">Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((r) => (
                    <tr key={`${r.message_id}-${r.plugin}`}>
                      <td className="nowrap">{fmtTime(r.at)}</td>
                      <td>{r.plugin} <span className="muted">{r.version}</span></td>
                      <td><span className={`badge outcome-${r.outcome}`}>{r.outcome.replace('_', ' ')}</span></td>
                      <td className="num">{(r.elapsed_us / 1000).toFixed(1)} ms</td>
                      <td className="detail-cell">{r.detail ?? <span className="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </QueryState>
    </Section>
  );
}
