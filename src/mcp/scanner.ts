/**
 * Tool-poisoning scanner: looks through every string of an upstream tool definition
 * (names, titles, descriptions, schema keywords, enum values, property names) for what
 * a benign definition has no reason to contain:
 *
 * - `invisible_unicode`  zero-width, word-joiner, BOM, soft-hyphen and similar format characters
 * - `bidi_control`       bidirectional overrides and isolates (text that reads differently than it runs)
 * - `tag_unicode`        Unicode tag characters U+E0000-U+E007F (ASCII smuggled past a human reader)
 * - `variation_selector_smuggling`  supplementary variation selectors, or runs of them (bytes hidden in selectors)
 * - `control_characters` C0/C1 controls other than tab, newline and carriage return
 * - `hidden_instructions` markup that addresses the model out of the user's sight
 *                         (`<IMPORTANT>`, `<system>`, `[INST]`, chat-template tokens, HTML comments)
 * - `instruction_override` "ignore previous instructions", "you are now", "do not tell the user", ...
 * - `secret_request`     asks for keys, credentials, passwords, tokens, `.ssh`, `.env`, ...
 * - `tool_reference`     names a tool of another upstream (as it calls it, or as clients see it:
 *                         `mail.send_email`; also in compatibility forms), or instructs about other tools' use
 * - `exfiltration`       tells the model to send or forward data somewhere
 *
 * Heuristics, so defence in depth: a flagged definition stays quarantined until an operator
 * approves it knowingly, and a clean one still needs the operator (or first-use trust) to be
 * admitted. The scanner never changes a definition.
 */
import type { JsonValue } from '../core/canonical.ts';
import type { PinnedDefinition } from './definition.ts';

export type FindingRule =
  | 'invisible_unicode'
  | 'bidi_control'
  | 'tag_unicode'
  | 'variation_selector_smuggling'
  | 'control_characters'
  | 'hidden_instructions'
  | 'instruction_override'
  | 'secret_request'
  | 'tool_reference'
  | 'exfiltration';

export interface Finding {
  rule: FindingRule;
  /** JSON Pointer into the definition (`/description`, `/inputSchema/properties/path/description`, `/inputSchema/properties/<key>` for a key). */
  path: string;
  /** Up to 80 characters around the match, with invisible characters shown as `\u{...}`. */
  excerpt: string;
}

export interface ScanContext {
  /** Names of tools served by *other* upstreams and by the config (as the upstreams call them). */
  otherToolNames?: readonly string[];
}

const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u2060-\u2064\u206A-\u206F\u3164\uFEFF\uFFA0]/u;
const BIDI = /[\u202A-\u202E\u2066-\u2069]/u;
const TAGS = /[\u{E0000}-\u{E007F}]/u;
const SUPPLEMENTARY_SELECTORS = /[\u{E0100}-\u{E01EF}]/u;
const SELECTOR_RUN = /[\uFE00-\uFE0F]{2,}/u;
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;

const HIDDEN = [
  /<\s*\/?\s*(important|system|instructions?|secret|hidden|admin|assistant|context|prompt|sys)\b[^>]*>/i,
  /\[\/?\s*(INST|SYS|SYSTEM)\s*\]/,
  /<\|[a-z_]*(im_start|im_end|system|endoftext|start_header_id|eot_id)[a-z_]*\|>/i,
  /<!--[\s\S]*?-->/,
];

