/**
 * What a suite simulation is: the suite's environment as plain state, and one function per
 * tool that reads or changes it the way the upstream AgentDojo tool does. The harness wires
 * these into the gateway as in-process connectors, so every result a policy-checked call
 * returns comes from here.
 */
import type { JsonValue } from '../../../src/core/canonical.ts';
import type { JsonObject } from '../dataset.ts';

/** A call the tool itself refuses (upstream raises ValueError): the connector fails. */
export class ToolFailure extends Error {
  override name = 'ToolFailure';
}

export type SimTool<S> = (state: S, args: JsonObject) => JsonValue;

export interface SuiteSimulation<S> {
  /** Fresh state from the environment data (placeholders already filled). */
  initialState(environment: JsonObject): S;
  tools: Record<string, SimTool<S>>;
  /**
   * Tools that change the environment when they succeed, as upstream: writes, sends,
   * deletions, reservations, and also visiting a web page (upstream records every URL
   * fetched in `web_requests`, and the request itself reaches the site). Reading unread
   * mail, which only marks it read, is not counted. This is the environment's own
   * semantics, not the deployer's side-effect table.
   */
  mutating: ReadonlySet<string>;
}

export function str(args: JsonObject, name: string): string {
  const value = args[name];
  if (typeof value !== 'string') throw new ToolFailure(`${name} must be a string`);
  return value;
}

export function optStr(args: JsonObject, name: string): string | null {
  const value = args[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ToolFailure(`${name} must be a string`);
  return value;
}

export function strList(args: JsonObject, name: string): string[] {
  const value = args[name];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new ToolFailure(`${name} must be a list of strings`);
  return value as string[];
}

export function optStrList(args: JsonObject, name: string): string[] | null {
  const value = args[name];
  if (value === undefined || value === null) return null;
  return strList(args, name);
}

export function num(args: JsonObject, name: string): number {
  const value = args[name];
  if (typeof value !== 'number') throw new ToolFailure(`${name} must be a number`);
  return value;
}

/** Deep copy of a JSON value (results never alias the live state). */
export function copy<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/** Next numeric id as upstream: largest existing id + 1, as a string. */
export function nextId(ids: Iterable<string | number>): string {
  let max = 0;
  for (const id of ids) max = Math.max(max, Number(id));
  return String(max + 1);
}
