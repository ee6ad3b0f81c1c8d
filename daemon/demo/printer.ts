/** Live, readable output for `otgate demo`: one line per client action and per gateway decision. */
import type { DecisionEvent } from '../pipeline/contract';

const tty = process.stdout.isTTY === true;
const paint = (code: number) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const dim = paint(2);
export const bold = paint(1);

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function heading(title: string): void {
  say('');
  say(bold(`── ${title} ${'─'.repeat(Math.max(0, 72 - title.length))}`));
}

export function clientLine(who: string, what: string, outcome: string, ok: boolean): void {
  say(`  ${who.padEnd(8)} ${what.padEnd(52)} ${ok ? green(outcome) : red(outcome)}`);
}

export function decisionLine(e: DecisionEvent): void {
  const verdict = e.action === 'forwarded' ? green('ALLOW') : e.action === 'alerted' ? yellow('ALERT') : red(e.action.toUpperCase());
  const who = `${e.clientAsset ?? e.src}`;
  const why = e.reason ?? e.anomaly;
  const tail = [e.rule ? `rule ${e.rule}` : null, why, e.technique].filter(Boolean).join(' · ');
  say(dim(`      gateway ${verdict}${dim('')} ${who} ${e.summary}${tail ? `  (${tail})` : ''}`));
}
