/** The pure discovery-sweep detector: thresholds, one anomaly per kind and window, bounded state. */
import { DEFAULT_SWEEP_LIMITS, SweepDetector } from '../../../protocols/opcua';

const limits = { windowMs: 10_000, maxDiscovery: 3, maxDenied: 4, maxDeniedNodes: 6 };

describe('SweepDetector', () => {
  it('counts every discovery request and fires once when the limit is passed', () => {
    const d = new SweepDetector(limits);
    const got = [0, 1, 2, 3, 4, 5].map((i) => d.note('discovery', false, [], 1000 + i));
    expect(got.slice(0, 3)).toEqual([null, null, null]);
    expect(got[3]).toMatchObject({ code: 'opcua.discovery_sweep', family: 'state', technique: 'T0846' });
    expect(got[3]!.detail).toBe('4 GetEndpoints/FindServers requests within 10 s (limit 3)');
    expect(got.slice(4)).toEqual([null, null]);
  });

  it('counts only denied browse requests; fires on request count or on distinct NodeIds', () => {
    const byCount = new SweepDetector(limits);
    for (let i = 0; i < 10; i++) expect(byCount.note('browse', false, [`ns=3;s=N${i}`], i)).toBeNull();
    const denied = [0, 1, 2, 3, 4].map((i) => byCount.note('browse', true, ['ns=3;s=Same'], 100 + i));
    expect(denied.slice(0, 4)).toEqual([null, null, null, null]);
    expect(denied[4]).toMatchObject({ code: 'opcua.browse_sweep', technique: 'T0861' });

    const byNodes = new SweepDetector(limits);
    expect(byNodes.note('browse', true, ['a', 'b', 'c'], 0)).toBeNull();
    expect(byNodes.note('browse', true, ['a', 'b', 'c'], 1)).toBeNull(); // same nodes: 3 distinct
    const hit = byNodes.note('browse', true, ['d', 'e', 'f', 'g', 'h'], 2);
    expect(hit).toMatchObject({ code: 'opcua.browse_sweep' });
    expect(hit!.detail).toContain('over 6 distinct NodeIds');
  });

  it('opens a new window after windowMs, and kinds count apart', () => {
    const d = new SweepDetector(limits);
    const burst = (kind: 'server_info' | 'browse', at: number) => [0, 1, 2, 3, 4].map((i) => d.note(kind, true, ['i=2258'], at + i)).filter((a) => a !== null);
    expect(burst('server_info', 0)).toEqual([expect.objectContaining({ code: 'opcua.server_info_sweep', technique: 'T0888' })]);
    expect(burst('server_info', 5000)).toEqual([]); // same window: already reported
    expect(burst('browse', 5000)).toHaveLength(1); // another kind
    expect(burst('server_info', 10_000)).toHaveLength(1); // next window
    // A clock that steps back (replay of an older capture) starts a fresh window, never throws.
    expect(burst('server_info', 0)).toHaveLength(1);
  });

  it('a limit of 0 turns that check off', () => {
    const d = new SweepDetector({ windowMs: 1000, maxDiscovery: 0, maxDenied: 0, maxDeniedNodes: 0 });
    for (let i = 0; i < 200; i++) {
      expect(d.note('discovery', false, [], i)).toBeNull();
      expect(d.note('browse', true, [`n${i}`], i)).toBeNull();
    }
  });

  it('has sane defaults', () => {
    expect(DEFAULT_SWEEP_LIMITS).toEqual({ windowMs: 60_000, maxDiscovery: 5, maxDenied: 10, maxDeniedNodes: 32 });
  });
});
