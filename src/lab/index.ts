// Labs: a topology in one file, planned, applied, destroyed and shown.

export { labFile, labJsonSchema, type LabFileInput } from './schema.js';
export { parseLab, loadLab, linkKey, jsonPath, type Lab, type LabNode, type LabEnd, type LabLink, type LabLinkKind, type NodePlace } from './model.js';
export { applyLab, destroyLab, planLab, type ApplyOptions, type ApplyResult, type LinkOutcome, type LinkOutcomeEnd, type LinkAction } from './apply.js';
export { watchLab, type WatchOptions } from './watch.js';
