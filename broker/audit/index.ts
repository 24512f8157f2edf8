export { AUDIT_FILE, createAuditLog } from './audit-log';
export type { AuditLog, AuditLogOptions } from './audit-log';