const OVERRIDE = [
  /\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(previous|prior|above|earlier|all|any|other|system|original)\b.{0,20}\b(instructions?|prompts?|rules|guidelines|directions)\b/i,
  /\byou are now\b/i,
  /\bnew (system )?instructions?\s*:/i,
  /\b(do not|don't|never)\b.{0,20}\b(tell|inform|mention|reveal|notify|show|alert)\b.{0,20}\b(the )?(user|human|operator)\b/i,
  /\bwithout (telling|informing|notifying|asking|alerting)\b.{0,20}\b(the )?(user|human|operator)\b/i,
  /\b(secretly|silently|covertly|quietly)\b.{0,30}\b(send|read|call|include|add|copy|forward|upload|run|execute|use)\b/i,
  /\bthis is (very )?(important|critical|mandatory)\b.{0,40}\b(must|always|never)\b/i,
  /\b(before|after|instead of)\b.{0,20}\b(using|calling|invoking|running)\b.{0,20}\b(this|any|every|other|another)\b.{0,10}\btools?\b.{0,60}\b(must|always|first|also)\b/i,
];

const SECRET = [
  /\bid_(rsa|dsa|ecdsa|ed25519)\b/i,
  /(~|\$HOME|\bhome)\/\.(ssh|aws|gnupg|kube|docker|netrc|npmrc|pypirc|git-credentials)\b/i,
  /(^|[\s"'`(/])\.env\b/i,
  /\b(private|secret|signing|ssh)[ _-]?keys?\b/i,
  /\bapi[ _-]?(keys?|tokens?|secrets?)\b/i,
  /\b(access|auth|bearer|session|refresh)[ _-]?tokens?\b/i,
  /\b(passwords?|passphrases?|credentials?)\b/i,
  /\/etc\/(passwd|shadow|sudoers)\b/i,
  /\b(mcp|claude_desktop_config)\.json\b/i,
];

const SECRET_VERB = /\b(read|send|include|pass|provide|attach|cat|upload|extract|copy|append|add|forward|output|print|return|collect|share|give|paste|contents? of)\b/i;

const EXFILTRATION = [
  /\b(send|post|upload|forward|transmit|exfiltrate|copy|report|leak|email|mail)\b.{0,60}\b(to|at|via)\b.{0,30}(https?:\/\/|\bwebhook\b|\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b)/i,
  /\b(curl|wget)\s+(-[a-z]+\s+)*https?:\/\//i,
];

/** A tool name distinctive enough that mentioning it is a reference, not an English word. */
function distinctive(name: string): boolean {
  return name.length >= 4 && (/[_.\-/:]/.test(name) || /[a-z][A-Z]/.test(name));
}

function visible(text: string): string {
  return text.replace(/[^\P{C}\n\t]|[\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}\uFE00-\uFE0F\u00AD\u034F\u115F\u1160\u3164\uFFA0]/gu, (ch) =>
    `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`,
  );
}

function excerpt(text: string, index: number, length: number): string {
  const start = Math.max(0, index - 20);
  const end = Math.min(text.length, index + Math.max(length, 1) + 40);
  const out = visible(text.slice(start, end)).replace(/\s+/g, ' ');
  return (start > 0 ? '…' : '') + (out.length > 80 ? `${out.slice(0, 80)}…` : out) + (end < text.length && out.length <= 80 ? '…' : '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Text {
  path: string;
  text: string;
  /** Free prose meant for a reader (title / description), where references matter most. */
  prose: boolean;
}

function pointer(path: string, key: string | number): string {
  return `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function collect(value: JsonValue, path: string, out: Text[], prose: boolean): void {
  if (typeof value === 'string') {
    out.push({ path, text: value, prose });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => collect(item, pointer(path, i), out, false));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const at = pointer(path, key);
    out.push({ path: at, text: key, prose: false });
    collect(child, at, out, key === 'description' || key === 'title');
  }
}

function firstMatch(text: string, patterns: readonly RegExp[]): RegExpExecArray | null {
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match !== null) return match;
  }
  return null;
}

/** Every finding in the definition, at most one per rule and string. */
export function scanDefinition(definition: PinnedDefinition, context: ScanContext = {}): Finding[] {
  const texts: Text[] = [];
  collect(definition as unknown as JsonValue, '', texts, false);
  // The top-level name is the tool's own name: the key "name" is collected, the value too.
  const findings: Finding[] = [];
  const add = (rule: FindingRule, item: Text, match: { index: number; 0: string } | null) => {
    if (match === null) return;
    findings.push({ rule, path: item.path, excerpt: excerpt(item.text, match.index, match[0].length) });
  };
  const others = (context.otherToolNames ?? []).filter((n) => distinctive(n) && n !== definition.name);
  const otherPattern =
    others.length === 0 ? null : new RegExp(`(^|[^A-Za-z0-9_.-])(${others.map(escapeRegExp).join('|')})(?![A-Za-z0-9_-])`);

  for (const item of texts) {
    const text = item.text;
    add('invisible_unicode', item, INVISIBLE.exec(text));
    add('bidi_control', item, BIDI.exec(text));
    add('tag_unicode', item, TAGS.exec(text));
    add('variation_selector_smuggling', item, SUPPLEMENTARY_SELECTORS.exec(text) ?? SELECTOR_RUN.exec(text));
    add('control_characters', item, CONTROLS.exec(text));
    // Phrase rules read the text the way a model would: format characters removed, NFKC folded.
    // (identifiers are read with their underscores as spaces too: `ignore_previous_instructions`).
    const folded = text.replace(/[\u00AD\u200B-\u200F\u2060-\u2064\uFEFF\u{E0000}-\u{E007F}]/gu, '').normalize('NFKC');
    const spaced = folded.replace(/_/g, ' ');
    const both = (patterns: readonly RegExp[]) => firstMatch(folded, patterns) ?? firstMatch(spaced, patterns);
    const foldedItem = { ...item, text: folded };
    add('hidden_instructions', foldedItem, both(HIDDEN));
    add('instruction_override', foldedItem, both(OVERRIDE));
    const secret = both(SECRET);
    if (secret !== null && (SECRET_VERB.test(spaced) || !item.prose)) add('secret_request', foldedItem, secret);
    add('exfiltration', foldedItem, both(EXFILTRATION));
    if (item.prose && otherPattern !== null) {
      // Read as the model reads it too: a name in fullwidth or other compatibility forms is still that name.
      const raw = otherPattern.exec(text);
      const ref = raw ?? otherPattern.exec(folded);
      if (ref !== null) add('tool_reference', raw === null ? foldedItem : item, { index: ref.index + (ref[1]?.length ?? 0), 0: ref[2] ?? '' });
    }
  }
  return findings;
}
