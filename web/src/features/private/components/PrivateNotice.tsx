import { Icon } from '../../../shared/Icon';

/** What private means, in view for as long as a private conversation is. */
export function PrivateNotice() {
  return (
    <p className="private-notice" role="note">
      <Icon name="lock" />
      <span>
        <strong>Kept only in this browser.</strong> Confab's server keeps no copy: clearing this site's data, or another browser or
        device, loses it. Your organisation's audit log records only who chatted, when, with which model and how many tokens.
      </span>
    </p>
  );
}
