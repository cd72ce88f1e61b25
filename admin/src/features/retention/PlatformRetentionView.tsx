// The platform's retention: the default for tenants without a policy of their own, and the floor
// and ceiling every tenant policy stays within; and the legal holds of every tenant (read-only:
// tenant admins place and release them).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, ConfabError, type Schemas } from '../../api/client';
import { allItems, cursorPaging } from '../../api/paging';
import { useConfirm } from '../../components/confirm';
import { useNotify } from '../../components/notify';
import { PageHeader, QueryState, Section, TableWrap } from '../../components/ui';
import { describeError } from '../../errors';
import { HoldsTable, PeriodInput } from './parts';
import { draftOf, fieldError, PERIODS, periodsOf, type Draft, type PeriodField } from './periods';

type Part = 'default' | 'floor' | 'ceiling';
const PARTS: { part: Part; label: string }[] = [
  { part: 'default', label: 'Default' },
  { part: 'floor', label: 'Floor (keep at least)' },
  { part: 'ceiling', label: 'Ceiling (keep at most)' },
];
type Drafts = Record<Part, Draft>;
type Errors = Partial<Record<`${Part}.${PeriodField}`, string>>;

export default function PlatformRetentionView() {
  const tenants = $api.useInfiniteQuery('get', '/v1/tenants', { params: { query: { limit: 200 } } }, cursorPaging);
  const names = new Map(allItems(tenants.data).map((t) => [t.id, t.name]));
  return (
    <>
      <PageHeader
        title="Retention defaults"
        description="What tenants keep unless they set their own policy, and the bounds every tenant policy stays within. Tenant policies set earlier are applied within new bounds."
      />
      <Bounds />
      <Section title="Legal holds in every tenant" id="platform-holds-heading">
        <p className="muted small">Tenant admins place and release holds in their tenant's “Retention and legal holds” view; here they are read-only.</p>
        <HoldsTable platform tenantName={(id) => names.get(id) ?? id} emptyHint="No tenant has a legal hold in place." />
      </Section>
    </>
  );
}

function Bounds() {
  const settings = $api.useQuery('get', '/v1/platform/retention');
  const save = $api.useMutation('put', '/v1/platform/retention');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  const [drafts, setDrafts] = useState<Drafts | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const data = settings.data;

  useEffect(() => {
    if (data && !drafts) setDrafts({ default: draftOf(data.default), floor: draftOf(data.floor), ceiling: draftOf(data.ceiling) });
  }, [data, drafts]);

  const focus = (part: Part, field: PeriodField) => formRef.current?.querySelector<HTMLInputElement>(`#platform-${part}-${field}`)?.focus();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!drafts) return;
    setFailure(null);
    const body = {} as Schemas['PlatformRetention'];
    const found: Errors = {};
    for (const { part } of PARTS) {
      const parsed = periodsOf(drafts[part]);
      if ('errors' in parsed) for (const [f, m] of Object.entries(parsed.errors)) found[`${part}.${f as PeriodField}`] = m;
      else body[part] = parsed.periods;
    }
    setErrors(found);
    const first = Object.keys(found)[0];
    if (first) {
      const [part, field] = first.split('.') as [Part, PeriodField];
      return focus(part, field);
    }
    const ok = await confirm({
      title: 'Save the platform retention?',
      message: (
        <p>
          Tenants without their own policy keep the new default. Every tenant's policy is applied within the new floor and ceiling at once: a
          lower ceiling makes the next purge delete, in every tenant, whatever is older than it (except what a legal hold covers).
        </p>
      ),
      confirmLabel: 'Save platform retention',
    });
    if (!ok) return;
    try {
      const saved = await save.mutateAsync({ body });
      client.setQueryData($api.queryOptions('get', '/v1/platform/retention').queryKey, saved);
      setDrafts({ default: draftOf(saved.default), floor: draftOf(saved.floor), ceiling: draftOf(saved.ceiling) });
      notify.ok('Platform retention saved.');
      await client.invalidateQueries({ queryKey: ['get', '/v1/tenant/retention'] });
    } catch (err) {
      let where: string | null = null;
      if (err instanceof ConfabError) {
        for (const { part, label } of PARTS) {
          const f = fieldError(err, part);
          if (f) {
            setErrors({ [`${part}.${f.field}`]: sentence(f.reason) });
            focus(part, f.field);
            where = `Not saved. ${label.split(' ')[0]}, ${PERIODS.find((p) => p.field === f.field)?.label}: ${sentence(f.reason)}`;
          }
        }
      }
      setFailure(where ?? `Not saved: ${describeError(err)}`);
    }
  };

  return (
    <Section title="Default, floor and ceiling" id="bounds-heading">
      <QueryState query={settings} what="the platform retention">
        {() => {
          if (!drafts) return null;
          return (
            <form ref={formRef} onSubmit={(e) => void submit(e)} noValidate aria-labelledby="bounds-heading">
              <p className="muted small">
                Days, or “Keep forever”. A floor of “forever” means no minimum; a ceiling of “forever” means no maximum (tenants may keep forever).
              </p>
              <TableWrap label="Platform retention">
                <table className="data-table periods-table">
                  <thead>
                    <tr>
                      <th scope="col">Kind</th>
                      {PARTS.map((p) => <th key={p.part} scope="col">{p.label}</th>)}
                    </tr>
                  </thead>
                  <tbody>
                    {PERIODS.map((meta) => (
                      <tr key={meta.field}>
                        <th scope="row"><span className="cell-main">{meta.label}</span></th>
                        {PARTS.map(({ part, label }) => {
                          const d = drafts[part];
                          const set = (next: Draft) => setDrafts({ ...drafts, [part]: next });
                          return (
                            <td key={part}>
                              <PeriodInput
                                id={`platform-${part}-${meta.field}`}
                                meta={meta}
                                label={`${label.split(' ')[0]}: ${meta.label} (days)`}
                                days={d.days[meta.field]}
                                forever={d.forever[meta.field]}
                                error={errors[`${part}.${meta.field}`]}
                                onDays={(v) => set({ ...d, days: { ...d.days, [meta.field]: v } })}
                                onForever={(v) => set({ ...d, forever: { ...d.forever, [meta.field]: v } })}
                              />
                            </td>
                          );
                        })}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              {failure && <p className="error" role="alert">{failure}</p>}
              <div className="actions form-actions">
                <button type="submit" disabled={save.isPending}>Save platform retention</button>
                <button type="button" className="ghost" onClick={() => { setDrafts(null); setErrors({}); setFailure(null); }}>Reset form</button>
              </div>
            </form>
          );
        }}
      </QueryState>
    </Section>
  );
}

function sentence(s: string): string {
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
