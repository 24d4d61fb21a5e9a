/**
 * A policy library for common tool families (email, payments, account, files, web,
 * messaging, calendar, bookings, code), written against what the gateway knows of a call -
 * where each argument value came from (`context.taint.*`, graded) and what the session has
 * seen - and never against any application's data. A deployer binds each tool to a family
 * role and names which of its arguments fill which slot; `renderLibrary` writes the Cedar.
 *
 * Every rule says which threat it answers (README.md lists them). The pattern, per family:
 * a value planted by instructions in content (`instructed`: inside instructions addressed
 * to the model, or found only in text asking for an action - a request sentence, a passage
 * carrying an injection - in content the user's request never pointed to) is denied
 * outright; any other value from untrusted content the user's request never pointed to
 * (`unnamed`: plain data, or a request inside content she did point to) is held for a
 * human; a value stated as data in content the user pointed to passes.
 */

export const FAMILIES = ['email', 'payments', 'account', 'files', 'web', 'messaging', 'calendar', 'bookings', 'code'] as const;
export type Family = (typeof FAMILIES)[number];

/** Argument slots a rule tests; a binding names the tool's arguments for each slot it has. */
export const SLOTS = ['recipient', 'content', 'target', 'payee', 'memo', 'secret', 'profile', 'address', 'member', 'channel', 'url', 'participants', 'text', 'place', 'item', 'command', 'path'] as const;
export type Slot = (typeof SLOTS)[number];

export interface ToolBinding {
  tool: string;
  family: Family;
  role: string;
  args: Partial<Record<Slot, string[]>>;
}

export interface LibraryRule {
  id: string;
  family: Family;
  roles: string[];
  /** The slot whose arguments are tested; none for rules on the session. */
  slot?: Slot;
  /** `instructed`, `unnamed` or `any` taint of the slot's arguments; `session`: untrusted content was seen. */
  test: 'instructed' | 'unnamed' | 'any' | 'session';
  effect: 'deny' | 'hold';
  /** The attack this rule answers. */
  threat: string;
  /** What the decision says. */
  reason: string;
}

const rule = (r: LibraryRule) => r;

