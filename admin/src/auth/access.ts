// Who may use the console, and which views and buttons each role gets. The server decides what is
// allowed; this only keeps the console from offering what the role cannot do.
import type { Schemas } from '../api/client';

export type Me = Schemas['MeView'];
export type ConsoleRole = 'tenant_admin' | 'auditor';

export interface Access {
  /** The role in the active tenant, when it is one that opens the console. */
  tenantRole: ConsoleRole | null;
  tenant: Schemas['TenantMembershipView'] | null;
  platform: boolean;
}

export function accessOf(me: Me): Access {
  const role = me.active_tenant?.role;
  const tenantRole = role === 'tenant_admin' || role === 'auditor' ? role : null;
  return { tenantRole, tenant: tenantRole ? (me.active_tenant ?? null) : null, platform: me.is_platform_admin };
}

/** Whether the console has anything for this account: a platform admin, or a tenant admin or auditor. */
export function hasAccess(access: Access): boolean {
  return access.platform || access.tenantRole !== null;
}

/** Tenants the account can govern from here (switching to one where it is a member is pointless). */
export function consoleTenants(me: Me): Schemas['TenantMembershipView'][] {
  return me.tenants.filter((t) => t.role === 'tenant_admin' || t.role === 'auditor');
}

export type ViewId =
  | 'overview'
  | 'users'
  | 'audit'
  | 'usage'
  | 'models'
  | 'presets'
  | 'plugins'
  | 'sharing'
  | 'retention'
  | 'siem'
  | 'identity'
  | 'platform/tenants'
  | 'platform/plugins'
  | 'platform/audit'
  | 'platform/siem'
  | 'platform/retention'
  | 'platform/health';

export interface ViewDef {
  id: ViewId;
  label: string;
  section: 'tenant' | 'platform';
  /** Tenant roles that may open it (platform views: platform admins only). */
  roles: ConsoleRole[];
}

export const VIEWS: ViewDef[] = [
  { id: 'overview', label: 'Overview', section: 'tenant', roles: ['tenant_admin', 'auditor'] },
  { id: 'users', label: 'Users', section: 'tenant', roles: ['tenant_admin', 'auditor'] },
  { id: 'audit', label: 'Audit log', section: 'tenant', roles: ['tenant_admin', 'auditor'] },
  { id: 'usage', label: 'Quotas and usage', section: 'tenant', roles: ['tenant_admin', 'auditor'] },
  { id: 'models', label: 'Models and providers', section: 'tenant', roles: ['tenant_admin', 'auditor'] },
  { id: 'presets', label: 'Presets', section: 'tenant', roles: ['tenant_admin', 'auditor'] },
  { id: 'plugins', label: 'Plugins', section: 'tenant', roles: ['tenant_admin', 'auditor'] },
  { id: 'sharing', label: 'Sharing', section: 'tenant', roles: ['tenant_admin'] },
  { id: 'retention', label: 'Retention and legal holds', section: 'tenant', roles: ['tenant_admin', 'auditor'] },
  { id: 'siem', label: 'SIEM sinks', section: 'tenant', roles: ['tenant_admin', 'auditor'] },
  { id: 'identity', label: 'Identity provider', section: 'tenant', roles: ['tenant_admin', 'auditor'] },
  { id: 'platform/tenants', label: 'Tenants', section: 'platform', roles: [] },
  { id: 'platform/plugins', label: 'Plugin uploads', section: 'platform', roles: [] },
  { id: 'platform/audit', label: 'Platform audit', section: 'platform', roles: [] },
  { id: 'platform/siem', label: 'Platform SIEM sinks', section: 'platform', roles: [] },
  { id: 'platform/retention', label: 'Retention defaults', section: 'platform', roles: [] },
  { id: 'platform/health', label: 'System health', section: 'platform', roles: [] },
];

export function viewsFor(access: Access): ViewDef[] {
  return VIEWS.filter((v) =>
    v.section === 'platform' ? access.platform : access.tenantRole !== null && v.roles.includes(access.tenantRole),
  );
}

export function canOpen(access: Access, id: string): boolean {
  return viewsFor(access).some((v) => v.id === id);
}

/** Whether the account may change things in this view (auditors read; tenant admins and platform admins write). */
export function canWrite(access: Access, id: ViewId): boolean {
  const view = VIEWS.find((v) => v.id === id);
  if (!view || !canOpen(access, id)) return false;
  return view.section === 'platform' ? access.platform : access.tenantRole === 'tenant_admin';
}

/** Where the console opens for this account. */
export function homeView(access: Access): ViewId | null {
  return viewsFor(access)[0]?.id ?? null;
}
