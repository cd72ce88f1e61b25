import type { Schemas } from '../../../api/client';

/** A new chat's preset: none, a personal or organisation one (`preset:<id>`), or a plugin's (`plugin:<plugin>:<id>`). */
export function PresetPicker({ presets, value, onChange }: { presets: Schemas['PresetList'] | undefined; value: string; onChange: (choice: string) => void }) {
  return (
    <div className="new-chat-options">
      <label>
        Preset
        <select value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">No preset</option>
          {presets?.items.filter((p) => !p.deleted).map((p) => (
            <option key={p.id} value={`preset:${p.id}`}>
              {p.current.name} · v{p.current.version} · {p.source === 'tenant' ? 'organisation' : 'personal'}
            </option>
          ))}
          {presets?.plugin_items.map((p) => (
            <option key={`${p.plugin}:${p.id}`} value={`plugin:${p.plugin}:${p.id}`}>
              {p.name} · {p.plugin} {p.plugin_version} · plugin
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
