/**
 * Policy YAML → plain data, and where each node sits in the text — from one parse.
 *
 * js-yaml 5 parses to a flat event stream in which every node carries its source offset
 * (`parseEvents`), and builds the data from those same events (`constructFromEvents`): the
 * diagnostics locate the node the data came from, with no second parser whose reading could
 * differ. It is ~10× faster than `yaml`'s Document API on a policy (reload budget, BENCHMARKS.md
 * section 8); `yaml` stays where a document is edited with its comments (demo, testbed).
 *
 * Reading: YAML 1.2 core schema (`yes` is text, `0x1F` is 31), no merge keys (`<<` stays a key,
 * so the schema refuses it), a duplicate key is an error, one document per file, and aliases
 * bounded by what they expand to (a "billion laughs" file is refused, not walked).
 */
import { CORE_SCHEMA, constructFromEvents, EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type Event } from 'js-yaml';
import type { PathSegment } from './diagnostics';

/** Nodes the data may expand to through aliases (a 10,000-rule policy is ~300,000 nodes). */
export const MAX_EXPANDED_NODES = 2_000_000;
/** Collection nesting (a policy nests 7 deep). */
const MAX_DEPTH = 64;

export interface YamlProblem {
  readonly offset: number;
  readonly message: string;
}

export type YamlRead =
  | { readonly ok: true; readonly data: unknown; readonly warnings: readonly YamlProblem[]; readonly source: YamlSource }
  | { readonly ok: false; readonly error: YamlProblem; readonly source: YamlSource };

export function readYaml(text: string): YamlRead {
  let events: Event[];
  let docs: unknown[];
  try {
    events = parseEvents(text, { maxDepth: MAX_DEPTH });
    const bad = checkEvents(text, events);
    if (bad) return { ok: false, error: bad, source: new YamlSource(text, null) };
    docs = constructFromEvents(events, { source: text, schema: CORE_SCHEMA, maxAliases: -1 });
  } catch (err) {
    return { ok: false, error: problemOf(text, err), source: new YamlSource(text, null) };
  }
  return { ok: true, data: docs[0] ?? null, warnings: directiveWarnings(text, events), source: new YamlSource(text, events) };
}

function problemOf(text: string, err: unknown): YamlProblem {
  const e = err as { reason?: unknown; mark?: { position?: unknown }; message?: unknown };
  const offset = typeof e.mark?.position === 'number' ? e.mark.position : 0;
  const message = typeof e.reason === 'string' ? e.reason : String(e.message ?? err);
  // `protocol: modbus: tcp` — the usual way to get here; js-yaml's words do not say so.
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const twoColons = /:\s.*:(\s|$)/.test(text.slice(lineStart, offset + 1));
  return { offset, message: twoColons && message.startsWith('bad indentation of a mapping entry') ? `${message}: a second ': ' on one line starts a nested map; quote the value if it holds ': '` : message };
}

/** One document; aliases expand to at most MAX_EXPANDED_NODES nodes. O(events). */
function checkEvents(text: string, events: readonly Event[]): YamlProblem | null {
  let documents = 0;
  const sizes = new Map<string, number>(); // anchor → nodes it expands to
  const open: { size: number; anchor: string | null }[] = [{ size: 0, anchor: null }];
  for (let i = 0; i < events.length; i++) {
    const ev = events[i]!;
    switch (ev.type) {
      case EVENT_ID.DOCUMENT:
        if (++documents === 2) {
          const next = events[i + 1];
          return { offset: next ? startOf(next) : text.length, message: 'a policy file holds one YAML document; a second one starts here' };
        }
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE:
        open.push({ size: 1, anchor: ev.anchorStart >= 0 ? text.slice(ev.anchorStart, ev.anchorEnd) : null });
        break;
      case EVENT_ID.SCALAR:
        if (ev.anchorStart >= 0) sizes.set(text.slice(ev.anchorStart, ev.anchorEnd), 1);
        open[open.length - 1]!.size += 1;
        break;
      case EVENT_ID.ALIAS: {
        // An unknown alias is js-yaml's own error (construct); count it as one node here.
        const top = open[open.length - 1]!;
        top.size += sizes.get(text.slice(ev.anchorStart, ev.anchorEnd)) ?? 1;
        if (open.reduce((sum, o) => sum + o.size, 0) > MAX_EXPANDED_NODES) {
          return { offset: startOf(ev), message: `aliases expand the document past ${MAX_EXPANDED_NODES.toLocaleString('en')} nodes` };
        }
        break;
      }
      case EVENT_ID.POP:
        if (open.length > 1) {
          const done = open.pop()!;
          if (done.anchor !== null) sizes.set(done.anchor, done.size);
          open[open.length - 1]!.size += done.size;
        }
        break;
    }
  }
  return null;
}

/** `%YAML 1.1` would change what `yes`/`on`/`010` mean in other tools: say that it is ignored. */
function directiveWarnings(text: string, events: readonly Event[]): YamlProblem[] {
  const doc = events.find((e) => e.type === EVENT_ID.DOCUMENT);
  if (doc?.type !== EVENT_ID.DOCUMENT) return [];
  const v = doc.directives.find((d) => d.kind === 'yaml');
  if (v?.kind !== 'yaml' || v.version === '1.2') return [];
  return [{ offset: Math.max(0, text.indexOf('%YAML')), message: `%YAML ${v.version} is ignored: policy files are read as YAML 1.2 (core schema), so yes/no/on/off are text` }];
}

