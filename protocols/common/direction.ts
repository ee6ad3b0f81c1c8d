/** Byte-stream direction on one TCP connection, seen from the gateway. */
export type Direction = 'c2s' | 's2c';

export const opposite = (d: Direction): Direction => (d === 'c2s' ? 's2c' : 'c2s');
