import { useCanWrite } from '../../auth/context';
import { SinksView } from './SinksView';

export default function TenantSinksView() {
  return <SinksView platform={false} canWrite={useCanWrite('siem')} />;
}
