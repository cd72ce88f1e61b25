// Tenant presets (a system prompt, model and parameters everyone can pick), their versions, and a
// side-by-side comparison of any two versions.
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, type Schemas } from '../../api/client';
import { useCanWrite } from '../../auth/context';
import { useConfirm } from '../../components/confirm';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/notify';
import { EmptyState, FormError, PageHeader, QueryState, Section } from '../../components/ui';
import { fmtTime } from '../../format';
import { sideBySide, type DiffLine } from './diff';

type Preset = Schemas['PresetView'];

export default function PresetsView() {
  const canWrite = useCanWrite('presets');
  const presets = $api.useQuery('get', '/v1/presets');
  const [editing, setEditing] = useState<Preset | 'new' | null>(null);
  const [versionsOf, setVersionsOf] = useState<Preset | null>(null);
  const remove = $api.useMutation('delete', '/v1/presets/{id}');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();

  return (
    <>
      <PageHeader title="Presets" description="Tenant presets: a system prompt, model and parameters that everyone in the tenant can start a chat with.">
        {canWrite && <button type="button" onClick={() => setEditing('new')}>New preset</button>}
      </PageHeader>
      <QueryState query={presets} what="presets">
        {() => {
          const tenant = (presets.data?.items ?? []).filter((p) => p.source === 'tenant' && !p.deleted);
          const plugin = presets.data?.plugin_items ?? [];
          return (
            <>
              {tenant.length === 0 ? (
                <EmptyState title="No tenant presets yet.">{canWrite ? 'Create one with “New preset”; people find it in the chat’s preset picker.' : 'A tenant admin creates presets here.'}</EmptyState>
              ) : (
                <ul className="card-list" aria-label="Tenant presets">
                  {tenant.map((p) => (
                    <li key={p.id} className="card">
                      <div className="card-head">
                        <h2 className="card-title">{p.current.name}</h2>
                        <span className="badge">v{p.current.version}</span>
                        {p.current.model && <span className="badge">{p.current.model}</span>}
                      </div>
                      {p.current.description && <p className="muted">{p.current.description}</p>}
                      <p className="prompt-preview">{p.current.system_prompt || <span className="muted">(no system prompt)</span>}</p>
                      <p className="muted small">Changed {fmtTime(p.updated_at)}</p>
                      <div className="actions">
                        <button type="button" className="ghost small" aria-label={`Versions of ${p.current.name}`} onClick={() => setVersionsOf(p)}>Versions</button>
                        {canWrite && (
                          <>
                            <button type="button" className="ghost small" aria-label={`Edit ${p.current.name}`} onClick={() => setEditing(p)}>Edit</button>
                            <button
                              type="button"
                              className="ghost small danger"
                              aria-label={`Delete ${p.current.name}`}
                              onClick={async () => {
                                if (!(await confirm({ title: 'Delete preset?', message: <p>“{p.current.name}” disappears from everyone's preset picker. Conversations already using it keep their pinned version.</p>, confirmLabel: 'Delete preset' }))) return;
                                try {
                                  await remove.mutateAsync({ params: { path: { id: p.id } } });
                                  notify.ok(`Preset “${p.current.name}” deleted.`);
                                  await client.invalidateQueries({ queryKey: ['get', '/v1/presets'] });
                                } catch (e) {
                                  notify.error(e);
                                }
                              }}
                            >
                              Delete
                            </button>
                          </>
                        )}
                      </div>
                    </li>
                  ))}
                </ul>
              )}
              {plugin.length > 0 && (
                <Section title="From plugins" id="plugin-presets-heading">
                  <ul className="plain-list">
                    {plugin.map((p) => (
                      <li key={`${p.plugin}/${p.id}`}>
                        <strong>{p.name}</strong> <span className="muted">· {p.plugin} {p.plugin_version}</span>
                        {p.description && <div className="muted small">{p.description}</div>}
                      </li>
                    ))}
                  </ul>
                </Section>
              )}
            </>
          );
        }}
      </QueryState>
      {editing && <PresetDialog preset={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      {versionsOf && <VersionsDialog preset={versionsOf} onClose={() => setVersionsOf(null)} />}
    </>
  );
}

function PresetDialog({ preset, onClose }: { preset: Preset | null; onClose: () => void }) {
  const models = $api.useQuery('get', '/v1/models');
  const create = $api.useMutation('post', '/v1/presets');
  const update = $api.useMutation('put', '/v1/presets/{id}');
  const client = useQueryClient();
  const notify = useNotify();
  const c = preset?.current;
  const [f, setF] = useState({
    name: c?.name ?? '',
    description: c?.description ?? '',
    system_prompt: c?.system_prompt ?? '',
    model: c?.model ?? '',
    temperature: c?.temperature !== undefined && c?.temperature !== null ? String(c.temperature) : '',
    max_tokens: c?.max_tokens !== undefined && c?.max_tokens !== null ? String(c.max_tokens) : '',
  });
  const [problem, setProblem] = useState<string | null>(null);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const error = create.error ?? update.error;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!f.name.trim()) return setProblem('The preset needs a name.');
    const temperature = f.temperature === '' ? undefined : Number(f.temperature);
    const maxTokens = f.max_tokens === '' ? undefined : Number(f.max_tokens);
    if (temperature !== undefined && !(temperature >= 0 && temperature <= 2)) return setProblem('Temperature is between 0 and 2.');
    if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens > 0)) return setProblem('Max tokens is a whole number above 0.');
    setProblem(null);
    const body = {
      name: f.name.trim(),
      description: f.description,
      system_prompt: f.system_prompt,
      model: f.model || undefined,
      temperature,
      max_tokens: maxTokens,
    };
    try {
      if (preset) {
        await update.mutateAsync({ params: { path: { id: preset.id } }, body: { ...body, base_version: preset.current.version } });
        notify.ok(`“${body.name}” saved as version ${preset.current.version + 1}.`);
      } else {
        await create.mutateAsync({ body: { ...body, source: 'tenant' } });
        notify.ok(`Preset “${body.name}” created.`);
      }
      await client.invalidateQueries({ queryKey: ['get', '/v1/presets'] });
      onClose();
    } catch {
      /* shown below */
    }
  };

  return (
    <Dialog title={preset ? `Edit “${preset.current.name}”` : 'New tenant preset'} onClose={onClose} wide>
      <form className="stack" onSubmit={(e) => void submit(e)} noValidate>
        <label>
          Name
          <input type="text" required value={f.name} onChange={set('name')} />
        </label>
        <label>
          Description
          <input type="text" value={f.description} onChange={set('description')} />
        </label>
        <label>
          System prompt
          <textarea rows={8} value={f.system_prompt} onChange={set('system_prompt')} />
        </label>
        <div className="grid-3">
          <label>
            Model
            <select value={f.model} onChange={set('model')}>
              <option value="">Chooser's model</option>
              {(models.data?.items ?? []).map((m) => <option key={m.id} value={m.id}>{m.display_name}</option>)}
            </select>
          </label>
          <label>
            Temperature
            <input type="number" min={0} max={2} step={0.1} value={f.temperature} onChange={set('temperature')} placeholder="model default" />
          </label>
          <label>
            Max tokens
            <input type="number" min={1} step={1} value={f.max_tokens} onChange={set('max_tokens')} placeholder="model default" />
          </label>
        </div>
        {preset && <p className="muted small">Saving makes version {preset.current.version + 1}; conversations pinned to older versions keep them.</p>}
        {problem && <p className="error" role="alert">{problem}</p>}
        <FormError error={error} />
        <div className="actions end">
          <button type="button" className="ghost" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={create.isPending || update.isPending}>{preset ? 'Save as new version' : 'Create preset'}</button>
        </div>
      </form>
    </Dialog>
  );
}

function VersionsDialog({ preset, onClose }: { preset: Preset; onClose: () => void }) {
  const versions = $api.useQuery('get', '/v1/presets/{id}/versions', { params: { path: { id: preset.id } } });
  const latest = preset.current.version;
  const [from, setFrom] = useState(Math.max(1, latest - 1));
  const [to, setTo] = useState(latest);
  const diff = $api.useQuery(
    'get',
    '/v1/presets/{id}/diff',
    { params: { path: { id: preset.id }, query: { from, to } } },
    { enabled: from !== to },
  );
  const items = [...(versions.data?.items ?? [])].sort((a, b) => b.version - a.version);
  return (
    <Dialog title={`Versions of “${preset.current.name}”`} onClose={onClose} wide>
      <QueryState query={versions} what="versions">
        {() => (
          <>
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Name</th>
                  <th scope="col">Model</th>
                  <th scope="col">Saved</th>
                </tr>
              </thead>
              <tbody>
                {items.map((v) => (
                  <tr key={v.id}>
                    <td>v{v.version}</td>
                    <td>{v.name}</td>
                    <td>{v.model ?? '—'}</td>
                    <td>{fmtTime(v.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {items.length < 2 ? (
              <p className="muted">There is one version so far; edit the preset to make another and compare them here.</p>
            ) : (
              <>
                <div className="filters compact">
                  <label>
                    Compare
                    <select value={from} onChange={(e) => setFrom(Number(e.target.value))}>
                      {items.map((v) => <option key={v.version} value={v.version}>v{v.version}</option>)}
                    </select>
                  </label>
                  <label>
                    with
                    <select value={to} onChange={(e) => setTo(Number(e.target.value))}>
                      {items.map((v) => <option key={v.version} value={v.version}>v{v.version}</option>)}
                    </select>
                  </label>
                </div>
                {from === to ? (
                  <p className="muted">Pick two different versions.</p>
                ) : (
                  <QueryState query={diff} what="the comparison">
                    {() => <DiffView diff={diff.data!} />}
                  </QueryState>
                )}
              </>
            )}
          </>
        )}
      </QueryState>
    </Dialog>
  );
}

const show = (v: unknown) => (v === null || v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

function DiffView({ diff }: { diff: Schemas['PresetDiff'] }) {
  if (diff.changes.length === 0) return <p className="muted">v{diff.from} and v{diff.to} are the same.</p>;
  return (
    <div className="diff">
      {diff.changes.map((c) => (
        <table key={c.field} className="diff-table">
          <caption>{c.field.replace(/_/g, ' ')}</caption>
          <thead>
            <tr>
              <th scope="col">v{diff.from}</th>
              <th scope="col">v{diff.to}</th>
            </tr>
          </thead>
          <tbody>
            {c.lines && c.lines.length > 0 ? (
              sideBySide(c.lines as DiffLine[]).map((r, i) => (
                <tr key={i}>
                  <td className={`diff-${r.left?.kind ?? 'empty'}`}>
                    {r.left && r.left.kind === 'delete' && <span className="visually-hidden">removed: </span>}
                    {r.left?.text ?? ''}
                  </td>
                  <td className={`diff-${r.right?.kind ?? 'empty'}`}>
                    {r.right && r.right.kind === 'insert' && <span className="visually-hidden">added: </span>}
                    {r.right?.text ?? ''}
                  </td>
                </tr>
              ))
            ) : (
              <tr>
                <td className="diff-delete"><span className="visually-hidden">was: </span>{show(c.from)}</td>
                <td className="diff-insert"><span className="visually-hidden">now: </span>{show(c.to)}</td>
              </tr>
            )}
          </tbody>
        </table>
      ))}
    </div>
  );
}
