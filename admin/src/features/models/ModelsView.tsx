// The tenant's models (its own, beside the installation's), its provider keys (write-only) and the
// policy of which models presets may use.
import { useEffect, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, type Schemas } from '../../api/client';
import { useCanWrite } from '../../auth/context';
import { useConfirm } from '../../components/confirm';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/notify';
import { EmptyState, FormError, PageHeader, QueryState, Section, TableWrap } from '../../components/ui';
import { fmtInt } from '../../format';

type Model = Schemas['ModelView'];
const sourceName = (s: string) => (s === 'built_in' ? 'built in' : s);

export default function ModelsView() {
  const canWrite = useCanWrite('models');
  return (
    <>
      <PageHeader title="Models and providers" description="Which models this tenant's people can chat with, the keys used to reach them, and what presets may use." />
      <Models canWrite={canWrite} />
      <Providers canWrite={canWrite} />
      <PresetPolicy canWrite={canWrite} />
    </>
  );
}

function Models({ canWrite }: { canWrite: boolean }) {
  const models = $api.useQuery('get', '/v1/models');
  const [editing, setEditing] = useState<Model | 'new' | null>(null);
  const remove = $api.useMutation('delete', '/v1/models/{id}');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  return (
    <Section title="Models" id="models-heading" actions={canWrite ? <button type="button" onClick={() => setEditing('new')}>Add model</button> : undefined}>
      <QueryState query={models} what="models">
        {() => {
          const items = models.data?.items ?? [];
          if (items.length === 0) return <EmptyState title="No models.">{canWrite ? 'Add a model of a configured provider with “Add model”.' : 'A tenant admin adds models here.'}</EmptyState>;
          return (
            <TableWrap>
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">Model</th>
                    <th scope="col">Provider</th>
                    <th scope="col">Source</th>
                    <th scope="col" className="num">Context</th>
                    <th scope="col" className="num">Max output</th>
                    <th scope="col" className="num">$ / M in · out</th>
                    {canWrite && <th scope="col"><span className="visually-hidden">Actions</span></th>}
                  </tr>
                </thead>
                <tbody>
                  {items.map((m) => (
                    <tr key={m.id}>
                      <th scope="row">
                        <div className="cell-main">{m.display_name}</div>
                        <div className="muted small mono">{m.id}{m.is_demo ? ' · demo' : ''}{m.vision ? ' · sees pictures' : ''}</div>
                      </th>
                      <td>{m.provider}</td>
                      <td><span className="badge">{sourceName(m.source)}</span></td>
                      <td className="num">{fmtInt(m.context_window)}</td>
                      <td className="num">{fmtInt(m.max_output_tokens)}</td>
                      <td className="num">{m.input_price_per_million} · {m.output_price_per_million}</td>
                      {canWrite && (
                        <td>
                          {m.source === 'tenant' && (
                            <div className="actions row-actions">
                              <button type="button" className="ghost small" aria-label={`Edit model ${m.id}`} onClick={() => setEditing(m)}>Edit</button>
                              <button
                                type="button"
                                className="ghost small danger"
                                aria-label={`Remove model ${m.id}`}
                                onClick={async () => {
                                  if (!(await confirm({ title: 'Remove model?', message: <p>“{m.display_name}” ({m.id}) disappears from this tenant's model list. Conversations that used it keep their history; new turns must pick another model.</p>, confirmLabel: 'Remove model' }))) return;
                                  try {
                                    await remove.mutateAsync({ params: { path: { id: m.id } } });
                                    notify.ok(`Model ${m.id} removed.`);
                                    await client.invalidateQueries({ queryKey: ['get', '/v1/models'] });
                                  } catch (e) {
                                    notify.error(e);
                                  }
                                }}
                              >
                                Remove
                              </button>
                            </div>
                          )}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          );
        }}
      </QueryState>
      {editing && <ModelDialog model={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </Section>
  );
}

function ModelDialog({ model, onClose }: { model: Model | null; onClose: () => void }) {
  const providers = $api.useQuery('get', '/v1/providers');
  const put = $api.useMutation('put', '/v1/models/{id}');
  const client = useQueryClient();
  const notify = useNotify();
  const [f, setF] = useState({
    id: model?.id ?? '',
    display_name: model?.display_name ?? '',
    provider: model?.provider ?? '',
    upstream_model: '',
    context_window: String(model?.context_window ?? 128000),
    max_output_tokens: String(model?.max_output_tokens ?? 4096),
    input_price_per_million: String(model?.input_price_per_million ?? 0),
    output_price_per_million: String(model?.output_price_per_million ?? 0),
  });
  // An edit starts from the model's own value: saving replaces the whole model.
  const [vision, setVision] = useState(model?.vision ?? false);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    const first = providers.data?.items[0]?.name;
    if (!f.provider && first) setF((x) => ({ ...x, provider: first }));
  }, [providers.data, f.provider]);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const nums = ['context_window', 'max_output_tokens', 'input_price_per_million', 'output_price_per_million'] as const;
    if (!f.id.trim()) return setProblem('The model needs an id.');
    if (nums.some((k) => f[k] === '' || !(Number(f[k]) >= 0))) return setProblem('Sizes and prices are numbers, 0 or more.');
    setProblem(null);
    try {
      await put.mutateAsync({
        params: { path: { id: f.id.trim() } },
        body: {
          provider: f.provider,
          display_name: f.display_name.trim() || undefined,
          upstream_model: f.upstream_model.trim() || undefined,
          context_window: Number(f.context_window),
          max_output_tokens: Number(f.max_output_tokens),
          input_price_per_million: Number(f.input_price_per_million),
          output_price_per_million: Number(f.output_price_per_million),
          vision,
        },
      });
      notify.ok(`Model ${f.id.trim()} saved.`);
      await client.invalidateQueries({ queryKey: ['get', '/v1/models'] });
      onClose();
    } catch {
      /* shown below */
    }
  };

  return (
    <Dialog title={model ? `Edit model ${model.id}` : 'Add model'} onClose={onClose}>
      <form className="stack" onSubmit={(e) => void submit(e)} noValidate>
        <label>
          Id (what people pick)
          <input type="text" className="mono" value={f.id} readOnly={model !== null} onChange={set('id')} required />
        </label>
        <label>
          Display name
          <input type="text" value={f.display_name} onChange={set('display_name')} />
        </label>
        <label>
          Provider
          <select value={f.provider} onChange={set('provider')}>
            {(providers.data?.items ?? []).map((p) => <option key={p.name} value={p.name}>{p.name} ({p.kind})</option>)}
          </select>
        </label>
        <label>
          Upstream model name <span className="muted">(when it differs from the id)</span>
          <input type="text" className="mono" value={f.upstream_model} onChange={set('upstream_model')} />
        </label>
        <div className="grid-2">
          <label>
            Context window (tokens)
            <input type="number" min={1} step={1} value={f.context_window} onChange={set('context_window')} />
          </label>
          <label>
            Max output tokens
            <input type="number" min={1} step={1} value={f.max_output_tokens} onChange={set('max_output_tokens')} />
          </label>
          <label>
            $ per million input tokens
            <input type="number" min={0} step="any" value={f.input_price_per_million} onChange={set('input_price_per_million')} />
          </label>
          <label>
            $ per million output tokens
            <input type="number" min={0} step="any" value={f.output_price_per_million} onChange={set('output_price_per_million')} />
          </label>
        </div>
        <label className="inline">
          <input type="checkbox" checked={vision} onChange={(e) => setVision(e.target.checked)} />
          <span>
            Sees pictures <span className="muted small">— people may attach images to messages for it (other models refuse them)</span>
          </span>
        </label>
        {problem && <p className="error" role="alert">{problem}</p>}
        <FormError error={put.error} />
        <div className="actions end">
          <button type="button" className="ghost" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={put.isPending}>Save model</button>
        </div>
      </form>
    </Dialog>
  );
}

function Providers({ canWrite }: { canWrite: boolean }) {
  const providers = $api.useQuery('get', '/v1/providers', {}, { enabled: canWrite });
  const [keyFor, setKeyFor] = useState<string | null>(null);
  const remove = $api.useMutation('delete', '/v1/providers/{name}/key');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  if (!canWrite) return null; // provider keys are a tenant admin's business
  return (
    <Section title="Provider keys" id="providers-heading">
      <p className="muted small">A tenant key is used instead of the installation's key for this tenant. Keys are stored encrypted and never shown again.</p>
      <QueryState query={providers} what="providers">
        {() => {
          const items = providers.data?.items ?? [];
          if (items.length === 0) return <EmptyState title="No providers are configured.">The operator configures providers in Confab's configuration file.</EmptyState>;
          return (
            <TableWrap>
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">Provider</th>
                    <th scope="col">Protocol</th>
                    <th scope="col">Installation key</th>
                    <th scope="col">Tenant key</th>
                    <th scope="col"><span className="visually-hidden">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((p) => (
                    <tr key={p.name}>
                      <th scope="row">{p.name}</th>
                      <td>{p.kind}</td>
                      <td>{p.installation_key ? 'configured' : <span className="muted">none</span>}</td>
                      <td>{p.tenant_key ? <span className="badge status-active">set</span> : <span className="muted">not set</span>}</td>
                      <td>
                        <div className="actions row-actions">
                          <button type="button" className="ghost small" aria-label={`${p.tenant_key ? 'Replace key' : 'Set key'} for ${p.name}`} onClick={() => setKeyFor(p.name)}>{p.tenant_key ? 'Replace key' : 'Set key'}</button>
                          {p.tenant_key && (
                            <button
                              type="button"
                              className="ghost small danger"
                              aria-label={`Remove key for ${p.name}`}
                              onClick={async () => {
                                if (!(await confirm({ title: 'Remove tenant key?', message: <p>This tenant's key for {p.name} is deleted. {p.installation_key ? "The installation's key is used again." : 'Without an installation key, models of this provider stop working for this tenant.'}</p>, confirmLabel: 'Remove key' }))) return;
                                try {
                                  await remove.mutateAsync({ params: { path: { name: p.name } } });
                                  notify.ok(`Tenant key of ${p.name} removed.`);
                                  await client.invalidateQueries({ queryKey: ['get', '/v1/providers'] });
                                } catch (e) {
                                  notify.error(e);
                                }
                              }}
                            >
                              Remove key
                            </button>
                          )}
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          );
        }}
      </QueryState>
      {keyFor && <KeyDialog provider={keyFor} onClose={() => setKeyFor(null)} />}
    </Section>
  );
}

function KeyDialog({ provider, onClose }: { provider: string; onClose: () => void }) {
  const put = $api.useMutation('put', '/v1/providers/{name}/key');
  const client = useQueryClient();
  const notify = useNotify();
  const [key, setKey] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await put.mutateAsync({ params: { path: { name: provider } }, body: { api_key: key } });
      setKey('');
      notify.ok(`Tenant key of ${provider} saved.`);
      await client.invalidateQueries({ queryKey: ['get', '/v1/providers'] });
      onClose();
    } catch {
      /* shown below */
    }
  };
  return (
    <Dialog title={`API key for ${provider}`} onClose={onClose}>
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <label>
          API key
          <input type="password" autoComplete="off" required value={key} onChange={(e) => setKey(e.target.value)} aria-describedby="key-hint" />
        </label>
        <p id="key-hint" className="muted small">Write-only: once saved, nobody can read it back, not even you.</p>
        <FormError error={put.error} />
        <div className="actions end">
          <button type="button" className="ghost" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={put.isPending || !key}>Save key</button>
        </div>
      </form>
    </Dialog>
  );
}

function PresetPolicy({ canWrite }: { canWrite: boolean }) {
  const policy = $api.useQuery('get', '/v1/tenant/preset-policy', {}, { enabled: canWrite });
  const models = $api.useQuery('get', '/v1/models');
  const save = $api.useMutation('put', '/v1/tenant/preset-policy');
  const client = useQueryClient();
  const notify = useNotify();
  const [restrict, setRestrict] = useState(false);
  const [allowed, setAllowed] = useState<string[]>([]);
  useEffect(() => {
    if (!policy.data) return;
    setRestrict(Array.isArray(policy.data.allowed_models));
    setAllowed(policy.data.allowed_models ?? []);
  }, [policy.data]);
  if (!canWrite) return null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await save.mutateAsync({ body: { allowed_models: restrict ? allowed : null } });
      notify.ok('Preset policy saved.');
      await client.invalidateQueries({ queryKey: ['get', '/v1/tenant/preset-policy'] });
    } catch (err) {
      notify.error(err);
    }
  };
  return (
    <Section title="Preset policy" id="policy-heading">
      <QueryState query={policy} what="the preset policy">
        {() => (
          <form className="stack" onSubmit={(e) => void submit(e)}>
            <fieldset className="schema-group">
              <legend>Models presets may use</legend>
              <label className="inline">
                <input type="radio" name="policy" checked={!restrict} onChange={() => setRestrict(false)} /> Any model of this tenant
              </label>
              <label className="inline">
                <input type="radio" name="policy" checked={restrict} onChange={() => setRestrict(true)} /> Only these:
              </label>
              <div className="checkbox-row indent">
                {(models.data?.items ?? []).map((m) => (
                  <label key={m.id} className="inline">
                    <input
                      type="checkbox"
                      disabled={!restrict}
                      checked={allowed.includes(m.id)}
                      onChange={(e) => setAllowed(e.target.checked ? [...allowed, m.id] : allowed.filter((x) => x !== m.id))}
                    />
                    {m.display_name} <span className="muted mono small">{m.id}</span>
                  </label>
                ))}
              </div>
            </fieldset>
            <div className="actions">
              <button type="submit" disabled={save.isPending}>Save policy</button>
            </div>
          </form>
        )}
      </QueryState>
    </Section>
  );
}
