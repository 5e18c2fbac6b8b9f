// @rewind/lab: the lab cluster that records the sample incidents (see sample-captures/lab/README.md).
export * from './topology.js';
export { buildNetwork, teardownNetwork, labNamespaces, kubeProxyRules, addPod, removePod } from './network.js';
export { labUp, labDown, readState, missingRequirements, hasNetem, STATE_DIR, LATENCY_MS } from './lab.js';
export type { LabState } from './lab.js';
export { cmdLab } from './cli.js';
export type { LabIo } from './cli.js';
export { ApiStore, apiServer, metadataServer } from './control-plane.js';
export { clusterObjects } from './k8s-objects.js';
export type { K8sObject } from './k8s-objects.js';
