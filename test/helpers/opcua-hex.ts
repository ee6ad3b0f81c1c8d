/**
 * Readable byte fixtures (node-opcua style hex dumps with an ASCII column):
 *
 *   ## c2s HELF
 *   0000: 48 45 4c 46 38 00 00 00 00 00 00 00 00 00 01 00  |HELF8...........|
 *
 * `##` starts a block (its label), `#` lines are comments; an "altered" fixture copies a block
 * and says in a comment which byte it changed and why.
 */
import { readFileSync } from 'node:fs';

export function hexBlock(title: string, bytes: Buffer): string {
  const lines = [`## ${title}`];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(47, ' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(4, '0')}: ${hex}  |${ascii}|`);
  }
  return lines.join('\n');
}

export interface HexBlock {
  readonly title: string;
  readonly bytes: Buffer;
}

export function parseHex(text: string): HexBlock[] {
  const out: { title: string; hex: string[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.startsWith('## ')) {
      out.push({ title: line.slice(3).trim(), hex: [] });
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^[0-9a-f]{4,8}:\s+([0-9a-f ]+?)\s*(\|.*\|)?$/i.exec(line);
    if (!m || out.length === 0) throw new Error(`bad hex fixture line: ${line}`);
    out[out.length - 1]!.hex.push(m[1]!.replace(/\s+/g, ''));
  }
  return out.map((b) => ({ title: b.title, bytes: Buffer.from(b.hex.join(''), 'hex') }));
}

export const loadHex = (file: string): HexBlock[] => parseHex(readFileSync(file, 'utf8'));