export const LIBRARY: readonly LibraryRule[] = [
  // email
  rule({ id: 'email.recipient-injected', family: 'email', roles: ['send'], slot: 'recipient', test: 'instructed', effect: 'deny', threat: 'an injected instruction mails the user\'s data to the attacker', reason: 'mail to an address taken from instructions planted in content (a prompt injection) is refused' }),
  rule({ id: 'email.content-injected', family: 'email', roles: ['send'], slot: 'content', test: 'instructed', effect: 'deny', threat: 'the attacker\'s text (a phishing link, smuggled data) goes out in the user\'s name', reason: 'mail whose subject or body comes from instructions planted in content is refused' }),
  rule({ id: 'email.recipient-unnamed', family: 'email', roles: ['send'], slot: 'recipient', test: 'unnamed', effect: 'hold', threat: 'exfiltration to an address planted in content, by an injection no heuristic recognised', reason: 'mail to an address from content the user did not point to needs confirmation' }),
  rule({ id: 'email.content-relayed', family: 'email', roles: ['send'], slot: 'content', test: 'unnamed', effect: 'hold', threat: 'relaying a link, address or passage from third-party content to the user\'s contacts (phishing that spreads)', reason: 'mail carrying a link, address or passage from content the user did not point to needs confirmation' }),
  rule({ id: 'email.delete-injected', family: 'email', roles: ['delete'], slot: 'target', test: 'instructed', effect: 'deny', threat: 'an injection covering its tracks (deleting the mail it sent) or destroying mail', reason: 'deleting mail named in instructions planted in content is refused' }),
  rule({ id: 'email.delete-after-untrusted', family: 'email', roles: ['delete'], test: 'session', effect: 'hold', threat: 'irreversible loss steered by content the assistant read', reason: 'deleting mail once the assistant has read untrusted content needs confirmation' }),
  // payments
  rule({ id: 'payments.payee-injected', family: 'payments', roles: ['pay'], slot: 'payee', test: 'instructed', effect: 'deny', threat: 'an injected instruction pays the attacker\'s account', reason: 'a payment to an account number from instructions planted in content (a prompt injection) is refused' }),
  rule({ id: 'payments.memo-injected', family: 'payments', roles: ['pay'], slot: 'memo', test: 'instructed', effect: 'deny', threat: 'the payment subject used as a channel to smuggle data out', reason: 'a payment subject from instructions planted in content is refused' }),
  rule({ id: 'payments.payee-unnamed', family: 'payments', roles: ['pay'], slot: 'payee', test: 'unnamed', effect: 'hold', threat: 'invoice fraud: an account number printed in a document or transaction the user did not point to', reason: 'a payment to an account number from content the user did not point to needs confirmation' }),
  // account
  rule({ id: 'account.secret-from-content', family: 'account', roles: ['credential'], slot: 'secret', test: 'any', effect: 'deny', threat: 'account takeover: a password or key chosen by whoever wrote the content', reason: 'a new password or key must come from the user, never from content the assistant read' }),
  rule({ id: 'account.profile-injected', family: 'account', roles: ['profile'], slot: 'profile', test: 'instructed', effect: 'deny', threat: 'an injection redirecting the user\'s mail or identity details', reason: 'changing the user\'s details to values from instructions planted in content is refused' }),
  rule({ id: 'account.profile-from-content', family: 'account', roles: ['profile'], slot: 'profile', test: 'any', effect: 'hold', threat: 'identity details changed to values found in a document', reason: 'changing the user\'s details to values taken from a document needs confirmation' }),
  // files
  rule({ id: 'files.share-injected', family: 'files', roles: ['share'], slot: 'address', test: 'instructed', effect: 'deny', threat: 'an injected instruction shares the user\'s files with the attacker', reason: 'sharing with an address from instructions planted in content is refused' }),
  rule({ id: 'files.share-unnamed', family: 'files', roles: ['share'], slot: 'address', test: 'unnamed', effect: 'hold', threat: 'files shared with an address planted in content', reason: 'sharing with an address from content the user did not point to needs confirmation' }),
  rule({ id: 'files.target-injected', family: 'files', roles: ['share', 'delete', 'write'], slot: 'target', test: 'instructed', effect: 'deny', threat: 'an injection naming the file to destroy, overwrite or give away', reason: 'acting on a file named in instructions planted in content is refused' }),
  rule({ id: 'files.delete-after-untrusted', family: 'files', roles: ['delete'], test: 'session', effect: 'hold', threat: 'irreversible loss steered by content the assistant read', reason: 'deleting a file once the assistant has read untrusted content needs confirmation' }),
  // web
  rule({ id: 'web.url-injected', family: 'web', roles: ['fetch', 'publish'], slot: 'url', test: 'instructed', effect: 'deny', threat: 'exfiltration through a request to the attacker\'s URL (the URL itself carries the data), or fetching a second-stage payload', reason: 'a request to a URL from instructions planted in content is refused' }),
  rule({ id: 'web.url-unnamed', family: 'web', roles: ['fetch', 'publish'], slot: 'url', test: 'unnamed', effect: 'hold', threat: 'following links planted in content the user did not point to', reason: 'a request to a URL from content the user did not point to needs confirmation' }),
  rule({ id: 'web.publish-injected', family: 'web', roles: ['publish'], slot: 'content', test: 'instructed', effect: 'deny', threat: 'publishing what an injection asked for', reason: 'publishing text from instructions planted in content is refused' }),
  rule({ id: 'web.publish-unnamed', family: 'web', roles: ['publish'], slot: 'content', test: 'unnamed', effect: 'hold', threat: 'copying private content (messages, documents) to the web', reason: 'publishing text copied from content the user did not point to needs confirmation' }),
  // messaging
  rule({ id: 'messaging.content-injected', family: 'messaging', roles: ['send'], slot: 'content', test: 'instructed', effect: 'deny', threat: 'an injection spreading itself or a phishing link through the workspace', reason: 'a message carrying text from instructions planted in content is refused' }),
  rule({ id: 'messaging.content-unnamed', family: 'messaging', roles: ['send'], slot: 'content', test: 'unnamed', effect: 'hold', threat: 'relaying links, addresses or passages from third-party content to colleagues', reason: 'a message carrying a link, address or passage from content the user did not point to needs confirmation' }),
  rule({ id: 'messaging.invite-injected', family: 'messaging', roles: ['invite'], slot: 'address', test: 'instructed', effect: 'deny', threat: 'an injection letting the attacker into the workspace', reason: 'inviting an address from instructions planted in content is refused' }),
  rule({ id: 'messaging.invite-unnamed', family: 'messaging', roles: ['invite'], slot: 'address', test: 'unnamed', effect: 'hold', threat: 'inviting an outsider whose address was planted in content', reason: 'inviting an address from content the user did not point to needs confirmation' }),
  rule({ id: 'messaging.member-injected', family: 'messaging', roles: ['invite', 'remove'], slot: 'member', test: 'instructed', effect: 'deny', threat: 'an injection adding or removing members', reason: 'adding or removing a member named in instructions planted in content is refused' }),
  rule({ id: 'messaging.remove-after-untrusted', family: 'messaging', roles: ['remove'], test: 'session', effect: 'hold', threat: 'locking people out, steered by content the assistant read', reason: 'removing a member once the assistant has read untrusted content needs confirmation' }),
  // calendar
  rule({ id: 'calendar.participants-injected', family: 'calendar', roles: ['create', 'invite'], slot: 'participants', test: 'instructed', effect: 'deny', threat: 'an injection inviting the attacker to the user\'s meetings (and their details)', reason: 'inviting participants from instructions planted in content is refused' }),
  rule({ id: 'calendar.text-injected', family: 'calendar', roles: ['create'], slot: 'text', test: 'instructed', effect: 'deny', threat: 'the attacker\'s text (a phishing link) placed in an invitation', reason: 'an event whose title or description comes from instructions planted in content is refused' }),
  rule({ id: 'calendar.place-injected', family: 'calendar', roles: ['create'], slot: 'place', test: 'instructed', effect: 'deny', threat: 'the attacker\'s address or link as the meeting place', reason: 'an event whose place comes from instructions planted in content is refused' }),
  rule({ id: 'calendar.participants-unnamed', family: 'calendar', roles: ['create', 'invite'], slot: 'participants', test: 'unnamed', effect: 'hold', threat: 'inviting addresses planted in content', reason: 'inviting participants from content the user did not point to needs confirmation' }),
  rule({ id: 'calendar.text-unnamed', family: 'calendar', roles: ['create'], slot: 'text', test: 'unnamed', effect: 'hold', threat: 'third-party text (links, addresses) copied into invitations', reason: 'an event whose title or description was copied from content the user did not point to needs confirmation' }),
  rule({ id: 'calendar.cancel-injected', family: 'calendar', roles: ['cancel'], slot: 'target', test: 'instructed', effect: 'deny', threat: 'an injection cancelling the user\'s meetings', reason: 'cancelling an event named in instructions planted in content is refused' }),
  rule({ id: 'calendar.cancel-after-untrusted', family: 'calendar', roles: ['cancel'], test: 'session', effect: 'hold', threat: 'cancellations steered by content the assistant read', reason: 'cancelling an event once the assistant has read untrusted content needs confirmation' }),
  // bookings
  rule({ id: 'bookings.item-injected', family: 'bookings', roles: ['reserve'], slot: 'item', test: 'instructed', effect: 'deny', threat: 'an injection in a listing or review booking what its author sells', reason: 'booking what instructions planted in content name is refused' }),
  rule({ id: 'bookings.after-untrusted', family: 'bookings', roles: ['reserve'], test: 'session', effect: 'hold', threat: 'purchases steered by third-party listings or reviews (names are plain words, which provenance never taints)', reason: 'a booking made after reading third-party listings or reviews needs confirmation' }),
  // code
  rule({ id: 'code.command-injected', family: 'code', roles: ['run'], slot: 'command', test: 'instructed', effect: 'deny', threat: 'remote code execution: a command from a README, issue or page addressed to the assistant', reason: 'running a command from instructions planted in content is refused' }),
  rule({ id: 'code.command-unnamed', family: 'code', roles: ['run'], slot: 'command', test: 'unnamed', effect: 'hold', threat: 'running commands copied from content the user did not point to', reason: 'running a command copied from content the user did not point to needs confirmation' }),
  rule({ id: 'code.path-injected', family: 'code', roles: ['write', 'run'], slot: 'path', test: 'instructed', effect: 'deny', threat: 'an injection writing to the path it names (startup scripts, CI files, keys)', reason: 'writing to a path from instructions planted in content is refused' }),
  rule({ id: 'code.content-unnamed', family: 'code', roles: ['write'], slot: 'content', test: 'unnamed', effect: 'hold', threat: 'code copied from third-party content into the repository', reason: 'writing code copied from content the user did not point to needs confirmation' }),
];

