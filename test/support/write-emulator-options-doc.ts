/**
 * Rewrites the generated option tables of docs/emulator.md from src/emulator/option-table.ts:
 * `npx tsx test/support/write-emulator-options-doc.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DOC_BEGIN, DOC_END, emulatorOptionsMarkdown } from '../../src/emulator/options-doc.js';

const path = resolve(import.meta.dirname, '../../docs/emulator.md');
const doc = readFileSync(path, 'utf8');
const begin = doc.indexOf(DOC_BEGIN);
const end = doc.indexOf(DOC_END);
if (begin < 0 || end < begin) throw new Error(`${path}: no ${DOC_BEGIN} … ${DOC_END} section`);
writeFileSync(path, doc.slice(0, begin) + emulatorOptionsMarkdown() + doc.slice(end + DOC_END.length));
console.log(`${path}: option tables rewritten`);
