/**
 * Runs code written against the published package from the sources of a checkout:
 * `node --import ./test/support/source-package.ts file.ts` resolves `@airlock-gateway/airlock`
 * to src/index.ts (the package itself resolves to the compiled dist/, which a checkout does
 * not build). Used by the test of the README's library example.
 */
import { registerHooks } from 'node:module';

const PACKAGE = '@airlock-gateway/airlock';
const SOURCE = new URL('../../src/index.ts', import.meta.url).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    return specifier === PACKAGE ? { url: SOURCE, shortCircuit: true } : nextResolve(specifier, context);
  },
});
