/** Diagnostics: per-layer monitors, statistics, the non-finite locator and the health rules. */
export { Monitor, DEFAULT_MONITOR_EVERY, probeActivations, layersOf } from './monitors.js';
export {
  activationStats,
  saturatedFraction,
  deadFraction,
  symmetricUnits,
  percentileSorted,
  SYMMETRY_TOLERANCE,
  StatsScratch,
  type StatsOptions,
} from './stats.js';
export { firstNonFinite, locateBackward, type BackwardOrigin } from './nonfinite.js';
export { HEALTH_RULES, RULE_NAMES, THRESHOLDS, getRule, runHealthChecks, nonFiniteFinding, trackFindings, currentFindings, type HealthRule } from './rules.js';
export { layerLabels, layerNamer, reportLayerNamer, nameList, WEIGHTED_KINDS, type LayerDescription } from './names.js';
