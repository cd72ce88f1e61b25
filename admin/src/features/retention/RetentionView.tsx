// The tenant's retention policy (within the platform's floor and ceiling), what the next purge
// would delete, and legal holds, which keep what they cover past any period.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, ConfabError, type Schemas } from '../../api/client';
import { useCanWrite } from '../../auth/context';
import { useConfirm } from '../../components/confirm';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/notify';
import { FormError, PageHeader, QueryState, Section, TableWrap } from '../../components/ui';
import { UserPicker } from '../../components/UserPicker';
import { describeError } from '../../errors';
import { fmtInt, fmtTime } from '../../format';
import { HoldSubject, HoldsTable, PeriodInput, type Hold } from './parts';
import { PrivateModeCard } from './PrivateModeCard';
import { boundsText, changes, daysText, draftOf, fieldError, kindLabel, PERIODS, periodsOf, type Draft, type PeriodField } from './periods';

type PreviewData = Schemas['RetentionPreview'];

export default function RetentionView() {
  const canWrite = useCanWrite('retention');
  // The counts for an unsaved draft, while the admin looks at them; null shows the policy in force.
  const [draftPreview, setDraftPreview] = useState<PreviewData | null>(null);
  return (
    <>
      <PageHeader
        title="Retention and legal holds"
        description="How long the tenant keeps conversations, shares, usage and audit entries. A background purge deletes what is older; a legal hold keeps what it covers until it is released. Private chats, kept only in members' browsers, can be turned off."
      />
      <Policy canWrite={canWrite} onDraftPreview={setDraftPreview} />
      <Preview draft={draftPreview} onBack={() => setDraftPreview(null)} />
      <Holds canWrite={canWrite} />
      <PrivateModeCard canWrite={canWrite} />
    </>
  );
}

type FieldErrors = Partial<Record<PeriodField, string>>;

