// Private chats: whether members may keep conversations only in their browser (the server then
// relays each answer and keeps no content). An active tenant-wide legal hold forbids them
// whatever the switch says; the card says so.
import { useEffect, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api } from '../../api/client';
import { useConfirm } from '../../components/confirm';
import { useNotify } from '../../components/notify';
import { FormError, QueryState, Section } from '../../components/ui';
import { fmtTime } from '../../format';

const MAX_REASON = 500;

/** The body that saves the form: a reason only says something while private chats are off. */
export function privateModeBody(allowed: boolean, reason: string): { allowed: boolean; reason: string | null } {
  const text = reason.trim();
  return { allowed, reason: allowed || !text ? null : text };
}

export function PrivateModeCard({ canWrite }: { canWrite: boolean }) {
  const setting = $api.useQuery('get', '/v1/tenant/private-mode');
  const save = $api.useMutation('put', '/v1/tenant/private-mode');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  const data = setting.data;
  const [allowed, setAllowed] = useState(true);
  const [reason, setReason] = useState('');
  useEffect(() => {
    if (!data) return;
    setAllowed(data.allowed);
    setReason(data.reason ?? '');
  }, [data]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!data) return;
    if (data.allowed && !allowed) {
      const ok = await confirm({
        title: 'Turn private chats off?',
        message: (
          <>
            <p>Members can no longer start private chats or continue them; {reason.trim() ? 'they are told your reason.' : 'they are told private chats are off.'}</p>
            <p>The private conversations already in their browsers stay there: Confab never had them and cannot delete them. Members can still export them or move them to their saved history.</p>
          </>
        ),
        confirmLabel: 'Turn private chats off',
      });
      if (!ok) return;
    }
    try {
      const saved = await save.mutateAsync({ body: privateModeBody(allowed, reason) });
      client.setQueryData($api.queryOptions('get', '/v1/tenant/private-mode').queryKey, saved);
      notify.ok(saved.allowed ? 'Private chats allowed.' : 'Private chats turned off.');
    } catch {
      /* shown below the form */
    }
  };

  return (
    <Section title="Private chats" id="private-chats-heading">
      <p className="muted small">
        A private chat is kept only in the member's browser: Confab relays each answer and keeps no copy of what was said, so
        retention and legal holds cannot reach it. The audit log records who chatted, when, with which model and how many tokens.
      </p>
      <QueryState query={setting} what="the private chats setting">
        {() =>
          data ? (
            <form className="stack" onSubmit={(e) => void submit(e)} aria-labelledby="private-chats-heading">
              {data.legal_hold && (
                <p className="notice-inline" role="note">
                  The tenant-wide legal hold “{data.legal_hold}” forbids private chats while it is active, whatever this setting says.
                </p>
              )}
              <div className="switch-row">
                <label className="switch">
                  <input type="checkbox" role="switch" checked={allowed} disabled={!canWrite} onChange={(e) => setAllowed(e.target.checked)} />
                  Allow private chats
                </label>
                <span className="muted small">
                  {data.updated_at ? `Changed ${fmtTime(data.updated_at)}${data.updated_by ? ` by ${data.updated_by}` : ''}` : 'Never changed (allowed by default)'}
                </span>
              </div>
              {!allowed &&
                (canWrite ? (
                  <label>
                    Reason shown to members <span className="muted">(optional, e.g. the policy that requires keeping conversations)</span>
                    <textarea rows={2} maxLength={MAX_REASON} value={reason} onChange={(e) => setReason(e.target.value)} />
                  </label>
                ) : (
                  <p>Members are told: {data.reason ? `“${data.reason}”` : 'private chats are off.'}</p>
                ))}
              <FormError error={save.error} />
              {canWrite && (
                <div className="actions">
                  <button type="submit" disabled={save.isPending}>Save</button>
                </div>
              )}
            </form>
          ) : null
        }
      </QueryState>
    </Section>
  );
}
