/** Output governance: the four output classes, link exfiltration, reference tokens for data values. */
export { OUTPUT_CLASSES, isOutputClass, stricter } from './classes.ts';
export type { OutputClass, OutputClassRoute } from './classes.ts';
export { carriesData, neutraliseLinks } from './links.ts';
export type { LinkPolicy, LinkReport } from './links.ts';
export { ReferenceTokens } from './references.ts';
export type { ReferenceValue } from './references.ts';
export { mapStrings } from './json.ts';
