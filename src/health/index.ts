// Public surface of health checking: the scheduler, the pure policy and the config-to-spec mapping.
export { HealthScheduler, runJobOnce, nextCheckName } from './scheduler.js';
export type { CheckEvent, HealthSchedulerOptions, HealthSnapshotEntry, HealthTransition, SoftFailureEvent, RunDeps, RunOutcome } from './scheduler.js';
export { nextState, combinedChoice, nextConnects, INITIAL_HEALTH, FORCE_NEGOTIATE } from './policy.js';
export type { HealthState, RealHealth, Verdict, NextState } from './policy.js';
export { buildCheckSpec, planChecks, checkPort, httpUrl, jobKind, realCheckId, checkBudgetMs } from './spec.js';
export type { CheckJob, JobKind, JobMember, SpecOptions } from './spec.js';
export { maintenanceNames, systemReverseLookup } from './maintenance.js';
export type { ReverseLookup } from './maintenance.js';
