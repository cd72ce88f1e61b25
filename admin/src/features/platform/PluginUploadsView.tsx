// Plugins of the installation: upload a version (manifest + WebAssembly component), see every
// version with its digest, size and hooks.
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/notify';
import { EmptyState, FormError, PageHeader, QueryState, Section, TableWrap } from '../../components/ui';
import { fmtBytes, fmtTime } from '../../format';

export default function PluginUploadsView() {
  const plugins = $api.useQuery('get', '/v1/plugins');
  const [uploading, setUploading] = useState(false);
  const items = plugins.data?.items ?? [];
  return (
    <>
      <PageHeader title="Plugin uploads" description="WebAssembly plugins available to every tenant. Tenant admins choose which run for them.">
        <button type="button" onClick={() => setUploading(true)}>Upload plugin</button>
      </PageHeader>
      <QueryState query={plugins} what="plugins">
        {() =>
          items.length === 0 ? (
            <EmptyState title="No plugins uploaded.">Upload a component (.wasm) with its manifest (JSON) with “Upload plugin”.</EmptyState>
          ) : (
            items.map((p) => (
              <Section key={p.name} title={p.name} id={`plugin-${p.name}`}>
                <TableWrap>
                  <table className="data-table">
                    <thead>
                      <tr>
                        <th scope="col">Version</th>
                        <th scope="col">Description</th>
                        <th scope="col">Hooks</th>
                        <th scope="col">Default</th>
                        <th scope="col">Size</th>
                        <th scope="col">SHA-256</th>
                        <th scope="col">Uploaded</th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...p.versions].reverse().map((v) => (
                        <tr key={v.id}>
                          <th scope="row">{v.version}</th>
                          <td>{v.description}</td>
                          <td>{v.hooks.join(', ')}</td>
                          <td>{v.default_failure_policy.replace('_', ' ')}</td>
                          <td className="nowrap">{fmtBytes(v.size_bytes)}</td>
                          <td className="mono small" title={v.sha256}>{v.sha256.slice(0, 12)}…</td>
                          <td className="nowrap">{fmtTime(v.created_at)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
              </Section>
            ))
          )
        }
      </QueryState>
      {uploading && <UploadDialog onClose={() => setUploading(false)} />}
    </>
  );
}

async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function UploadDialog({ onClose }: { onClose: () => void }) {
  const upload = $api.useMutation('post', '/v1/plugins');
  const client = useQueryClient();
  const notify = useNotify();
  const [component, setComponent] = useState<File | null>(null);
  const [manifestFile, setManifestFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!component || !manifestFile) return setProblem('Choose both the component (.wasm) and its manifest (.json).');
    let manifest: unknown;
    try {
      manifest = JSON.parse(await manifestFile.text());
    } catch {
      return setProblem('The manifest is not valid JSON.');
    }
    setProblem(null);
    try {
      const created = await upload.mutateAsync({ body: { manifest, component_base64: await base64Of(component) } });
      notify.ok(`Uploaded ${created ? `${created.name} ${created.version}` : 'the plugin'}.`);
      await client.invalidateQueries({ queryKey: ['get', '/v1/plugins'] });
      onClose();
    } catch {
      /* shown below */
    }
  };
  return (
    <Dialog title="Upload plugin" onClose={onClose}>
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <label>
          Component (.wasm)
          <input type="file" accept=".wasm,application/wasm" onChange={(e) => setComponent(e.target.files?.[0] ?? null)} />
        </label>
        <label>
          Manifest (.json)
          <input type="file" accept=".json,application/json" onChange={(e) => setManifestFile(e.target.files?.[0] ?? null)} />
        </label>
        <p className="muted small">The manifest names the plugin and its version, its hooks, its configuration schema and its failure policy. Imports the sandbox does not offer are refused.</p>
        {problem && <p className="error" role="alert">{problem}</p>}
        <FormError error={upload.error} />
        <div className="actions end">
          <button type="button" className="ghost" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={upload.isPending}>{upload.isPending ? 'Uploading…' : 'Upload'}</button>
        </div>
      </form>
    </Dialog>
  );
}
