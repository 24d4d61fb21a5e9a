/**
 * The console on a development config (HS256 issuer, no OIDC): the sign-in page takes a pasted
 * token; a token the gateway refuses is explained and signs nothing in; signing out forgets the
 * token (it lived in the tab's session storage only).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';
import { ensureConsoleBuilt } from '../../scripts/build-console.ts';
import type { LaunchedBrowser } from './browser.ts';
import { launchChromium, newPage, screenshot, seriousViolations } from './browser.ts';

describe('web console with a pasted token (dev config)', () => {
  let fx: HttpFixture;
  let chromium: LaunchedBrowser;

  before(async () => {
    await ensureConsoleBuilt();
    fx = await startDemoServer();
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await fx?.close();
  });

  test('a refused token is explained; a valid one signs in as the gateway verifies it; sign-out forgets it', async () => {
    const { context, page } = await newPage(chromium.browser, 1280);
    page.setDefaultTimeout(15_000);
    try {
      await page.goto(`${fx.server.url}/console/`);
      // The page says how to sign in once it has read the server's sign-in settings ("Loading…" until then).
      await page.getByText(/paste a bearer token/).waitFor();
      assert.match((await page.locator('main').textContent()) ?? '', /paste a bearer token/);
      assert.deepEqual(await seriousViolations(page), []);

      await page.getByLabel('Bearer token').fill('not-a-token');
      await page.getByRole('button', { name: 'Use this token' }).click();
      assert.match((await page.getByRole('alert').textContent()) ?? '', /sign in again|ERR_IDENTITY/);
      assert.equal(await page.getByTestId('me-user').count(), 0);

      const lead = await fx.token({ sub: 'lena', tenant: 'acme', roles: ['support-lead'] });
      await page.getByLabel('Bearer token').fill(lead);
      await page.getByRole('button', { name: 'Use this token' }).click();
      assert.equal(await page.getByTestId('me-user').textContent(), 'lena');
      assert.equal(await page.getByTestId('me-tenant').textContent(), 'acme');
      await page.getByRole('heading', { name: 'Approvals' }).waitFor();
      await screenshot(page, '10-token-sign-in-1280');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Bearer token').waitFor();
      assert.equal(await page.evaluate(`sessionStorage.getItem('airlock.console.token')`), null);
      assert.deepEqual(await context.cookies(), []);
    } finally {
      await context.close();
    }
  });
});