/**
 * Slots that name a target - who or where a call reaches: an addressee, a payee, an invited
 * address or member, a channel, a URL, a path. With a declared target scope (the session's `targets`,
 * docs/injection.md "Target scope"), a value in one of them outside the declared targets is
 * held or refused by the scope rules below.
 */
export const TARGET_SLOTS: readonly Slot[] = ['recipient', 'payee', 'address', 'member', 'channel', 'url', 'participants', 'path'];

/**
 * Roles the scope rules leave alone: reading a page sends nothing the task did not already
 * hold but its URL, which the url rules grade by provenance; a task that browses follows
 * links its prompt could not list.
 */
export const SCOPE_EXEMPT_ROLES: readonly string[] = ['fetch'];

export interface ScopeRule {
  id: string;
  /** `outside`: a target argument outside the declared scope; `outside-directive`: ... whose value also came from a request in content (taint `directive` or worse). */
  test: 'outside' | 'outside-directive';
  effect: 'deny' | 'hold';
  threat: string;
  reason: string;
}

/** Rules on the declared target scope, rendered for every binding with a target slot when `scope` is on. */
export const SCOPE_RULES: readonly ScopeRule[] = [
  {
    id: 'scope.target-requested',
    test: 'outside-directive',
    effect: 'deny',
    threat: 'a third party\'s request, even inside content the user pointed to ("please wire the fee to ..."), sending the task to a target it never declared',
    reason: 'a target outside the task\'s declared scope, taken from a request in content, is refused',
  },
  {
    id: 'scope.target-outside',
    test: 'outside',
    effect: 'hold',
    threat: 'a rule-aware injection stating the attacker\'s address, account or URL as plain data inside content the user pointed to, where provenance cannot tell it from her own data',
    reason: 'a target outside the task\'s declared scope needs confirmation',
  },
];

