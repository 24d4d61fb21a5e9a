/** The README's library example (examples/library/) and what it prints, for the tests that run it. */
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/demo-config.ts';

export const LIBRARY_EXAMPLE_DIR = join(REPO_ROOT, 'examples', 'library');

/** What pay-invoice.ts prints, line by line (also shown in the README). */
export const LIBRARY_EXAMPLE_OUTPUT = [
  'invoices.get: executed policy.permit',
  'payments.send to the emailed IBAN: approval_required policy.approval_required untrusted-iban-needs-approval',
  'payments.send to the IBAN on file: executed policy.permit',
  'audit chain verifies: true',
];

/** A `cpSync` filter for the example directory: leaves out data an earlier run left in its .airlock/. */
export function libraryExampleFilter(source: string): boolean {
  return !source.split(/[\\/]/).includes('.airlock');
}
