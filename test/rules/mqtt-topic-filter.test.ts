/** Topic filter matching and containment, checked against a brute-force definition. */
import fc from 'fast-check';
import { isValidTopicFilter } from '../../protocols/mqtt/topic';
import { filterContains, filterMatches } from '../../rules/topic-filter';

describe('filterMatches (3.1.1 §4.7.1 examples)', () => {
  it.each([
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['#', '$SYS/broker/uptime', false], // [MQTT-4.7.2-1]
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
  ])('%s matches %s: %s', (f, t, want) => {
    expect(filterMatches(f, t)).toBe(want);
  });
});

describe('filterContains', () => {
  it.each([
    ['plant/line1/temp', 'plant/line1/+', false],
    ['plant/line1/+', 'plant/line1/temp', true],
    ['#', '#', true],
    ['fab/#', '#', false],
    ['fab/+/+/telemetry', '#', false],
    ['+/#', '#', true],
    ['#', '$SYS/#', false],
    ['$SYS/#', '$SYS/broker/load', true],
    ['fab/#', 'fab', true],
    ['fab/+', 'fab/#', false],
    ['fab/+/+/telemetry', 'fab/etch/pc-101/telemetry', true],
    ['fab/+/+/telemetry', 'fab/+/pc-101/telemetry', true],
    ['fab/etch/+/telemetry', 'fab/+/pc-101/telemetry', false],
  ])('%s contains %s: %s', (outer, inner, want) => {
    expect(filterContains(outer, inner)).toBe(want);
  });
});

// Brute force: every topic up to one level deeper than any filter, over levels that include an
// empty level, a '$' level and a literal no filter uses.
const FILTER_LEVELS = ['a', 'b', '', '$s', '+', '#'];
const TOPIC_LEVELS = ['a', 'b', '', '$s', 'z'];
const MAX_FILTER_LEVELS = 3;

const topics: string[] = [];
(function gen(prefix: string[]) {
  if (prefix.length > 0) topics.push(prefix.join('/'));
  if (prefix.length === MAX_FILTER_LEVELS + 1) return;
  for (const l of TOPIC_LEVELS) gen([...prefix, l]);
})([]);

const filterArb = fc
  .array(fc.constantFrom(...FILTER_LEVELS), { minLength: 1, maxLength: MAX_FILTER_LEVELS })
  .map((ls) => ls.join('/'))
  .filter(isValidTopicFilter);

const bruteContains = (outer: string, inner: string): boolean => topics.every((t) => !filterMatches(inner, t) || filterMatches(outer, t));

describe('filterContains agrees with "every topic inner matches, outer matches"', () => {
  it('over generated filters', () => {
    expect(topics.length).toBe(5 + 25 + 125 + 625);
    fc.assert(
      fc.property(filterArb, filterArb, (outer, inner) => {
        expect(filterContains(outer, inner)).toBe(bruteContains(outer, inner));
      }),
      { numRuns: 1500 },
    );
  });

  it('is reflexive and transitive on generated filters', () => {
    fc.assert(
      fc.property(filterArb, filterArb, filterArb, (a, b, c) => {
        expect(filterContains(a, a)).toBe(true);
        if (filterContains(a, b) && filterContains(b, c)) expect(filterContains(a, c)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
