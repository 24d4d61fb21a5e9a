/**
 * Heuristics for instructions injected into context (text that talks to the model instead
 * of informing it). Defence in depth only, never the boundary: a determined attacker can
 * phrase around any list, and an honest document can trip one. A flagged chunk is still
 * admitted (wrapped as untrusted data like every untrusted chunk); the flag goes into the
 * manifest and counts toward the session's abuse alert. The boundary is elsewhere:
 * provenance and policy on what the model then tries to do.
 *
 * Every pattern is linear in the text (literal words with bounded gaps).
 */

export interface InjectionSignal {
  id: string;
  description: string;
}

const RULES: Array<{ id: string; description: string; pattern: RegExp }> = [
  {
    id: 'override_instructions',
    description: 'asks to ignore or replace earlier instructions',
    // No leading word boundary: the request may be glued to the text before it (`External_Ignore ...`).
    pattern:
      /(?:ignore|disregard|forget|override|bypass)\s{1,4}(?:all\s{1,4}|any\s{1,4}|the\s{1,4}|your\s{1,4}|my\s{1,4}|these\s{1,4}|previous\s{1,4}|prior\s{1,4})*(?:(?:previous|prior|above|earlier|preceding|original|system|safety)?\s{0,4}(?:instructions|directions|prompts?|rules|guidelines|guardrails)\b|(?:previous|prior|above|earlier|preceding|original)\s{1,4}\w{0,12}(?:struct|rect|rompt|rule|guideline|task|order)\w{0,12})/i,
  },
  {
    id: 'new_instructions',
    description: 'announces new instructions or a new task',
    pattern:
      /\b(?:new|updated|additional|important|urgent)\s{1,4}(?:instructions?|task|directive|orders?)\s{0,4}[:!-]|\b(?:strictly\s{1,4})?(?:adhere|comply)\s{1,4}(?:to|with)\s{1,4}the\s{1,4}following\s{1,4}(?:instructions?|directives?|orders?)\b/i,
  },
  {
    id: 'addressed_to_model',
    description: 'speaks to the AI model reading the text',
    pattern:
      /\bto\s{1,4}you,?\s{1,4}(?:the\s{1,4})?(?:ai|assistant|model|agent|bot|chatbot|llm|gpt[\w.-]{0,12}|claude|gemini|copilot|language\s{1,4}model)\b|\b(?:dear|hey|hi|hello|attention|note\s{1,4}to(?:\s{1,4}the)?)\s{1,4}(?:ai|llm|chatbot|gpt[\w.-]{0,12}|claude|gemini|copilot|language\s{1,4}model|ai\s{1,4}(?:assistant|agent|model))\b|\bif\s{1,4}you\s{1,4}are\s{1,4}(?:an?\s{1,4})?(?:ai|llm|language\s{1,4}model|ai\s{1,4}(?:assistant|agent)|assistant\s{1,4}reading)\b/i,
  },
  {
    id: 'task_hijack',
    description: "refers to the reader's task to put another one before or instead of it",
    pattern:
      /\bbefore\s{1,4}you\s{1,4}(?:can\s{1,4})?(?:solve|complete|finish|continue|proceed\s{1,4}with|answer|do)\s{1,4}(?:the|your|this|my)\s{1,4}(?:original\s{1,4}|current\s{1,4}|actual\s{1,4})?(?:task|request|assignment)\b|\b(?:the\s{1,4})?task\s{1,4}(?:that\s{1,4})?(?:i|the\s{1,4}user|they|we)\s{1,4}(?:gave|assigned|asked|set)\s{1,4}(?:to\s{1,4})?you\b|\binstead\s{1,4}of\s{1,4}(?:the|your)\s{1,4}(?:original\s{1,4}|current\s{1,4}|user'?s?\s{1,4})?(?:task|request|instructions)\b|\byour\s{1,4}(?:new|real|actual|true|primary|updated)\s{1,4}(?:task|goal|objective|instructions|mission)\b/i,
  },
  {
    id: 'tool_directive',
    description: 'tells the reader which tool or function to call',
    pattern: /\b(?:use|call|invoke|run|execute)\s{1,4}the\s{1,4}(?:tool|function|api)\s{1,4}[`'"]?[a-z_][\w.]{0,64}/i,
  },
  {
    id: 'role_play',
    description: 'tries to change who the model is',
    pattern: /\b(?:you\s{1,4}are\s{1,4}now|from\s{1,4}now\s{1,4}on\s{1,4}you|act\s{1,4}as\s{1,4}(?:an?\s{1,4})?(?:admin|administrator|developer|system|root)|pretend\s{1,4}(?:to\s{1,4}be|you\s{1,4}are))\b/i,
  },
  {
    id: 'fake_role_marker',
    description: 'contains chat-role or system markers',
    pattern: /(?:^|\n)\s{0,8}(?:system|assistant|developer)\s{0,2}:|#{2,}\s{0,2}[([]?\s{0,2}(?:system|developer)\b|[([]\s{0,2}(?:system|developer)[\s_-]{0,2}(?:message|prompt|instructions?|note|override)\s{0,2}[)\]]|<\/?\s{0,2}(?:system|assistant|instructions?|information|im_start|im_end)\s{0,2}>|\[\/?(?:INST|SYS)\]/i,
  },
  {
    id: 'hidden_action',
    description: 'asks for an action the user must not see',
    pattern: /\b(?:do\s{1,4}not|don'?t|never)\s{1,4}(?:tell|inform|mention|notify|reveal\s{1,4}to)\s{1,4}(?:the\s{1,4})?(?:user|human|customer)\b|\bwithout\s{1,4}(?:telling|informing|asking)\s{1,4}(?:the\s{1,4})?(?:user|human)\b/i,
  },
  {
    id: 'exfiltration',
    description: 'asks to send data somewhere',
    pattern: /\b(?:send|forward|email|transfer|upload|post|exfiltrate)\s{1,4}(?:all|every|the\s{1,4}(?:full|entire|whole))\s{1,4}(?:\w{1,24}\s{1,4}){0,3}(?:to|at)\s{1,4}\S{1,256}@/i,
  },
  {
    id: 'system_prompt_probe',
    description: 'asks for the system prompt or hidden configuration',
    pattern: /\b(?:reveal|print|show|repeat|output)\s{1,4}(?:your|the)\s{1,4}(?:system\s{1,4}prompt|hidden\s{1,4}instructions|initial\s{1,4}instructions)\b/i,
  },
];

/** Signals found in `text` (empty: nothing suspicious found - which proves nothing). */
export function injectionSignals(text: string): InjectionSignal[] {
  return RULES.filter((r) => r.pattern.test(text)).map(({ id, description }) => ({ id, description }));
}

/** Characters after a signal that still belong to the instructions it opens. */
export const INSTRUCTION_REACH = 1000;
/** Most regions of one kind per rule and passage. */
const MAX_REGIONS = 64;
/** Longest directive sentence kept, characters. */
const MAX_SENTENCE = 1000;

const GLOBAL_RULES = RULES.map((r) => new RegExp(r.pattern.source, `${r.pattern.flags}g`));

/**
 * Verbs that ask for an action a tool would take (send, pay, invite, visit, delete...).
 * A sentence of third-party text that starts with one of them tells its reader to act.
 */
const ACTION_VERBS =
  'send|forward|transfer|pay|wire|email|e-mail|mail|reply|invite|add|remove|delete|erase|create|schedule|book|reserve|share|post|publish|upload|download|visit|open|go|click|browse|fetch|change|modify|edit|replace|adjust|update|set|reset|grant|give|make|write|concatenate|call|text|message|dm|contact|tell|say|run|execute|install|cancel|move|rename|buy|order|do|use|include|attach|copy|put|submit|approve|rate|leave|refund|withdraw|deposit|increase|decrease|subscribe|unsubscribe|join|sign|register|enable|disable|export|print|save|follow|get|find|retrieve|collect|gather|look|search|list|summarize|respond|notify|inform|show|provide|check';
/** A sentence that starts by asking for an action: an action verb, perhaps after a list marker, a label, `please` or `you must`. */
const DIRECTIVE = new RegExp(
  String.raw`^(?:(?:[-*\u2022>]|\d{1,3}[.)])\s{0,4})?(?:(?:todo|to-do|to do|task|action(?:\s{1,4}required)?|important|urgent|note|reminder|instructions?|p\.?s\.?)\s{0,4}[:!-]+\s{0,4}){0,3}(?:(?:(?:please|kindly)[\s,]{1,4}\w)|(?:(?:now|first|then|also|immediately|quickly|and)[\s,]{1,4}){0,3}(?:(?:you\s{1,4}(?:must|should|need\s{1,4}to|have\s{1,4}to|will)|make\s{1,4}sure\s{1,4}(?:to|you)|remember\s{1,4}to|be\s{1,4}sure\s{1,4}to|don'?t\s{1,4}forget\s{1,4}to)\s{1,4}\w|(?:${ACTION_VERBS})\b))`,
  'i',
);
const VERB_SET = new Set([...ACTION_VERBS.split('|'), 'please', 'kindly']);
/** A capitalized word glued to the text before it (`USASend money ...`): a sentence the page lost the break of. */
const GLUED = /(?<=[\p{L}\p{N}.,;:!?%)])\p{Lu}\p{Ll}+\b/gu;
/** A to-do label anywhere in a sentence (also glued to the text before it): what follows is a directive. */
const TODO_LABEL = /(?:todo|to-do|action\s{1,4}(?:required|item)|instructions?)\s{0,4}:/gi;
const SENTENCE_END = /[.!?](?=\s)|\n/g;
/** A line whose last characters end a sentence (or a label, or a list entry). */
const LINE_ENDS_SENTENCE = /[.!?:;,]["'\u2019\u201d)]?\s*$|^\s*$/;
/** Where a sentence that runs over a line break stops: its end, or a blank line. */
const SENTENCE_STOP = /[.!?](?=\s|$)|\n[ \t]*\n/g;

/** The sentences of a passage, with their offsets (a sentence ends at `.`, `!` or `?` before a space, or at a line break). */
function sentences(passage: string): Array<{ start: number; text: string }> {
  const out: Array<{ start: number; text: string }> = [];
  let start = 0;
  const push = (end: number): void => {
    const raw = passage.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const text = raw.trim();
    if (text !== '') out.push({ start: start + lead, text });
  };
  for (const match of passage.matchAll(SENTENCE_END)) {
    push(match.index + 1);
    start = match.index + 1;
  }
  push(passage.length);
  return out;
}

/**
 * Where a passage of third-party text (one field of a tool result, one document) speaks
 * to its reader instead of informing it:
 * - `injected`: from the start of the sentence holding an injection signal to
 *   INSTRUCTION_REACH characters after the signal (instructions follow their opener: the
 *   "important message to you, the assistant", the "ignore previous instructions");
 * - `directive`: from a sentence that starts by asking for an action to the end of its
 *   line (an action verb, perhaps
 *   after a list marker or a label, `please ...`, `you must ...`), and whatever follows a
 *   to-do label (`TODO:`, `Action required:`) or a capitalized action verb glued to the
 *   text before it (`...USASend the money`: a sentence whose break was lost).
 * - `carrier`: a passage holding an injection signal, as a whole: content the user pointed
 *   to stops vouching for its values once it carries injected instructions, and a value
 *   stated as a plain fact beside them (`Details on file: ...`, then the instructions
 *   referring to "the details above") is the injection's as much as one inside them.
 * A value found inside an `injected` region was put there by someone addressing the model;
 * one inside a `directive` region was at least asked to be acted on. Both are heuristics
 * (an attacker can paraphrase around any list); what they buy is certainty in the common
 * case, never the boundary.
 */
export function instructionRegions(passage: string): { injected: string[]; directive: string[]; carrier: string[] } {
  const injected: string[] = [];
  const directive: string[] = [];
  const carrier: string[] = [];
  const parts = sentences(passage);
  // A passage that carries injected instructions vouches for nothing in it, wherever the value sits.
  // Where no signal matches at all (most text), none is looked for again below: each
  // matchAll copies its pattern, several times the cost of the test itself.
  if (RULES.some((r) => r.pattern.test(passage))) {
    carrier.push(passage);
    for (const pattern of GLOBAL_RULES) {
      pattern.lastIndex = 0;
      let matches = 0;
      for (const match of passage.matchAll(pattern)) {
        if (++matches > MAX_REGIONS) break;
        const opening = parts.findLast((s) => s.start <= match.index)?.start ?? 0;
        injected.push(passage.slice(opening, match.index + match[0].length + INSTRUCTION_REACH));
      }
    }
  }
  // A directive runs from where it starts to the end of its line: "Please create an event.
  // The title should be '...'" is one instruction. A line that breaks a sentence (wrapped
  // text, "send the money\nto DE89...") runs on to the sentence's end or a blank line.
  // Regions never overlap, so what they hold stays linear in the passage.
  let covered = 0;
  const toLineEnd = (from: number): void => {
    if (from < covered) return;
    const limit = Math.min(passage.length, from + MAX_SENTENCE);
    let end = passage.indexOf('\n', from);
    if (end === -1 || end > limit) end = limit;
    else if (!LINE_ENDS_SENTENCE.test(passage.slice(Math.max(from, end - 8), end))) {
      SENTENCE_STOP.lastIndex = end;
      const stop = SENTENCE_STOP.exec(passage);
      end = Math.min(stop === null ? passage.length : stop.index + 1, limit);
    }
    covered = end;
    directive.push(passage.slice(from, covered));
  };
  for (const sentence of parts) {
    if (DIRECTIVE.test(sentence.text)) {
      toLineEnd(sentence.start);
      continue;
    }
    TODO_LABEL.lastIndex = 0;
    const label = TODO_LABEL.exec(sentence.text);
    if (label !== null) {
      toLineEnd(sentence.start + label.index);
      continue;
    }
    for (const glued of sentence.text.matchAll(GLUED)) {
      if (!VERB_SET.has(glued[0].toLowerCase())) continue;
      toLineEnd(sentence.start + glued.index);
      break;
    }
  }
  return { injected, directive, carrier };
}
