import { useState, type FormEvent } from 'react';
import type { Schemas } from '../../../api/client';
import { useNotify } from '../../../shared/toast';
import { useModels, usePresets, usePresetVersions, useSavePreset } from '../api';

type Preset = Schemas['PresetView'];

/** Personal presets: create, edit (each edit is a new version), view versions. */
export function Presets() {
  const notify = useNotify();
  const [editing, setEditing] = useState<Preset | 'new' | null>(null);
  const [versionsOf, setVersionsOf] = useState<Preset | null>(null);
  const catalogue = usePresets().data;
  const models = useModels().data?.items;
  const versions = usePresetVersions(versionsOf?.id ?? null).data;
  const save = useSavePreset();
  const presets = catalogue?.items.filter((p) => !p.deleted) ?? [];

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => f.get(k)?.toString().trim() ?? '';
    const temperature = text('temperature');
    const body = {
      name: text('name'),
      description: text('description'),
      system_prompt: text('system_prompt'),
      ...(text('model') ? { model: text('model') } : {}),
      ...(temperature ? { temperature: Number(temperature) } : {}),
    };
    try {
      if (editing === 'new') await save.create.mutateAsync({ body: { ...body, source: 'personal' } });
      else if (editing) await save.edit.mutateAsync({ params: { path: { id: editing.id } }, body: { ...body, base_version: editing.current.version } });
      notify.info('Preset saved');
      setEditing(null);
      setVersionsOf(null);
    } catch {
      /* the error toast says why; the form stays for another try */
    }
  };

  const current = editing && editing !== 'new' ? editing.current : null;
  return (
    <section className="page">
      <h1>Presets</h1>
      <p className="muted">Named model settings and system prompts. Editing a preset makes a new version; conversations keep the version they started with.</p>
      <button type="button" onClick={() => setEditing('new')}>New preset</button>
      {editing && (
        <form className="stack preset-form" onSubmit={(e) => void submit(e)} key={current?.id ?? 'new'}>
          <h2>{current ? `Edit “${current.name}” (now v${current.version})` : 'New personal preset'}</h2>
          <label>Name<input name="name" required defaultValue={current?.name} /></label>
          <label>Description<input name="description" defaultValue={current?.description} /></label>
          <label>
            Model
            <select name="model" defaultValue={current?.model ?? ''}>
              <option value="">Organisation default</option>
              {models?.map((m) => <option key={m.id} value={m.id}>{m.display_name}</option>)}
            </select>
          </label>
          <label>Temperature<input name="temperature" type="number" min="0" max="2" step="0.1" defaultValue={current?.temperature ?? ''} /></label>
          <label>System prompt<textarea name="system_prompt" rows={5} defaultValue={current?.system_prompt} /></label>
          <div className="actions">
            <button type="submit">{current ? 'Save as new version' : 'Create'}</button>
            <button type="button" className="ghost" onClick={() => setEditing(null)}>Cancel</button>
          </div>
        </form>
      )}
      <ul className="preset-list">
        {presets.length === 0 && <li className="muted">No presets yet.</li>}
        {presets.map((p) => (
          <li key={p.id}>
            <div>
              <strong>{p.current.name}</strong> <span className="badge">v{p.current.version}</span>{' '}
              <span className="badge">{p.source === 'tenant' ? 'organisation' : 'personal'}</span>
              {p.current.description && <p className="muted">{p.current.description}</p>}
            </div>
            <div className="actions">
              {p.source === 'personal' && <button type="button" className="ghost small" onClick={() => setEditing(p)}>Edit</button>}
              <button type="button" className="ghost small" onClick={() => setVersionsOf(p)}>Versions</button>
            </div>
          </li>
        ))}
        {catalogue?.plugin_items.map((p) => (
          <li key={`${p.plugin}:${p.id}`}>
            <div>
              <strong>{p.name}</strong> <span className="badge">{p.plugin} {p.plugin_version}</span> <span className="badge">plugin</span>
              <p className="muted">{p.description}</p>
            </div>
          </li>
        ))}
      </ul>
      {versionsOf && versions && (
        <section aria-label={`Versions of ${versionsOf.current.name}`}>
          <h2>Versions of “{versionsOf.current.name}”</h2>
          <ol className="versions">
            {versions.items.map((v) => (
              <li key={v.id}>
                <strong>v{v.version}</strong> · {new Date(v.created_at).toLocaleString()} · {v.name}
                {v.model ? ` · ${v.model}` : ''}
                {v.system_prompt && <pre className="prompt">{v.system_prompt}</pre>}
              </li>
            ))}
          </ol>
        </section>
      )}
    </section>
  );
}
