import { Blob as NodeBlob, File as NodeFile } from 'node:buffer';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Schemas } from '../../api/client';
import { formatBytes } from '../../shared/format';
import { serve, withQueries } from '../../test-utils';
import { Composer } from '../chat/components/Composer';
import { useDraft } from '../chat/hooks/useDraft';
import { hasImage, kindLabel, pastedName, refusal, restored, settle, type AttachedFile, type Attachment, type UploadLimits } from './attachments';
import { MessageFiles } from './components/MessageFiles';
import { useAttachments } from './useAttachments';

const noop = () => {};
const LIMITS: UploadLimits = { max_file_bytes: 1024, max_files_per_message: 2 };

function model(id: string, vision: boolean): Schemas['ModelView'] {
  return {
    id, display_name: id, provider: 'openai', is_demo: false, source: 'installation', context_window: 1000, max_output_tokens: 100,
    input_price_per_million: 0, output_price_per_million: 0, vision,
  };
}
const stored = (over: Partial<AttachedFile> = {}): AttachedFile => ({ id: 'f1', name: 'a.txt', media_type: 'text/plain', kind: 'text', size_bytes: 5, ...over });
function fileAnswer(id: string, name: string, kind: Schemas['FileKind'], size: number): Schemas['File'] {
  return { id, name, kind, size_bytes: size, media_type: kind === 'image' ? 'image/png' : 'text/plain', sha256: '00', text_truncated: false, created_at: '2026-01-01T00:00:00Z' };
}

