/**
 * MQTT topic filter matching and containment (3.1.1 §4.7, v5 §4.7).
 *
 * `filterMatches(f, t)`: does filter f match topic name t? '#' matches its parent level and any
 * number of child levels [MQTT-4.7.1-2]; '+' matches exactly one level, possibly empty
 * [MQTT-4.7.1-3]; a filter starting with a wildcard never matches a topic starting with '$'
 * [MQTT-4.7.2-1] — which is how `$SYS/#` stays denied unless a filter names `$SYS` explicitly.
 *
 * `filterContains(outer, inner)`: is every topic `inner` matches also matched by `outer`? A
 * subscription is allowed only when its filter is contained in an allowed filter, so
 * `plant/line1/+` is not allowed by `plant/line1/temp`, and `#` only by `#`.
 * Both assume syntactically valid filters (protocols/mqtt/topic.ts checks that first).
 */

const dollar = (level: string | undefined): boolean => level !== undefined && level.startsWith('$');

export function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (dollar(t[0]) && (f[0] === '#' || f[0] === '+')) return false; // [MQTT-4.7.2-1]
  for (let i = 0; i < f.length; i++) {
    const fl = f[i]!;
    if (fl === '#') return true; // matches the parent level too: "sport/#" matches "sport"
    if (i >= t.length) return false;
    if (fl !== '+' && fl !== t[i]) return false;
  }
  return f.length === t.length;
}

export function filterContains(outer: string, inner: string): boolean {
  const o = outer.split('/');
  const n = inner.split('/');
  // Outer's leading wildcard excludes '$' topics; inner must then match none either.
  if ((o[0] === '#' || o[0] === '+') && dollar(n[0]) && n[0] !== '#' && n[0] !== '+') return false;
  for (let i = 0; ; i++) {
    const ol = o[i];
    const nl = n[i];
    if (ol === '#') return true; // everything from here on, including "no more levels"
    if (ol === undefined) return nl === undefined;
    if (nl === undefined) return false; // inner stops at a level outer still requires
    // Inner reaches arbitrary depths and its parent level; outer does not — except that at the
    // first level there is no parent (a topic has at least one level), so "+/#" covers "#".
    if (nl === '#') return i === 0 && ol === '+' && o[1] === '#' && o.length === 2;
    if (ol === '+') continue; // one level of anything (inner '+' or a literal)
    if (nl === '+' || nl !== ol) return false;
  }
}

/** Does the filter use a wildcard (for reporting: '#' sweeps are point & tag identification)? */
export const hasWildcard = (filter: string): boolean => filter.includes('#') || filter.includes('+');
