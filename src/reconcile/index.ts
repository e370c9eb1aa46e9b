// Public surface of the reconciler: desired state, plan, operations rendering, apply, runner and the loop.
export { desiredState } from './desired.js';
export type { DesiredState, DesiredService, Health, HealthLookup, RealTarget, VirtualTarget, FallbackTarget } from './desired.js';
export { plan } from './plan.js';
export type { PlanOptions, RetiredService } from './plan.js';
export { eventMessage, formatOperation, formatServiceKey } from './messages.js';
export type { PlannedOp, ReconcileEvent } from './operations.js';
export { apply } from './apply.js';
export type { ApplyReport } from './apply.js';
export { Runner } from './runner.js';
export type { RunnerOptions } from './runner.js';
export { Reconciler, fallbackArgs } from './reconciler.js';
export type { ReconcilerDeps } from './reconciler.js';
export { targetsFromConfig, serviceSpecOf, netmaskPrefix } from './targets.js';
export { planSync, planSyncStop, runsAsAsked, syncTargetsFromConfig } from './sync-plan.js';
export type { SyncPlanInput, SyncStep, SyncTarget } from './sync-plan.js';
export { SyncDaemons } from './sync.js';
export { LatencyHistogram, roundMs } from './latency.js';
export type { LatencySummary } from './latency.js';
