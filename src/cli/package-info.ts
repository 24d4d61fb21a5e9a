/** The package this CLI ships in: its name, its version, and how to run the CLI again from a shell. */
import { PACKAGE_NAME } from '../core/package-version.ts';

export { PACKAGE_NAME, packageVersion } from '../core/package-version.ts';

/** True when this runs from the TypeScript sources (a checkout), false once compiled. */
export const FROM_SOURCES = import.meta.url.endsWith('.ts');

/**
 * The shell command for the CLI: in a checkout the project's own bin (`npx airlock`);
 * elsewhere the scoped name, since a bare `npx airlock` outside a project that installed this
 * package runs an unrelated npm package of that name.
 */
export const NPX_COMMAND = FROM_SOURCES ? 'npx airlock' : `npx ${PACKAGE_NAME}`;
