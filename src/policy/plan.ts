/**
 * Request plans: what Cedar is sent for one request slice, worked out once when the slice
 * is cached, so a request only fills in values. An entity whose attributes no policy reads
 * is left out (Cedar needs entities only for attributes and for `in`, and neither the User
 * nor the Tool has parents: `in` on them is equality, entity or not); the context is the
 * flat one of specialize.ts when the slice allows it, else the nested context cut down to
 * what the slice reads (projection.ts).
 */
import type { Principal } from '../core/types.ts';
import { project } from './projection.ts';
import type { Need } from './projection.ts';
import { leanUserEntity, userAttribute, USER_ATTRIBUTES } from './request.ts';
import type { CedarEntity, ToolBinding } from './request.ts';
import type { CedarValue } from './shapes.ts';
import type { PreparedSet } from './slice-cache.ts';
import type { FlatAttribute } from './specialize.ts';

export interface RequestPlan {
  set: PreparedSet;
  /** The context Cedar is sent, from the full context of the request and its principal. */
  context(full: Record<string, CedarValue>, principal: Principal): Record<string, CedarValue>;
  /** The entities Cedar is sent. */
  entities(principal: Principal): CedarEntity[];
  /** Cedar's error message as it would read for the unspecialized policies. */
  message(text: string): string;
}

type Value = CedarValue | undefined;
type Record_ = Record<string, CedarValue>;

/** The value as a record, or undefined when it is not one (a set, a decimal, a scalar). */
function asRecord(value: Value): Record_ | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !('__extn' in value) ? (value as Record_) : undefined;
}

/** Reads one flat attribute. The containers on the way always exist (request.ts builds them). */
function reader(attribute: FlatAttribute): (full: Record_, principal: Principal) => Value {
  const leaf = attribute.path.at(-1) as string;
  if (attribute.from === 'principal') return (_, principal) => userAttribute(principal, leaf);
  const containers = attribute.path.slice(0, -1);
  return (full) => {
    let record: Record_ | undefined = full;
    for (const attr of containers) record = asRecord(record?.[attr]);
    return record !== undefined && Object.hasOwn(record, leaf) ? record[leaf] : undefined;
  };
}

function flatContext(flat: FlatAttribute[]): RequestPlan['context'] {
  const readers = flat.map((attribute) => ({ key: attribute.key, need: attribute.need, read: reader(attribute) }));
  return (full, principal) => {
    const out: Record_ = {};
    for (const { key, need, read } of readers) {
      const value = read(full, principal);
      if (value === undefined) continue;
      const record = need === true ? undefined : asRecord(value);
      out[key] = record === undefined || need === true ? value : project(record, need);
    }
    return out;
  };
}

/** Cedar names a missing context attribute by its flat name; say the attribute's own name. */
function unflattened(flat: FlatAttribute[]): RequestPlan['message'] {
  const names = flat.flatMap((a) => {
    const own = a.path.at(-1);
    return own === undefined || own === a.key ? [] : [[`\`${a.key}\``, `\`${own}\``] as const];
  });
  return (text) => names.reduce((out, [flatName, own]) => out.replaceAll(flatName, own), text);
}

function isEmpty(need: Need): boolean {
  return need !== true && need.size === 0;
}

export function planOf(set: PreparedSet, binding: ToolBinding): RequestPlan {
  const { needs, flat, action, principalFlat } = set.slice;
  const constant: CedarEntity[] = [];
  if (!isEmpty(needs.resource)) {
    const tool = binding.toolEntity;
    constant.push({ uid: tool.uid, attrs: project(tool.attrs, needs.resource), parents: [] });
  }
  if (action) constant.push(binding.actionEntity);
  const read = needs.principal === true ? USER_ATTRIBUTES : [...needs.principal.keys()];
  const userEntity = !principalFlat && read.length > 0;
  return {
    set,
    context: flat === null ? (full) => project(full, needs.context) : flatContext(flat),
    entities: userEntity ? (principal) => [leanUserEntity(principal, read), ...constant] : () => constant,
    message: flat === null ? (text) => text : unflattened(flat),
  };
}
