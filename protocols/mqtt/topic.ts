/** Topic name and filter syntax: 3.1.1 §4.7 / v5 §4.7, shared subscriptions v5 §4.8.2. */

/** [MQTT-4.7.3-1] at least one character; [MQTT-3.3.2-2] no wildcards; [MQTT-4.7.3-2] no U+0000. */
export function isValidTopicName(t: string): boolean {
  if (t.length === 0) return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x23 /* # */ || c === 0x2b /* + */ || c === 0) return false;
  }
  return true;
}

/** [MQTT-4.7.1-2] '#' alone and last; [MQTT-4.7.1-3] '+' occupies a whole level; [MQTT-4.7.3-1/2]. */
export function isValidTopicFilter(f: string): boolean {
  if (f.length === 0 || f.includes('\u0000')) return false;
  const levels = f.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l === '#') {
      if (i !== levels.length - 1) return false;
    } else if (l === '+') {
      continue;
    } else if (l.includes('#') || l.includes('+')) {
      return false;
    }
  }
  return true;
}

/**
 * v5 §4.8.2: "$share/{ShareName}/{filter}". Returns the filter the subscription really matches
 * (policy is checked on it), or the input unchanged when it is not a shared subscription.
 * null when it claims to be shared but is malformed ([MQTT-4.8.2-1], [MQTT-4.8.2-2]).
 */
export function effectiveFilter(f: string): string | null {
  if (!f.startsWith('$share/')) return f;
  const rest = f.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const share = rest.slice(0, slash);
  if (share.includes('+') || share.includes('#')) return null;
  const inner = rest.slice(slash + 1);
  return inner.length > 0 ? inner : null;
}
