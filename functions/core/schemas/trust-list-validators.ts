/**
 * The trust-list and delta validators, apart from validators.ts: they are the largest of all (about
 * 100 KB of a bundle, since a trust list holds every signed request type), and only opening a trust
 * list or a delta needs them (trust-list.ts), which no handler does at cold start. trust-list.ts
 * loads this module on first use as `#trust-list-validators` (package.json `imports`): source files
 * and the browser pages resolve it here, and a Lambda bundle leaves it external so that it is a side
 * bundle next to `index.js` (lib/constructs/side-bundles.ts), whose bytes a cold start does not parse.
 */
export { trustList, trustListDelta } from './validators.gen';
