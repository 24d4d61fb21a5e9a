/**
 * The shapes of the HTTP API answers the console reads (its own copy: the console talks to the
 * API only and imports nothing of the server). Fields are optional where older records lack them.
 */
export interface Me {
  user: string;
  tenant: string;
  roles: string[];
  agent: string | null;
  issuer: string;
  expires_at?: number;
}

export interface Reason {
  policy_id: string;
  effect?: string;
  reason: string;
  code: string;
}

export interface TaintedArgument {
  argument: string;
  sources: string[];
  evidence?: 'injected' | 'directive' | 'unnamed' | 'pointed';
  snippets?: Array<{ source: string; text: string }>;
}

/** The session's declared target scope on a held call: its size and kinds, the arguments outside it, the targets (for readers of the action only). */
export interface TargetScope {
  declared: number;
  kinds: string[];
  outside: string[];
  targets?: Array<{ kind: string; value: string }>;
}

export interface Approval {
  id: string;
  state: 'pending' | 'approved' | 'denied' | 'expired' | 'consumed';
  action_hash: string;
  tool: string;
  tool_version: string;
  tenant: string;
  requester: { user: string; agent: string | null; issuer?: string };
  required_role: string;
  policy_version: string;
  reasons: Reason[];
  summary: string;
  action?: { arguments: unknown; target: { type: string; id: string | null; tenant: string | null } | null };
  affected_count: number;
  session_id: string | null;
  evidence?: { context_manifest_hash: string | null; tainted_arguments: TaintedArgument[]; target_scope?: TargetScope };
  created_at: number;
  expires_at: number;
  decided_by?: { user: string };
  decided_at?: number;
  justification?: string;
}

export interface AuditEvent {
  seq: number;
  event_id: string;
  ts: string;
  type: string;
  request_id: string;
  action_id: string | null;
  session_id: string | null;
  actor: { user: string | null; tenant: string | null; roles: string[]; agent: string | null };
  tool?: string | null;
  context_manifest_hash?: string | null;
  result_code?: string | null;
  decision?: {
    outcome?: string;
    code?: string;
    reasons?: Reason[];
    policy_version?: string;
    credential?: { jti: string; scope: string; audience?: string; expires_at: number } | null;
  };
  data?: unknown;
  refs?: string[];
}

export interface LineageAction {
  action_id: string;
  tool: string | null;
  events: AuditEvent[];
  children: LineageAction[];
}

export interface LineageRequest {
  request_id: string;
  session_id: string | null;
  events: AuditEvent[];
  actions: LineageAction[];
}

export interface Lineage {
  id: string;
  tree: { root_id: string; requests: LineageRequest[]; event_count: number };
}

export interface Override {
  id: string;
  scope: { kind: 'action'; action_hash: string; tenant: string } | { kind: 'tool'; tool: string; tenant: string };
  owner: { user: string };
  justification: string;
  created_at: number;
  expires_at: number;
  revoked_at?: number;
  expired_at?: number;
  uses: number;
}

export interface KillSwitch {
  id: string;
  scope: string;
  target: string;
  tenant: string | null;
  engaged_by: { user: string };
  justification: string;
  engaged_at: number;
  released_at?: number;
}

export interface McpDefinition {
  name: string;
  upstream: string;
  tool: string;
  state: 'pending' | 'approved' | 'rejected';
  hash: string;
  definition: unknown;
  findings: Array<{ rule: string; detail?: string; field?: string }>;
  approved_hash: string | null;
  approved_definition: unknown;
  observed_at: number;
  configured: boolean;
}

export interface WeekCount {
  week_start: string;
  count: number;
}

export interface Trends {
  weeks: number;
  blocked_high_risk: WeekCount[];
  top_rules: Array<{ rule: string; count: number }>;
  overrides: { opened: WeekCount[]; open_now: number; median_open_age_seconds: number };
  approvals: { decided: number; median_decision_seconds: number | null; pending_now: number };
  lineage: { calls: number; complete: number; share: number | null };
}
