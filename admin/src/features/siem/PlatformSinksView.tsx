import { useCanWrite } from '../../auth/context';
import { SinksView } from './SinksView';

export default function PlatformSinksView() {
  return <SinksView platform canWrite={useCanWrite('platform/siem')} />;
}
