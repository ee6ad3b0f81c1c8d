/**
 * SUBSCRIBEs the gateway forwarded with some filters taken out: when the broker's SUBACK comes
 * back, its codes fill the forwarded positions and the refusal codes stay where the denied
 * filters were, so the client sees one code per filter in its original order
 * ([MQTT-3.9.3-1]: the SUBACK's order matches the SUBSCRIBE's).
 */
export class PendingSubscribes {
  /** packet id → one slot per original filter: a refusal code, or null (the broker answers). */
  private readonly byId = new Map<number, (number | null)[]>();

  constructor(private readonly max: number) {}

  /** False when full (the caller then refuses the whole SUBSCRIBE rather than grow). */
  add(id: number, slots: (number | null)[]): boolean {
    if (this.byId.size >= this.max && !this.byId.has(id)) return false;
    this.byId.set(id, slots);
    return true;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  /** The client's SUBACK codes for the broker's `granted` (missing broker codes become `fill`). */
  merge(id: number, granted: readonly number[], fill: number): number[] | null {
    const slots = this.byId.get(id);
    if (slots === undefined) return null;
    this.byId.delete(id);
    let k = 0;
    return slots.map((s) => (s !== null ? s : granted[k++] ?? fill));
  }

  clear(): void {
    this.byId.clear();
  }
}