function Policy({ canWrite, onDraftPreview }: { canWrite: boolean; onDraftPreview: (p: PreviewData | null) => void }) {
  const retention = $api.useQuery('get', '/v1/tenant/retention');
  const save = $api.useMutation('put', '/v1/tenant/retention');
  const previewDraft = $api.useMutation('post', '/v1/tenant/retention/preview');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const data = retention.data;

  useEffect(() => {
    if (data && !draft) setDraft(draftOf(data.policy ?? data.effective));
  }, [data, draft]);

  const focusField = (field: PeriodField) => formRef.current?.querySelector<HTMLInputElement>(`#period-${field}`)?.focus();

  // The form's periods, or null (with the fields marked) when one is not a number of days.
  const parseDraft = () => {
    if (!draft) return null;
    setFailure(null);
    const parsed = periodsOf(draft);
    if ('errors' in parsed) {
      setErrors(parsed.errors);
      const first = PERIODS.find((p) => parsed.errors[p.field]);
      if (first) focusField(first.field);
      return null;
    }
    setErrors({});
    return parsed.periods;
  };

  // Shows the server's refusal beside its field, the same for a save and a draft's preview.
  const refused = (err: unknown, what: string) => {
    const f = err instanceof ConfabError ? fieldError(err) : null;
    if (f) {
      setErrors({ [f.field]: sentence(f.reason) });
      focusField(f.field);
      setFailure(`${what} ${PERIODS.find((p) => p.field === f.field)?.label}: ${sentence(f.reason)}`);
    } else {
      setFailure(`${what} ${describeError(err)}`);
    }
  };

  const preview = async () => {
    const periods = parseDraft();
    if (!periods) return;
    try {
      onDraftPreview(await previewDraft.mutateAsync({ body: periods }));
      document.getElementById('preview-heading')?.scrollIntoView({ block: 'start' });
    } catch (err) {
      onDraftPreview(null);
      refused(err, 'Cannot preview.');
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft || !data) return;
    const periods = parseDraft();
    if (!periods) return;
    const parsed = { periods };
    const diff = changes(data.policy ?? data.effective, parsed.periods);
    if (data.policy && diff.length === 0) {
      notify.ok('Nothing changed.');
      return;
    }
    const shorter = PERIODS.some(({ field }) => {
      const before = data.effective[field] ?? null;
      const after = parsed.periods[field] ?? null;
      return after !== null && (before === null || after < before);
    });
    const ok = await confirm({
      title: 'Save the retention policy?',
      message: (
        <>
          {diff.length > 0 ? (
            <ul className="plain-list">
              {diff.map((c) => <li key={c.label}>{c.label}: {c.from} → <strong>{c.to}</strong></li>)}
            </ul>
          ) : (
            <p>The tenant stops following the platform default and keeps these periods as its own.</p>
          )}
          <p>
            {shorter
              ? 'The next purge run deletes, for good, whatever is older than the new periods — except what a legal hold covers. Check the preview first.'
              : 'Nothing is deleted sooner than before.'}
          </p>
        </>
      ),
      confirmLabel: 'Save policy',
      danger: shorter,
    });
    if (!ok) return;
    try {
      const saved = await save.mutateAsync({ body: parsed.periods });
      client.setQueryData($api.queryOptions('get', '/v1/tenant/retention').queryKey, saved);
      setDraft(draftOf(saved.policy ?? saved.effective));
      notify.ok('Retention policy saved.');
      onDraftPreview(null);
      await client.invalidateQueries({ queryKey: ['get', '/v1/tenant/retention/preview'] });
    } catch (err) {
      refused(err, 'Not saved.');
    }
  };

  return (
    <Section title="Retention policy" id="policy-heading">
      <QueryState query={retention} what="the retention policy">
        {() => {
          if (!data || !draft) return null;
          const { floor, ceiling } = data.platform;
          return (
            <form ref={formRef} onSubmit={(e) => void submit(e)} noValidate aria-labelledby="policy-heading">
              <p className="muted small">
                {data.policy
                  ? `The tenant's own policy${data.updated_at ? `, last changed ${fmtTime(data.updated_at)}` : ''}.`
                  : 'The tenant follows the platform default; saving makes these periods its own.'}{' '}
                Each period must stay within the platform's bounds; where the platform sets a ceiling, “forever” is not allowed.
              </p>
              <TableWrap label="Retention periods">
                <table className="data-table periods-table">
                  <thead>
                    <tr>
                      <th scope="col">Kind</th>
                      <th scope="col">{canWrite ? 'Keep for' : 'Policy'}</th>
                      <th scope="col">Platform bounds</th>
                      <th scope="col">In force now</th>
                    </tr>
                  </thead>
                  <tbody>
                    {PERIODS.map((meta) => (
                      <tr key={meta.field}>
                        <th scope="row">
                          <span className="cell-main">{meta.label}</span>
                          <span className="muted small block">{meta.hint}</span>
                        </th>
                        <td>
                          {canWrite ? (
                            <PeriodInput
                              id={`period-${meta.field}`}
                              meta={meta}
                              label={`${meta.label} (days)`}
                              days={draft.days[meta.field]}
                              forever={draft.forever[meta.field]}
                              error={errors[meta.field]}
                              onDays={(v) => setDraft({ ...draft, days: { ...draft.days, [meta.field]: v } })}
                              onForever={(v) => setDraft({ ...draft, forever: { ...draft.forever, [meta.field]: v }, days: { ...draft.days, [meta.field]: v ? '' : (draft.days[meta.field] || String(data.effective[meta.field] ?? '')) } })}
                            />
                          ) : (
                            daysText((data.policy ?? data.effective)[meta.field])
                          )}
                        </td>
                        <td className="nowrap">{boundsText(floor[meta.field], ceiling[meta.field])}</td>
                        <td className="nowrap">{daysText(data.effective[meta.field])}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              {failure && <p className="error" role="alert">{failure}</p>}
              {canWrite && (
                <div className="actions form-actions">
                  <button type="submit" disabled={save.isPending}>Save policy</button>
                  <button type="button" className="ghost" disabled={previewDraft.isPending} onClick={() => void preview()}>
                    {previewDraft.isPending ? 'Counting…' : 'Preview these periods'}
                  </button>
                  <button type="button" className="ghost" onClick={() => { setDraft(draftOf(data.policy ?? data.effective)); setErrors({}); setFailure(null); }}>
                    Reset form
                  </button>
                </div>
              )}
            </form>
          );
        }}
      </QueryState>
    </Section>
  );
}

function Preview({ draft, onBack }: { draft: PreviewData | null; onBack: () => void }) {
  const preview = $api.useQuery('get', '/v1/tenant/retention/preview');
  return (
    <Section
      title={draft ? 'What the draft periods would delete' : 'What the next purge would delete'}
      id="preview-heading"
      actions={
        draft ? (
          <button type="button" className="ghost small" onClick={onBack}>Show the policy in force</button>
        ) : (
          <button type="button" className="ghost small" disabled={preview.isFetching} onClick={() => void preview.refetch()}>
            {preview.isFetching ? 'Counting…' : 'Count again'}
          </button>
        )
      }
    >
      <QueryState query={preview} what="the preview">
        {() => {
          const items = (draft ?? preview.data)?.items ?? [];
          const total = items.reduce((n, k) => n + k.count, 0);
          return (
            <>
              <p className="muted small" aria-live="polite">
                {draft
                  ? 'Counted now under the periods in the form, which are not saved; nothing is deleted by looking.'
                  : 'Counted now under the policy in force; nothing is deleted by looking.'}{' '}
                {total === 0 ? 'Nothing is due: the next purge would delete nothing.' : `${fmtInt(total)} ${total === 1 ? 'row is' : 'rows are'} due.`} What a legal hold covers is not counted.
              </p>
              <TableWrap label="Purge preview">
                <table className="data-table preview-table">
                  <thead>
                    <tr>
                      <th scope="col">Kind</th>
                      <th scope="col" className="num">Due now</th>
                      <th scope="col">Oldest</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((k) => (
                      <tr key={k.kind}>
                        <th scope="row">{kindLabel(k.kind)}</th>
                        <td className="num">{fmtInt(k.count)}</td>
                        <td className="nowrap">{k.oldest ? fmtTime(k.oldest) : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            </>
          );
        }}
      </QueryState>
    </Section>
  );
}

function Holds({ canWrite }: { canWrite: boolean }) {
  const [placing, setPlacing] = useState(false);
  const release = $api.useMutation('post', '/v1/tenant/legal-holds/{id}/release');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  const refresh = async () => {
    await client.invalidateQueries({ queryKey: ['get', '/v1/tenant/legal-holds'] });
    await client.invalidateQueries({ queryKey: ['get', '/v1/tenant/retention/preview'] });
  };
  const onRelease = async (h: Hold) => {
    const ok = await confirm({
      title: 'Release legal hold?',
      message: (
        <>
          <p>
            The hold “{h.case_name}” on <HoldSubject hold={h} /> stops protecting it. Retention then catches up: the next purge run deletes,
            for good, whatever it kept that is past its retention period, and erasing or hard-deleting what it covered works again.
          </p>
          <p>This cannot be undone; a new hold keeps only what is still there.</p>
        </>
      ),
      confirmLabel: 'Release hold',
    });
    if (!ok) return;
    try {
      await release.mutateAsync({ params: { path: { id: h.id } } });
      notify.ok(`Legal hold “${h.case_name}” released.`);
      await refresh();
    } catch (e) {
      notify.error(e);
    }
  };
  return (
    <Section title="Legal holds" id="holds-heading" actions={canWrite ? <button type="button" onClick={() => setPlacing(true)}>Place a legal hold</button> : undefined}>
      <p className="muted small">While a hold is active, nothing it covers is purged, hard-deleted or erased, whatever the retention policy says.</p>
      <HoldsTable
        onRelease={canWrite ? (h) => void onRelease(h) : undefined}
        emptyHint={canWrite ? 'Place one with “Place a legal hold” when a matter requires keeping a user’s, a conversation’s or the whole tenant’s data.' : 'A tenant admin places holds here.'}
      />
      {placing && <PlaceHoldDialog onClose={() => setPlacing(false)} onPlaced={() => void refresh()} />}
    </Section>
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function PlaceHoldDialog({ onClose, onPlaced }: { onClose: () => void; onPlaced: () => void }) {
  const create = $api.useMutation('post', '/v1/tenant/legal-holds');
  const notify = useNotify();
  const [scope, setScope] = useState<Schemas['HoldScope']>('user');
  const [user, setUser] = useState<Schemas['UserView'] | null>(null);
  const [conversation, setConversation] = useState('');
  const [caseName, setCaseName] = useState('');
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    let subject: string | null = null;
    if (scope === 'user') {
      if (!user) return setProblem('Choose the user the hold is for.');
      subject = user.id;
    } else if (scope === 'conversation') {
      if (!UUID.test(conversation.trim())) return setProblem('Enter the conversation’s id (a UUID such as 0192f0c4-…).');
      subject = conversation.trim();
    }
    if (!caseName.trim() || !reason.trim()) return setProblem('A case name and a reason are required.');
    try {
      const data = await create.mutateAsync({ body: { scope, subject_id: subject, case_name: caseName.trim(), reason: reason.trim() } });
      notify.ok(`Legal hold “${data?.case_name ?? caseName.trim()}” placed.`);
      onPlaced();
      onClose();
    } catch {
      /* shown below */
    }
  };
  return (
    <Dialog title="Place a legal hold" onClose={onClose}>
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <fieldset className="radio-group">
          <legend>Covers</legend>
          {(['user', 'conversation', 'tenant'] as const).map((s) => (
            <label key={s} className="inline">
              <input type="radio" name="hold-scope" value={s} checked={scope === s} onChange={() => setScope(s)} />
              {s === 'user' ? 'Everything one user owns' : s === 'conversation' ? 'One conversation (and its shares)' : 'All of the tenant’s data'}
            </label>
          ))}
        </fieldset>
        {scope === 'user' && <UserPicker label="User" value={user} onChange={setUser} />}
        {scope === 'conversation' && (
          <label>
            Conversation id <span className="muted">(from the audit log or the chat’s address)</span>
            <input type="text" className="mono" value={conversation} onChange={(e) => setConversation(e.target.value)} placeholder="0192f0c4-…" />
          </label>
        )}
        <label>
          Case name <span className="required" aria-hidden="true">*</span>
          <input type="text" required maxLength={200} value={caseName} onChange={(e) => setCaseName(e.target.value)} />
        </label>
        <label>
          Reason <span className="required" aria-hidden="true">*</span>
          <textarea required maxLength={2000} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        {problem && <p className="error" role="alert">{problem}</p>}
        <FormError error={create.error} />
        <div className="actions end">
          <button type="button" className="ghost" onClick={onClose}>Cancel</button>
          <button type="submit" disabled={create.isPending}>Place hold</button>
        </div>
      </form>
    </Dialog>
  );
}

function sentence(s: string): string {
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
