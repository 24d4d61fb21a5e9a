/** The four suite simulations by name. */
import type { SuiteName } from '../dataset.ts';
import { banking } from './banking.ts';
import { slack } from './slack.ts';
import { travel } from './travel.ts';
import type { SuiteSimulation } from './types.ts';
import { workspace } from './workspace.ts';

export const SIMULATIONS: Record<SuiteName, SuiteSimulation<unknown>> = {
  workspace: workspace as SuiteSimulation<unknown>,
  travel: travel as SuiteSimulation<unknown>,
  banking: banking as SuiteSimulation<unknown>,
  slack: slack as SuiteSimulation<unknown>,
};

export { ToolFailure } from './types.ts';
export type { SuiteSimulation } from './types.ts';