/** Where a node's text starts: at the quote, the alias's '*', the block indicator. */
function startOf(ev: Event): number {
  switch (ev.type) {
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return ev.start;
    case EVENT_ID.SCALAR:
      return ev.style === SCALAR_STYLE.SINGLE_QUOTED || ev.style === SCALAR_STYLE.DOUBLE_QUOTED ? ev.valueStart - 1 : ev.valueStart;
    case EVENT_ID.ALIAS:
      return ev.anchorStart - 1;
    default:
      return -1;
  }
}

type PosNode =
  | { readonly kind: 'scalar'; readonly start: number }
  | { readonly kind: 'map'; readonly start: number; readonly pairs: { key: string | null; keyStart: number; value: PosNode | null }[] }
  | { readonly kind: 'seq'; readonly start: number; readonly items: PosNode[] };

/** The text, its line starts, and (built on the first diagnostic only) a tree of node offsets. */
export class YamlSource {
  private lineStarts: number[] | null = null;
  private root: PosNode | null | undefined;

  /** `events`: null when the text did not parse (positions then fall back to the start). */
  constructor(
    readonly text: string,
    private readonly events: readonly Event[] | null,
  ) {}

  /** 1-based line and column of a character offset (CRLF counts as one line break). */
  linePos(offset: number): { line: number; col: number } {
    if (this.lineStarts === null) {
      const starts = [0];
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.lineStarts = starts;
    }
    const s = this.lineStarts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - s[lo]! + 1 };
  }

  /**
   * Offset of the node at `segments` (or of the nearest ancestor that exists); `key` gives the
   * map key of the last segment instead of its value.
   */
  locate(segments: readonly PathSegment[], key: boolean): number {
    if (this.root === undefined) this.root = this.events ? buildTree(this.text, this.events) : null;
    let node = this.root;
    let offset = node?.start ?? 0;
    for (let i = 0; i < segments.length && node; i++) {
      const seg = segments[i]!;
      if (node.kind === 'map') {
        const pair = node.pairs.find((p) => p.key === String(seg));
        if (pair === undefined) break;
        if ((key && i === segments.length - 1) || pair.value === null) return pair.keyStart;
        node = pair.value;
      } else if (node.kind === 'seq' && typeof seg === 'number') {
        node = node.items[seg] ?? null;
        if (node === null) break;
      } else {
        break;
      }
      offset = node.start;
    }
    return offset;
  }
}

/** Offsets tree of the first document; aliases point at their anchor's node. */
function buildTree(text: string, events: readonly Event[]): PosNode | null {
  const anchors = new Map<string, PosNode>();
  type Open = { node: Extract<PosNode, { kind: 'map' | 'seq' }>; pendingKey: { key: string | null; keyStart: number } | null };
  const stack: Open[] = [];
  let root: PosNode | null = null;
  const place = (n: PosNode, keyText: string | null) => {
    const top = stack[stack.length - 1];
    if (!top) {
      root ??= n;
      return;
    }
    if (top.node.kind === 'seq') top.node.items.push(n);
    else if (top.pendingKey === null) top.pendingKey = { key: keyText, keyStart: n.start };
    else {
      top.node.pairs.push({ ...top.pendingKey, value: n });
      top.pendingKey = null;
    }
  };
  for (const ev of events) {
    if (ev.type === EVENT_ID.DOCUMENT && root !== null) break;
    if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) {
      const node: Open['node'] = ev.type === EVENT_ID.MAPPING ? { kind: 'map', start: ev.start, pairs: [] } : { kind: 'seq', start: ev.start, items: [] };
      if (ev.anchorStart >= 0) anchors.set(text.slice(ev.anchorStart, ev.anchorEnd), node);
      place(node, null);
      stack.push({ node, pendingKey: null });
    } else if (ev.type === EVENT_ID.SCALAR) {
      const node: PosNode = { kind: 'scalar', start: startOf(ev) };
      if (ev.anchorStart >= 0) anchors.set(text.slice(ev.anchorStart, ev.anchorEnd), node);
      place(node, keyTextOf(text, ev));
    } else if (ev.type === EVENT_ID.ALIAS) {
      const target = anchors.get(text.slice(ev.anchorStart, ev.anchorEnd)) ?? { kind: 'scalar', start: startOf(ev) };
      place({ ...target, start: startOf(ev) } as PosNode, null);
    } else if (ev.type === EVENT_ID.POP) {
      stack.pop();
    }
  }
  return root;
}

/** A scalar as the data's object key reads it: plain scalars resolve (`0x1F` → "31"), others are text. */
function keyTextOf(text: string, ev: Extract<Event, { type: typeof EVENT_ID.SCALAR }>): string {
  const raw = getScalarValue(text, ev);
  if (ev.style !== SCALAR_STYLE.PLAIN || ev.tagStart >= 0) return raw;
  return String(CORE_SCHEMA.resolveImplicitScalarTag(raw).value);
}
