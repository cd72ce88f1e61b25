import { AuditView } from './AuditView';

export default function TenantAuditView() {
  return <AuditView scope="tenant" />;
}
