/** Every migration of the PostgreSQL schema, in order. A migration, once released, never changes. */
import type { Migration } from '../migrate.ts';
import { migration as m0001 } from './0001_state.ts';
import { migration as m0002 } from './0002_credentials_memory_pins.ts';
import { migration as m0003 } from './0003_audit.ts';
import { migration as m0004 } from './0004_provenance_activity.ts';
import { migration as m0005 } from './0005_control.ts';
import { migration as m0006 } from './0006_activity_functions.ts';
import { migration as m0007 } from './0007_revocation_kinds.ts';
import { migration as m0008 } from './0008_idempotency.ts';
import { migration as m0009 } from './0009_session_budgets.ts';
import { migration as m0010 } from './0010_audit_ship_cursors.ts';
import { migration as m0011 } from './0011_audit_prune.ts';
import { migration as m0012 } from './0012_session_targets.ts';
import { migration as m0013 } from './0013_activity_read_total.ts';

export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009, m0010, m0011, m0012, m0013];
