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
    pattern: /\b(?:ignore|disregard|forget|override|bypass)\s{1,4}(?:all\s{1,4}|any\s{1,4}|the\s{1,4}|your\s{1,4}|my\s{1,4}|these\s{1,4}|previous\s{1,4}|prior\s{1,4})*(?:previous|prior|above|earlier|preceding|original|system|safety)?\s{0,4}(?:instructions|directions|prompts?|rules|guidelines|guardrails)\b/i,
  },
  {
    id: 'new_instructions',
    description: 'announces new instructions or a new task',
    pattern: /\b(?:new|updated|additional|important|urgent)\s{1,4}(?:instructions?|task|directive|orders?)\s{0,4}[:!-]/i,
  },
  {
    id: 'role_play',
    description: 'tries to change who the model is',
    pattern: /\b(?:you\s{1,4}are\s{1,4}now|from\s{1,4}now\s{1,4}on\s{1,4}you|act\s{1,4}as\s{1,4}(?:an?\s{1,4})?(?:admin|administrator|developer|system|root)|pretend\s{1,4}(?:to\s{1,4}be|you\s{1,4}are))\b/i,
  },
  {
    id: 'fake_role_marker',
    description: 'contains chat-role or system markers',
    pattern: /(?:^|\n)\s{0,8}(?:system|assistant|developer)\s{0,2}:|<\/?\s{0,2}(?:system|assistant|instructions?|information|im_start|im_end)\s{0,2}>|\[\/?(?:INST|SYS)\]/i,
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
