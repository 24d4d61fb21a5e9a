import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textOfJson } from './text.ts';

test("a result's echo of the call's own argument is cut where it stands alone, never out of a longer entity", () => {
  // Standing alone (a field, a word in a sentence, before a full stop): the tool's echo.
  assert.equal(textOfJson({ to: 'bob@corp.example', status: 'sent to bob@corp.example.' }, ['bob@corp.example']), 'to\n\n\nstatus\nsent to \n.');
  assert.equal(textOfJson(['security alerts: none'], ['security']), '\n alerts: none');
  // Inside a longer entity: cutting it would leave the entity the model reads indexed as nothing.
  for (const [text, echo] of [
    ['Reset at https://security-portal.example/login now', 'security'],
    ['refund to DE89370400440532024000', '2024'],
    ['write to billing.2024@evil.example', '2024'],
    ['see evil.security.example', 'security'],
    ['port 203.0.113.7:8443', '8443'],
  ] as const) {
    assert.equal(textOfJson([text], [echo]), text, `${echo} in ${text}`);
  }
});
