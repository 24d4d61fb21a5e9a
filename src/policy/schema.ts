/**
 * The Cedar schema Airlock generates from the tool registry (docs/policy-model.md): the
 * `Airlock` namespace with `User` and `Tool` entities, the five side-effect class actions
 * as groups, and one action per tool whose context carries that tool's typed `parameters`,
 * the session (counters, attributes, provenance labels), the call's argument `taint` and
 * its arguments outside the session's declared target `scope`.
 */
import { AirlockError } from '../core/errors.ts';
import { SIDE_EFFECT_CLASSES } from '../core/types.ts';
import type { RegisteredTool } from '../core/types.ts';
import { cedarTypeOf, parametersShape } from './shapes.ts';
import type { CedarShape, CedarType } from './shapes.ts';
import type { SessionAttributeType } from './types.ts';

export const NAMESPACE = 'Airlock';
export const USER_TYPE = `${NAMESPACE}::User`;
export const TOOL_TYPE = `${NAMESPACE}::Tool`;
export const ACTION_TYPE = `${NAMESPACE}::Action`;

/** The Cedar JSON schema Airlock writes (one namespace). */
export interface CedarSchemaJson {
  [namespace: string]: {
    commonTypes: Record<string, CedarType>;
    entityTypes: Record<string, { shape: CedarType }>;
    actions: Record<
      string,
      {
        memberOf?: Array<{ id: string }>;
        appliesTo?: { principalTypes: string[]; resourceTypes: string[]; context: CedarType };
      }
    >;
  };
}

const SESSION_TYPES: Record<SessionAttributeType, CedarShape> = {
  String: { kind: 'String' },
  Long: { kind: 'Long' },
  Bool: { kind: 'Bool' },
};

function optional(type: CedarType): CedarType & { required: false } {
  return { ...type, required: false };
}

const STRING: CedarType = { type: 'String' };
const LONG: CedarType = { type: 'Long' };
const BOOL: CedarType = { type: 'Boolean' };

/** Shape of `context.session.attributes`: every declared attribute, all optional. */
export function sessionAttributesShape(
  sessionAttributes: Record<string, SessionAttributeType>,
): CedarShape & { kind: 'Record' } {
  const attributes: Record<string, { shape: CedarShape; required: boolean; nullable: boolean }> = {};
  for (const name of Object.keys(sessionAttributes).sort()) {
    const type = sessionAttributes[name];
    const shape = type === undefined ? undefined : SESSION_TYPES[type];
    if (!name.isWellFormed()) {
      throw new AirlockError('ERR_POLICY_SESSION_ATTRIBUTE', 'a session attribute name is not well-formed unicode', { status: 400 });
    }
    if (shape === undefined) {
      throw new AirlockError('ERR_POLICY_SESSION_ATTRIBUTE', `session attribute ${name} has an unsupported type`, {
        status: 400,
        details: { attribute: name },
      });
    }
    attributes[name] = { shape, required: false, nullable: false };
  }
  return { kind: 'Record', attributes };
}

function checkToolNames(tools: RegisteredTool[]): void {
  const seen = new Set<string>();
  const classes = new Set<string>(SIDE_EFFECT_CLASSES);
  for (const tool of tools) {
    if (!tool.name.isWellFormed()) {
      throw new AirlockError('ERR_POLICY_TOOL_NAME', 'a tool name is not well-formed unicode', { status: 400 });
    }
    if (classes.has(tool.name)) {
      throw new AirlockError('ERR_POLICY_TOOL_NAME', `tool name ${tool.name} equals an action class name`, {
        status: 400,
        details: { tool: tool.name },
      });
    }
    if (seen.has(tool.name)) {
      throw new AirlockError('ERR_POLICY_TOOL_NAME', `tool name ${tool.name} is registered twice`, {
        status: 400,
        details: { tool: tool.name },
      });
    }
    if (!classes.has(tool.sideEffect)) {
      throw new AirlockError('ERR_POLICY_TOOL_NAME', `tool ${tool.name} has an unknown side-effect class`, {
        status: 400,
        details: { tool: tool.name },
      });
    }
    seen.add(tool.name);
  }
}

/**
 * Cedar schema (JSON form) for a tool registry and the configured session attributes.
 * Throws ERR_POLICY_TOOL_NAME when a tool name collides with a class name or repeats.
 */
export function generateCedarSchema(
  tools: RegisteredTool[],
  sessionAttributes: Record<string, SessionAttributeType>,
): CedarSchemaJson {
  checkToolNames(tools);
  const commonTypes: Record<string, CedarType> = {
    Environment: { type: 'Record', attributes: { now: LONG, hour_utc: LONG, weekday_utc: LONG } },
    ResourceInfo: {
      type: 'Record',
      attributes: { type: STRING, id: optional(STRING), tenant: optional(STRING), exists: BOOL },
    },
    SessionAttributes: cedarTypeOf(sessionAttributesShape(sessionAttributes)),
    SessionInfo: {
      type: 'Record',
      attributes: {
        id: optional(STRING),
        call_count: LONG,
        tool_call_count: LONG,
        records_read_last_10m: LONG,
        attributes: { type: 'SessionAttributes' },
        untrusted_seen: BOOL,
        lowest_trust: STRING,
        max_classification: STRING,
        manifest_hash: optional(STRING),
      },
    },
    Taint: {
      type: 'Record',
      attributes: {
        any: BOOL,
        arguments: { type: 'Set', element: STRING },
        sources: { type: 'Set', element: STRING },
        injected: { type: 'Set', element: STRING },
        instructed: { type: 'Set', element: STRING },
        directive: { type: 'Set', element: STRING },
        unnamed: { type: 'Set', element: STRING },
      },
    },
    Scope: {
      type: 'Record',
      attributes: {
        targets_declared: BOOL,
        outside: { type: 'Set', element: STRING },
      },
    },
  };
  const entityTypes = {
    User: {
      shape: {
        type: 'Record',
        attributes: {
          id: STRING,
          tenant: STRING,
          roles: { type: 'Set', element: STRING },
          agent: optional(STRING),
          delegated: BOOL,
        },
      } satisfies CedarType,
    },
    Tool: {
      shape: {
        type: 'Record',
        attributes: { name: STRING, side_effect: STRING, tenant_bound: BOOL },
      } satisfies CedarType,
    },
  };
  const actions: CedarSchemaJson[string]['actions'] = {};
  for (const cls of SIDE_EFFECT_CLASSES) actions[cls] = {};
  for (const tool of [...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    actions[tool.name] = {
      memberOf: [{ id: tool.sideEffect }],
      appliesTo: {
        principalTypes: ['User'],
        resourceTypes: ['Tool'],
        context: {
          type: 'Record',
          attributes: {
            intent: optional(STRING),
            tool_call: {
              type: 'Record',
              attributes: {
                tool: STRING,
                class: STRING,
                affected_count: LONG,
                destination: STRING,
                resource: { type: 'ResourceInfo' },
                parameters: cedarTypeOf(parametersShape(tool.inputSchema)),
              },
            },
            session: { type: 'SessionInfo' },
            taint: { type: 'Taint' },
            scope: { type: 'Scope' },
            environment: { type: 'Environment' },
          },
        },
      },
    };
  }
  return { [NAMESPACE]: { commonTypes, entityTypes, actions } };
}
