// Fault injection for tests: added latency, forced error statuses and dropped connections,
// for every /v1/ request or only those under a path prefix, for N requests or until cleared.
import { badRequest } from './errors';
import { bool, int, str, strList } from './fields';

export interface FaultRule {
  id: string;
  /** Only requests whose path after /v1/ starts with this (e.g. "secret/"); "" = all. */
  pathPrefix: string;
  /** Only these HTTP methods (upper case); empty = all. */
  methods: string[];
  /** Added delay before the request is handled. */
  latencyMs: number;
  /** Answer with this status instead of handling the request (0 = do not). */
  status: number;
  errors: string[];
  /** Close the connection without answering. */
  drop: boolean;
  /** How many more requests this rule affects; undefined = until removed. */
  remaining: number | undefined;
}

export type FaultInput = Partial<Omit<FaultRule, 'id'>>;

export interface FaultDecision {
  latencyMs: number;
  status: number;
  errors: string[];
  drop: boolean;
}

export interface Faults {
  add(rule: FaultInput): FaultRule;
  /** Delay every request (or those under pathPrefix) by `ms`. */
  latency(ms: number, opts?: { pathPrefix?: string; count?: number }): FaultRule;
  /** Answer `status` (500, 429, 503, ...) to the next `count` requests (all when omitted). */
  fail(status: number, opts?: { pathPrefix?: string; count?: number; errors?: string[] }): FaultRule;
  /** Drop the connection of the next `count` requests (all when omitted). */
  drop(opts?: { pathPrefix?: string; count?: number }): FaultRule;
  remove(id: string): boolean;
  clear(): void;
  list(): FaultRule[];
  /** Consumes the matching rules for one request. */
  decide(method: string, path: string): FaultDecision;
}

const DEFAULT_MESSAGES: Record<number, string> = {
  429: 'rate limit quota exceeded',
  500: 'internal error',
  502: 'bad gateway',
  503: 'Vault is sealed',
};

export function createFaults(): Faults {
  let rules: FaultRule[] = [];
  let next = 1;

  const faults: Faults = {
    add(input) {
      const status = input.status ?? 0;
      if (status !== 0 && (!Number.isInteger(status) || status < 100 || status > 599))
        throw badRequest(`invalid status ${status}`);
      if ((input.latencyMs ?? 0) < 0) throw badRequest('latency_ms cannot be negative');
      if (input.remaining !== undefined && (!Number.isInteger(input.remaining) || input.remaining < 1))
        throw badRequest('count must be a positive integer');
      const rule: FaultRule = {
        id: String(next++),
        pathPrefix: (input.pathPrefix ?? '').replace(/^\/?(v1\/)?/, ''),
        methods: (input.methods ?? []).map((m) => m.toUpperCase()),
        latencyMs: input.latencyMs ?? 0,
        status,
        errors: input.errors ?? (status ? [DEFAULT_MESSAGES[status] ?? `forced status ${status}`] : []),
        drop: input.drop ?? false,
        remaining: input.remaining,
      };
      rules.push(rule);
      return rule;
    },
    latency: (ms, o = {}) => faults.add({ latencyMs: ms, pathPrefix: o.pathPrefix ?? '', remaining: o.count }),
    fail: (status, o = {}) =>
      faults.add({
        status,
        pathPrefix: o.pathPrefix ?? '',
        remaining: o.count,
        ...(o.errors ? { errors: o.errors } : {}),
      }),
    drop: (o = {}) => faults.add({ drop: true, pathPrefix: o.pathPrefix ?? '', remaining: o.count }),
    remove(id) {
      const before = rules.length;
      rules = rules.filter((r) => r.id !== id);
      return rules.length !== before;
    },
    clear() {
      rules = [];
    },
    list: () => rules.map((r) => ({ ...r })),
    decide(method, path) {
      const d: FaultDecision = { latencyMs: 0, status: 0, errors: [], drop: false };
      for (const r of [...rules]) {
        if (!path.startsWith(r.pathPrefix)) continue;
        if (r.methods.length > 0 && !r.methods.includes(method)) continue;
        d.latencyMs += r.latencyMs;
        let applied = r.latencyMs > 0;
        if (!d.drop && d.status === 0) {
          if (r.drop) d.drop = applied = true;
          else if (r.status) {
            d.status = r.status;
            d.errors = r.errors;
            applied = true;
          }
        }
        if (applied && r.remaining !== undefined) {
          r.remaining -= 1;
          if (r.remaining <= 0) faults.remove(r.id);
        }
      }
      return d;
    },
  };
  return faults;
}

/** A rule from the JSON body of POST /_sandbox/faults. */
export function faultFromBody(body: Record<string, unknown>): FaultInput {
  const input: FaultInput = {
    pathPrefix: str(body, 'path_prefix'),
    methods: strList(body, 'methods'),
    latencyMs: int(body, 'latency_ms'),
    status: int(body, 'status'),
    drop: bool(body, 'drop'),
  };
  if (body.count !== undefined) input.remaining = int(body, 'count');
  if (body.errors !== undefined) input.errors = strList(body, 'errors');
  if (!input.latencyMs && !input.status && !input.drop) throw badRequest('a fault needs latency_ms, status or drop');
  return input;
}
