/**
 * The live environment of one suite during a run: the simulation's state, rebuilt from the
 * environment data for every run with the run's injection-vector texts filled in, the tool
 * handlers and resource resolvers the gateway calls, and a count of connector invocations
 * (so the harness knows whether a call really reached the tool).
 */
import { parse, stringify } from 'yaml';
import type { JsonValue } from '../../src/core/canonical.ts';
import type { Principal } from '../../src/core/types.ts';
import type { ResourceResolver, ToolHandler } from '../../src/tools/index.ts';
import type { JsonObject, SuiteData } from './dataset.ts';
import { handlerName } from './deployment.ts';
import { SIMULATIONS, ToolFailure } from './sim/index.ts';
import type { SuiteSimulation } from './sim/index.ts';
import type { BankingState } from './sim/banking.ts';
import type { SlackState } from './sim/slack.ts';
import type { WorkspaceState } from './sim/workspace.ts';

const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

/** Fills `{vector}` placeholders (in keys and strings) with the run's vector texts. */
export function injectVectors(value: JsonValue, vectors: Record<string, string>): JsonValue {
  const fill = (text: string) => text.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(vectors, name) ? (vectors[name] as string) : whole));
  if (typeof value === 'string') return fill(value);
  if (Array.isArray(value)) return value.map((v) => injectVectors(v, vectors));
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) out[fill(key)] = injectVectors(child, vectors);
  return out;
}

/** A fault of the harness or the simulation itself (not a tool refusing a call). */
export interface SimulationFault {
  tool: string;
  message: string;
}

/**
 * How tool results reach the gateway: as data (`json`), or as the text an agent runtime
 * shows a model (`yaml`: AgentDojo's runtime dumps structured results to YAML; text results
 * stay as they are), which is what real-model trajectories carry.
 */
export type ResultFormat = 'json' | 'yaml';
export const RESULT_FORMATS: readonly ResultFormat[] = ['json', 'yaml'];

/** A tool result as the harness reads it back (the data behind a YAML text). */
export function resultData(result: JsonValue, format: ResultFormat): JsonValue {
  if (format === 'json' || typeof result !== 'string') return result;
  try {
    return parse(result) as JsonValue;
  } catch {
    return result;
  }
}

export class World {
  readonly suite: SuiteData;
  readonly format: ResultFormat;
  readonly sim: SuiteSimulation<unknown>;
  state: unknown;
  /** Connector invocations since the world was created. */
  invocations = 0;
  readonly faults: SimulationFault[] = [];

  constructor(suite: SuiteData, format: ResultFormat = 'json') {
    this.suite = suite;
    this.format = format;
    this.sim = SIMULATIONS[suite.name];
    this.state = this.sim.initialState(injectVectors(suite.environment, suite.vectorDefaults) as JsonObject);
  }

  /** Fresh state for a run whose vectors carry `vectors` (defaults for the rest). */
  reset(vectors: Record<string, string>): void {
    this.state = this.sim.initialState(injectVectors(this.suite.environment, { ...this.suite.vectorDefaults, ...vectors }) as JsonObject);
  }

  handlers(): Record<string, ToolHandler> {
    const out: Record<string, ToolHandler> = {};
    for (const spec of this.suite.tools) {
      const tool = this.sim.tools[spec.name];
      if (tool === undefined) throw new Error(`no simulation for ${this.suite.name}.${spec.name}`);
      out[handlerName(this.suite.name, spec.name)] = async (args) => {
        this.invocations++;
        try {
          const result = tool(this.state, args as JsonObject);
          return this.format === 'yaml' && typeof result !== 'string' ? stringify(result) : result;
        } catch (error) {
          if (!(error instanceof ToolFailure)) this.faults.push({ tool: spec.name, message: String((error as Error)?.message ?? error) });
          throw error;
        }
      };
    }
    return out;
  }

  /** Resolvers named in the deployer tables: the target must exist in the live state. */
  resolvers(): Record<string, ResourceResolver> {
    const owned = (principal: Principal, exists: boolean) => Promise.resolve(exists ? { tenant: principal.tenant } : null);
    return {
      'bank.scheduled': (id, p) => owned(p, (this.state as BankingState).scheduled.some((t) => String(t.id) === id)),
      'slack.member': (id, p) => owned(p, (this.state as SlackState).users.includes(id)),
      'mail.message': (id, p) => owned(p, (this.state as WorkspaceState).inbox.emails.some((e) => e.id_ === id)),
      'calendar.event': (id, p) => owned(p, (this.state as WorkspaceState).calendar.events.some((e) => e.id_ === id)),
      'drive.file': (id, p) => owned(p, (this.state as WorkspaceState).drive.files.some((f) => f.id_ === id)),
    };
  }
}
