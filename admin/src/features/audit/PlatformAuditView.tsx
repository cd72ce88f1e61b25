import { AuditView } from './AuditView';

export default function PlatformAuditView() {
  return <AuditView scope="platform" />;
}
