// E-mail domains: the tenant proves it controls a domain with a DNS TXT record. Only a verified
// domain routes sign-ins by address to the tenant's provider and lets just-in-time provisioning
// create accounts for its addresses. Tenant admins claim, verify and remove; auditors read.
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api } from '../../api/client';
import { useConfirm } from '../../components/confirm';
import { CopyField } from '../../components/CopyField';
import { useNotify } from '../../components/notify';
import { EmptyState, QueryState, Section, StatusBadge, TableWrap } from '../../components/ui';
import { fmtTime } from '../../format';
import { normaliseDomain, verifiedByText, domainFailure, type Domain } from './sso';

const DOMAINS_KEY = $api.queryOptions('get', '/v1/tenant/domains').queryKey;

export function DomainsSection({ canWrite }: { canWrite: boolean }) {
  const domains = $api.useQuery('get', '/v1/tenant/domains');
  const verify = $api.useMutation('post', '/v1/tenant/domains/{domain}/verify');
  const remove = $api.useMutation('delete', '/v1/tenant/domains/{domain}');
  const client = useQueryClient();
  const confirm = useConfirm();
  const notify = useNotify();
  const [checking, setChecking] = useState<string | null>(null);
  // The last failed check of each domain, in the server's words, until the next check.
  const [failures, setFailures] = useState<Record<string, string>>({});
  const items = domains.data?.domains ?? [];
  const refresh = () => client.invalidateQueries({ queryKey: DOMAINS_KEY });
  const forget = (domain: string) =>
    setFailures((all) => {
      const rest = { ...all };
      delete rest[domain];
      return rest;
    });

  const onVerify = async (d: Domain) => {
    setChecking(d.domain);
    forget(d.domain);
    try {
      await verify.mutateAsync({ params: { path: { domain: d.domain } } });
      notify.ok(`${d.domain} verified.`);
      await refresh();
    } catch (e) {
      setFailures((all) => ({ ...all, [d.domain]: domainFailure(e) }));
    } finally {
      setChecking(null);
    }
  };

  const onRemove = async (d: Domain) => {
    const ok = await confirm({
      title: `Remove the domain ${d.domain}?`,
      message: d.verified ? (
        <>
          <p>
            Sign-ins with an address at {d.domain} no longer go to the tenant’s provider, and just-in-time provisioning creates no more accounts for its addresses.
            Accounts already here keep signing in.
          </p>
          <p>Using it again means claiming it and publishing a TXT record again.</p>
        </>
      ) : (
        <p>The claim is dropped; nothing about {d.domain}’s addresses has changed. Its TXT record, if published, can be deleted from DNS.</p>
      ),
      confirmLabel: 'Remove domain',
    });
    if (!ok) return;
    try {
      await remove.mutateAsync({ params: { path: { domain: d.domain } } });
      forget(d.domain);
      notify.ok(`${d.domain} removed.`);
      await refresh();
    } catch (e) {
      notify.error(e);
    }
  };

  return (
    <Section title="E-mail domains" id="domains-heading">
      <p className="muted">
        A verified domain routes sign-ins by address to this tenant’s provider and lets just-in-time provisioning create accounts for its addresses. The tenant proves it
        controls a domain with a DNS TXT record; until then nothing about the domain’s addresses changes. One tenant at most holds a verified domain.
      </p>
      <QueryState query={domains} what="the e-mail domains">
        {() =>
          items.length === 0 ? (
            <EmptyState title="No e-mail domains.">
              {canWrite
                ? 'Add the company’s domain (e.g. example.com) and publish the TXT record it shows at the DNS provider, then verify it.'
                : 'A tenant admin can add and verify the company’s domains here.'}
            </EmptyState>
          ) : (
            <TableWrap label="E-mail domains">
              <table className="data-table domains-table">
                <thead>
                  <tr>
                    <th scope="col">Domain</th>
                    <th scope="col">Status</th>
                    {canWrite && (
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                {/* One group of rows per domain: its row, and for a pending one the record to publish. */}
                {items.map((d) => (
                  <tbody key={d.domain} className="domain-group">
                    <tr className={d.verified ? undefined : 'has-record'}>
                      <th scope="row" className="domain-cell">
                        <span className="cell-main mono">{d.domain}</span>
                      </th>
                      <td>
                        <StatusBadge status={d.verified ? 'verified' : 'pending'} />{' '}
                        <span className="muted small">
                          {d.verified ? `${verifiedByText(d)}${d.verified_at ? `, ${fmtTime(d.verified_at)}` : ''}` : `claimed ${fmtTime(d.created_at)}`}
                        </span>
                      </td>
                      {canWrite && (
                        <td>
                          <div className="actions row-actions">
                            {!d.verified && (
                              <button type="button" className="small" disabled={checking === d.domain} aria-label={`Verify ${d.domain}`} onClick={() => void onVerify(d)}>
                                {checking === d.domain ? 'Checking…' : 'Verify'}
                              </button>
                            )}
                            <button type="button" className="ghost small danger" aria-label={`Remove the domain ${d.domain}`} onClick={() => void onRemove(d)}>
                              Remove
                            </button>
                          </div>
                        </td>
                      )}
                    </tr>
                    {!d.verified && (
                      <tr className="record-row">
                        <td colSpan={canWrite ? 3 : 2}>
                          <div className="stack tight">
                            <span className="small">Publish this TXT record at the DNS provider{canWrite ? ', then verify the domain' : ''}:</span>
                            <div className="record-grid">
                              <CopyField label="TXT record name" value={d.txt_name} what={`the TXT record name of ${d.domain}`} />
                              <CopyField label="TXT record value" value={d.txt_value} what={`the TXT record value of ${d.domain}`} />
                            </div>
                            {failures[d.domain] && (
                              <p className="error verify-failure" role="alert">
                                Not verified: {failures[d.domain]}
                              </p>
                            )}
                          </div>
                        </td>
                      </tr>
                    )}
                  </tbody>
                ))}
              </table>
            </TableWrap>
          )
        }
      </QueryState>
      {canWrite && <AddDomainForm onAdded={() => void refresh()} />}
    </Section>
  );
}

function AddDomainForm({ onAdded }: { onAdded: () => void }) {
  const claim = $api.useMutation('post', '/v1/tenant/domains');
  const notify = useNotify();
  const [domain, setDomain] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const added = await claim.mutateAsync({ body: { domain: normaliseDomain(domain) } });
      notify.ok(added.verified ? `${added.domain} is already verified.` : `${added.domain} added: publish its TXT record, then verify it.`);
      setDomain('');
      onAdded();
    } catch {
      /* shown below */
    }
  };

  return (
    <form className="add-domain" onSubmit={(e) => void submit(e)} aria-label="Add an e-mail domain">
      <div className="add-domain-row">
        <label>
          Domain
          <input
            type="text"
            className="mono"
            required
            maxLength={253}
            placeholder="example.com"
            value={domain}
            aria-invalid={claim.error ? true : undefined}
            aria-describedby={claim.error ? 'add-domain-error' : undefined}
            onChange={(e) => {
              setDomain(e.target.value);
              claim.reset();
            }}
          />
        </label>
        <button type="submit" disabled={claim.isPending || !domain.trim()}>
          Add domain
        </button>
      </div>
      {claim.error && (
        <p id="add-domain-error" className="error" role="alert">
          Not added: {domainFailure(claim.error)}
        </p>
      )}
    </form>
  );
}
