// Planned operations: an IpvsOp plus the event that says why it is done (messages.ts renders both).
import type { IpvsOp } from '../model/ipvs.js';

/** Why an operation is done; decides the upstream log line it produces (spec §5.2). */
export type ReconcileEvent =
  | { readonly kind: 'addVirtual' | 'changeVirtual' | 'purgeVirtual' | 'purgeVirtualStop'; readonly v: string }
  | { readonly kind: 'addReal' | 'restoreReal'; readonly rs: string; readonly v: string; readonly weight: number }
  | { readonly kind: 'quiesceReal' | 'readdQuiescent'; readonly rs: string; readonly mappedFrom?: string; readonly v: string }
  | { readonly kind: 'deleteReal'; readonly rs: string; readonly mappedFrom?: string; readonly v: string }
  | { readonly kind: 'addFallback' | 'restoreFallback'; readonly rs: string; readonly v: string }
  | { readonly kind: 'deleteFallback'; readonly rs: string; readonly mappedFrom?: string; readonly v: string }
  | { readonly kind: 'purgeReal' | 'purgeRealStop'; readonly rs: string; readonly v: string };

/** One step of a plan: what to do to IPVS and why. */
export interface PlannedOp {
  readonly op: IpvsOp;
  readonly event: ReconcileEvent;
}