export interface RenderOptions {
  /** Role that approves holds (`@approval`). */
  approver: string;
  /**
   * Task scope (Progent-style): when the application sets the session attribute
   * `task_tools` (`|tool|tool|`: the tools this task may use to change things), every bound
   * tool outside it is denied. Sessions without the attribute are not scoped. Also renders
   * SCOPE_RULES for every binding with a TARGET_SLOTS argument: they act only in sessions
   * that declared a target scope (`context.scope.targets_declared`).
   */
  scope?: boolean;
  /** Rule ids left out of this pack. */
  exclude?: readonly string[];
  /** Header comment lines. */
  header?: readonly string[];
}

const quote = (text: string) => JSON.stringify(text);

function condition(r: LibraryRule, args: readonly string[]): string {
  if (r.test === 'session') return 'context.session.untrusted_seen';
  const set = r.test === 'any' ? 'arguments' : r.test;
  return args.map((a) => `context.taint.${set}.contains(${quote(a)})`).join(' || ');
}

/** The Cedar text of the library rules that apply to `bindings` (one policy per rule and tool). */
export function renderLibrary(bindings: readonly ToolBinding[], options: RenderOptions): string {
  const out: string[] = [...(options.header ?? []).map((l) => `// ${l}`)];
  for (const family of FAMILIES) {
    for (const r of LIBRARY.filter((x) => x.family === family && !(options.exclude ?? []).includes(x.id))) {
      for (const b of bindings.filter((x) => x.family === family && r.roles.includes(x.role)).sort((x, y) => (x.tool < y.tool ? -1 : 1))) {
        const args = r.slot === undefined ? [] : (b.args[r.slot] ?? []);
        if (r.slot !== undefined && args.length === 0) continue;
        out.push('');
        out.push(`// Threat: ${r.threat}.`);
        out.push(`@id(${quote(`${r.id}[${b.tool}]`)})`);
        out.push(`@reason(${quote(r.reason)})`);
        if (r.effect === 'hold') out.push(`@approval(${quote(options.approver)})`);
        if (r.slot !== undefined) out.push('@check("parameters")');
        out.push(`forbid (principal, action == Airlock::Action::${quote(b.tool)}, resource)`);
        out.push(`when { ${condition(r, args)} };`);
      }
    }
  }
  if (options.scope === true) {
    for (const b of [...bindings].sort((x, y) => (x.tool < y.tool ? -1 : 1))) {
      out.push('');
      out.push('// Threat: any attack that makes the assistant use a tool the task at hand does not need.');
      out.push(`@id(${quote(`scope.outside-task[${b.tool}]`)})`);
      out.push(`@reason(${quote('the application did not declare this tool for the task of this session')})`);
      out.push(`forbid (principal, action == Airlock::Action::${quote(b.tool)}, resource)`);
      out.push(`when { context.session.attributes has task_tools && !(context.session.attributes.task_tools like ${quote(`*|${b.tool}|*`)}) };`);
    }
    for (const r of SCOPE_RULES.filter((x) => !(options.exclude ?? []).includes(x.id))) {
      for (const b of [...bindings].filter((x) => !SCOPE_EXEMPT_ROLES.includes(x.role)).sort((x, y) => (x.tool < y.tool ? -1 : 1))) {
        const args = [...new Set(TARGET_SLOTS.flatMap((slot) => b.args[slot] ?? []))];
        if (args.length === 0) continue;
        const test = (a: string) =>
          r.test === 'outside' ? `context.scope.outside.contains(${quote(a)})` : `(context.scope.outside.contains(${quote(a)}) && context.taint.directive.contains(${quote(a)}))`;
        out.push('');
        out.push(`// Threat: ${r.threat}.`);
        out.push(`@id(${quote(`${r.id}[${b.tool}]`)})`);
        out.push(`@reason(${quote(r.reason)})`);
        if (r.effect === 'hold') out.push(`@approval(${quote(options.approver)})`);
        out.push('@check("parameters")');
        out.push(`forbid (principal, action == Airlock::Action::${quote(b.tool)}, resource)`);
        out.push(`when { context.scope.targets_declared && (${args.map(test).join(' || ')}) };`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}
