/**
 * NodeId text in the standard string form (OPC 10000-6 §5.3.1.10): "i=84" in namespace 0,
 * "ns=2;s=Chiller.Setpoint" elsewhere. Parsing is node-opcua's (resolveNodeId).
 */
import type { NodeId } from 'node-opcua-nodeid';

// Loaded on first use: node-opcua-nodeid pulls in node-opcua-constants (~300 KB of enum tables)
// whose load alone grows V8's young generation to its 16 MB maximum and costs ~20 MB RSS — a
// daemon whose policy names no OPC UA node never needs it (BENCHMARKS.md, "Idle RSS").
let nodeid: typeof import('node-opcua-nodeid') | null = null;
const lib = (): typeof import('node-opcua-nodeid') => (nodeid ??= require('node-opcua-nodeid') as typeof import('node-opcua-nodeid'));

/** Standard text of a decoded NodeId: node-opcua writes "ns=0;" for namespace 0; the spec omits it. */
export function nodeIdText(id: NodeId | null | undefined): string {
  if (!id) return 'i=0';
  const t = id.toString();
  return t.startsWith('ns=0;') ? t.slice(5) : t;
}

/** Canonical text of a NodeId written by a person ("ns=0;i=84" → "i=84"), or null when it does not parse. */
export function canonicalNodeId(text: string): string | null {
  try {
    const id = lib().resolveNodeId(text.trim());
    return nodeIdText(id);
  } catch {
    return null;
  }
}