beforeEach(() => {
  // jsdom has no object URLs.
  let n = 0;
  URL.createObjectURL = vi.fn(() => `blob:test/${++n}`);
  URL.revokeObjectURL = vi.fn();
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('attachment rules', () => {
  it('refuse a file past the count or the size before any upload, and only with the limits known', () => {
    expect(refusal(10, 0, LIMITS)).toBeNull();
    expect(refusal(10, 2, LIMITS)).toBe('Not attached: a message can carry at most 2 files.');
    expect(refusal(2048, 0, LIMITS)).toBe('Too large: a file may have at most 1 KB.');
    expect(refusal(10 ** 9, 99, undefined)).toBeNull();
  });

  it('refuse a second chip of the same stored file (an identical upload is the same file)', () => {
    const chip = (key: string, state: Attachment['state'], file: AttachedFile | null): Attachment => ({ key, name: 'a.txt', size: 5, localType: 'text/plain', preview: null, state, file, error: null });
    const items = [chip('one', 'ready', stored()), chip('two', 'uploading', null), chip('three', 'uploading', null)];
    const twice = settle(items, 'two', stored());
    expect(twice[1]).toMatchObject({ state: 'failed', error: expect.stringContaining('Already attached') });
    expect(settle(twice, 'three', stored({ id: 'f2' }))[2]).toMatchObject({ state: 'ready', file: { id: 'f2' } });
  });

  it('know a picture before and after its upload; failed chips do not count', () => {
    const local: Attachment = { key: 'k', name: 'p.png', size: 1, localType: 'image/png', preview: null, state: 'uploading', file: null, error: null };
    expect(hasImage([local])).toBe(true);
    expect(hasImage([{ ...local, state: 'failed' }])).toBe(false);
    expect(hasImage([restored(stored())])).toBe(false);
    expect(hasImage([restored(stored({ kind: 'image', media_type: 'image/webp' }))])).toBe(true);
  });

  it('name kinds, sizes and pasted pictures for people', () => {
    expect(kindLabel('image', 'image/jpeg')).toBe('JPG image');
    expect(kindLabel('document', 'application/pdf')).toBe('PDF');
    expect(kindLabel('document', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document')).toBe('Word document');
    expect(kindLabel('text', 'text/plain; charset=utf-8')).toBe('Text');
    expect([formatBytes(512), formatBytes(12_345), formatBytes(20 * 1024 * 1024), formatBytes(150 * 1024 * 1024)]).toEqual(['512 B', '12.1 KB', '20 MB', '150 MB']);
    const at = new Date('2026-03-04T05:06:07Z');
    expect(pastedName(new File(['x'], 'image.png', { type: 'image/png' }), at)).toBe('Pasted image 2026-03-04 05.06.07.png');
    expect(pastedName(new File(['x'], 'diagram.jpg', { type: 'image/jpeg' }), at)).toBe('diagram.jpg');
  });
});

/** The chat's composer with its files, as the chat wires them. */
function Attaching({ onSend, onReady = noop, saved = [], models = [model('seeing', true)], chosen = '' }: { onSend: (text: string, files: AttachedFile[]) => void; onReady?: (files: AttachedFile[]) => void; saved?: AttachedFile[]; models?: Schemas['ModelView'][]; chosen?: string }) {
  const attachments = useAttachments({ saved, onReady, limits: LIMITS });
  return (
    <Composer
      initial="Look" models={models} model={chosen} defaultModel={models[0]?.id} onModel={noop} streaming={false} busy={false}
      onDraft={noop} onSend={(text) => onSend(text, attachments.ready)} onStop={noop} attachments={attachments}
    />
  );
}
// Node's own File and Blob: fetch (Node's, under jsdom) sends and answers those, not jsdom's.
const file = (bits: string, name: string, type = '') => new NodeFile([bits], name, { type }) as unknown as File;
const pick = (files: File[]) => fireEvent.change(screen.getByLabelText('Files to attach'), { target: { files } });

describe('attaching files', () => {
  it('uploads each file at once as its raw bytes, then sends the uploaded ones in order', async () => {
    const uploads: { name: string | null; type: string | null; body: unknown }[] = [];
    serve(({ method, path, url, body, headers }) => {
      if (method !== 'POST' || path !== '/v1/files') return undefined;
      const name = url.searchParams.get('name') ?? '';
      uploads.push({ name, type: headers.get('Content-Type'), body });
      return [201, fileAnswer(`id-${name}`, name, 'text', 4)];
    });
    const onSend = vi.fn();
    const onReady = vi.fn();
    const { wrapper: Wrapper } = withQueries();
    render(<Wrapper><Attaching onSend={onSend} onReady={onReady} /></Wrapper>);
    pick([file('one!', 'one.txt', 'text/plain'), file('two!', 'two.md', 'text/markdown')]);
    expect(screen.getByRole('button', { name: 'Uploading…' })).toHaveProperty('disabled', true);
    await screen.findByText('two.md attached.');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Send' })).toHaveProperty('disabled', false));
    expect(uploads).toEqual([
      { name: 'one.txt', type: 'application/octet-stream', body: 'one!' },
      { name: 'two.md', type: 'application/octet-stream', body: 'two!' },
    ]);
    expect(onReady).toHaveBeenLastCalledWith([expect.objectContaining({ id: 'id-one.txt' }), expect.objectContaining({ id: 'id-two.md' })]);
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(onSend.mock.calls[0]?.[1].map((f: AttachedFile) => f.id)).toEqual(['id-one.txt', 'id-two.md']);
  });

  it("shows the server's refusal on its chip, refuses what is over the limits itself, and still sends the text", async () => {
    const asked = serve(() => [415, { error: { code: 'unsupported_file_type', message: 'this kind of file cannot be attached', request_id: 'r' } }]);
    const onSend = vi.fn();
    const { wrapper: Wrapper } = withQueries();
    render(<Wrapper><Attaching onSend={onSend} /></Wrapper>);
    pick([file('\u0000\u0001', 'x.bin'), file('x'.repeat(2000), 'huge.txt')]);
    expect(await screen.findByText('This kind of file cannot be attached.')).toBeTruthy();
    expect(screen.getByText('Too large: a file may have at most 1 KB.')).toBeTruthy();
    expect(asked).toEqual(['POST /v1/files?name=x.bin']); // the large one never went
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(onSend).toHaveBeenCalledWith('Look', []);
    fireEvent.click(screen.getByRole('button', { name: 'Remove x.bin' }));
    expect(screen.queryByText('x.bin')).toBeNull();
    expect(screen.getByRole('status').textContent).toBe('x.bin removed.');
  });

  it('warns and holds the send when a picture goes to a model without vision', async () => {
    serve(({ path }) => (path === '/v1/files' ? [201, fileAnswer('p1', 'shot.png', 'image', 3)] : undefined));
    const { wrapper: Wrapper } = withQueries();
    render(<Wrapper><Attaching onSend={noop} models={[model('blind', false), model('seeing', true)]} /></Wrapper>);
    const box = screen.getByLabelText('Message');
    const picture = file('png', 'image.png', 'image/png');
    fireEvent.paste(box, { clipboardData: { files: [picture], getData: () => '' } });
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'blind cannot see pictures. Choose a model that can, or remove the picture.');
    await screen.findByText(/^Pasted image .*\.png attached\.$/);
    expect(screen.getByRole('button', { name: 'Send' })).toHaveProperty('disabled', true);
    expect(screen.getByRole('list', { name: 'Attached files' }).querySelector('img')?.getAttribute('src')).toMatch(/^blob:/);
  });

  it('brings back the files a draft kept, and offers no attaching without files (private chats)', () => {
    const { wrapper: Wrapper } = withQueries();
    const { unmount } = render(<Wrapper><Attaching onSend={noop} saved={[stored({ name: 'kept.csv' })]} /></Wrapper>);
    expect(screen.getByText('kept.csv')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Attach files' })).toBeTruthy();
    unmount();
    render(<Composer initial="" models={[]} model="" onModel={noop} streaming={false} busy={false} onDraft={noop} onSend={noop} onStop={noop} />);
    expect(screen.queryByRole('button', { name: 'Attach files' })).toBeNull();
  });
});

describe('the files of a sent message', () => {
  it('download on a click, show a picture from the server, and name a deleted file without a link', async () => {
    serve(({ path }) => (path === '/v1/files/p1/content' ? [200, new NodeBlob(['png'], { type: 'image/png' }) as unknown as Blob] : undefined));
    const { wrapper: Wrapper } = withQueries();
    render(
      <Wrapper>
        <MessageFiles
          files={[
            { file_id: 'p1', name: 'chart.png', media_type: 'image/png', kind: 'image', size_bytes: 2048 },
            { file_id: 'd1', name: 'brief.pdf', media_type: 'application/pdf', kind: 'document', size_bytes: 100 },
            { file_id: null, name: 'old.txt', media_type: 'text/plain', kind: 'text', size_bytes: 3 },
          ]}
        />
      </Wrapper>,
    );
    const pdf = screen.getByRole('link', { name: /brief\.pdf/ });
    expect(pdf.getAttribute('href')).toBe('/v1/files/d1/content');
    expect(pdf.getAttribute('download')).toBe('brief.pdf');
    expect(pdf.textContent).toContain('PDF · 100 B');
    expect(screen.getAllByRole('link')).toHaveLength(2);
    expect(screen.getByText('old.txt').closest('.deleted')?.textContent).toContain('deleted');
    await waitFor(() => expect(screen.getByRole('link', { name: /chart\.png/ }).querySelector('img')?.getAttribute('src')).toMatch(/^blob:/));
  });
});

describe('the draft', () => {
  it('keeps the pending send\'s key while text and files stay the same, and drops it when the files change', async () => {
    let hook: ReturnType<typeof useDraft> | null = null;
    function Probe() {
      hook = useDraft('files-draft');
      return null;
    }
    render(<Probe />);
    await waitFor(() => expect(hook?.draft).not.toBeNull());
    act(() => hook?.setDraft({ text: 'Hi', idempotencyKey: 'k1', files: [stored()] }));
    act(() => hook?.saveText('Hi'));
    act(() => hook?.saveFiles([stored()]));
    expect(hook!.draft).toEqual({ text: 'Hi', idempotencyKey: 'k1', files: [stored()] });
    act(() => hook?.saveFiles([stored(), stored({ id: 'f2' })]));
    expect(hook!.draft).toMatchObject({ text: 'Hi', idempotencyKey: null });
  });
});
