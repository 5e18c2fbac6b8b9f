// Kafka protocol tables: API key names, first flexible version per API (header v2 / v1), error code names.

/** Largest size prefix we accept (Kafka's socket.request.max.bytes defaults to 100 MiB; fetch responses are capped lower). */
export const MAX_SIZE = 256 * 1024 * 1024;

/** API key → name (Kafka's protocol guide, keys 0..87). Keys beyond are shown as their number. */
export const API_NAMES: readonly string[] = [
  'Produce', 'Fetch', 'ListOffsets', 'Metadata', 'LeaderAndIsr', 'StopReplica', 'UpdateMetadata',
  'ControlledShutdown', 'OffsetCommit', 'OffsetFetch', 'FindCoordinator', 'JoinGroup', 'Heartbeat',
  'LeaveGroup', 'SyncGroup', 'DescribeGroups', 'ListGroups', 'SaslHandshake', 'ApiVersions', 'CreateTopics',
  'DeleteTopics', 'DeleteRecords', 'InitProducerId', 'OffsetForLeaderEpoch', 'AddPartitionsToTxn',
  'AddOffsetsToTxn', 'EndTxn', 'WriteTxnMarkers', 'TxnOffsetCommit', 'DescribeAcls', 'CreateAcls', 'DeleteAcls',
  'DescribeConfigs', 'AlterConfigs', 'AlterReplicaLogDirs', 'DescribeLogDirs', 'SaslAuthenticate',
  'CreatePartitions', 'CreateDelegationToken', 'RenewDelegationToken', 'ExpireDelegationToken',
  'DescribeDelegationToken', 'DeleteGroups', 'ElectLeaders', 'IncrementalAlterConfigs',
  'AlterPartitionReassignments', 'ListPartitionReassignments', 'OffsetDelete', 'DescribeClientQuotas',
  'AlterClientQuotas', 'DescribeUserScramCredentials', 'AlterUserScramCredentials', 'Vote', 'BeginQuorumEpoch',
  'EndQuorumEpoch', 'DescribeQuorum', 'AlterPartition', 'UpdateFeatures', 'Envelope', 'FetchSnapshot',
  'DescribeCluster', 'DescribeProducers', 'BrokerRegistration', 'BrokerHeartbeat', 'UnregisterBroker',
  'DescribeTransactions', 'ListTransactions', 'AllocateProducerIds', 'ConsumerGroupHeartbeat',
  'ConsumerGroupDescribe', 'ControllerRegistration', 'GetTelemetrySubscriptions', 'PushTelemetry',
  'AssignReplicasToDirs', 'ListClientMetricsResources', 'DescribeTopicPartitions', 'ShareGroupHeartbeat',
  'ShareGroupDescribe', 'ShareFetch', 'ShareAcknowledge', 'AddRaftVoter', 'RemoveRaftVoter', 'UpdateRaftVoter',
  'InitializeShareGroupState', 'ReadShareGroupState', 'WriteShareGroupState', 'DeleteShareGroupState',
  'ReadShareGroupStateSummary',
];

export function apiName(key: number): string {
  return API_NAMES[key] ?? String(key);
}

/**
 * First flexible version of each API (from the "flexibleVersions" of Kafka's message JSON files, up to 3.9).
 * From that version on the request header is v2 and the response header v1 (both end with tagged fields) and
 * bodies use compact strings/arrays. -1 = never flexible (SaslHandshake, OffsetDelete). Named keys past the table
 * (all added after KIP-482) are flexible from v0.
 */
const FIRST_FLEXIBLE: readonly number[] = [
  9, 12, 6, 9, 4, 2, 6, 3, 8, 6, 3, 6, 4, 4, 4, 5, 3, -1, 3, 5, 4, 2, 2, 4, 3, 3, 3, 1, 3, 2, 2, 2, 4, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 1, 0, 0, -1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0,
];

export function isFlexible(key: number, version: number): boolean {
  // Unknown keys (past API_NAMES): assume classic encodings, as tshark does (their header has no tagged fields).
  const first = key < FIRST_FLEXIBLE.length ? FIRST_FLEXIBLE[key] : key < API_NAMES.length ? 0 : -1;
  return first >= 0 && version >= first;
}

/** Request header version: 0 (no client id) only for ControlledShutdown v0; 2 for flexible versions; else 1. */
export function requestHeaderVersion(key: number, version: number): 0 | 1 | 2 {
  if (key === 7 && version === 0) return 0;
  return isFlexible(key, version) ? 2 : 1;
}

/** Response header version: 1 (with tagged fields) for flexible versions, except ApiVersions which is always 0. */
export function responseHeaderVersion(key: number, version: number): 0 | 1 {
  if (key === 18) return 0;
  return isFlexible(key, version) ? 1 : 0;
}

/** Error code → name (Kafka's Errors enum); codes beyond the table are left unnamed. */
const ERROR_NAMES: readonly string[] = [
  'NONE', 'OFFSET_OUT_OF_RANGE', 'CORRUPT_MESSAGE', 'UNKNOWN_TOPIC_OR_PARTITION', 'INVALID_FETCH_SIZE',
  'LEADER_NOT_AVAILABLE', 'NOT_LEADER_OR_FOLLOWER', 'REQUEST_TIMED_OUT', 'BROKER_NOT_AVAILABLE',
  'REPLICA_NOT_AVAILABLE', 'MESSAGE_TOO_LARGE', 'STALE_CONTROLLER_EPOCH', 'OFFSET_METADATA_TOO_LARGE',
  'NETWORK_EXCEPTION', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR',
  'INVALID_TOPIC_EXCEPTION', 'RECORD_LIST_TOO_LARGE', 'NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'INVALID_REQUIRED_ACKS', 'ILLEGAL_GENERATION', 'INCONSISTENT_GROUP_PROTOCOL', 'INVALID_GROUP_ID',
  'UNKNOWN_MEMBER_ID', 'INVALID_SESSION_TIMEOUT', 'REBALANCE_IN_PROGRESS', 'INVALID_COMMIT_OFFSET_SIZE',
  'TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'INVALID_TIMESTAMP',
  'UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_VERSION', 'TOPIC_ALREADY_EXISTS',
  'INVALID_PARTITIONS', 'INVALID_REPLICATION_FACTOR', 'INVALID_REPLICA_ASSIGNMENT', 'INVALID_CONFIG',
  'NOT_CONTROLLER', 'INVALID_REQUEST', 'UNSUPPORTED_FOR_MESSAGE_FORMAT', 'POLICY_VIOLATION',
  'OUT_OF_ORDER_SEQUENCE_NUMBER', 'DUPLICATE_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH', 'INVALID_TXN_STATE',
  'INVALID_PRODUCER_ID_MAPPING', 'INVALID_TRANSACTION_TIMEOUT', 'CONCURRENT_TRANSACTIONS',
  'TRANSACTION_COORDINATOR_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'SECURITY_DISABLED',
  'OPERATION_NOT_ATTEMPTED', 'KAFKA_STORAGE_ERROR', 'LOG_DIR_NOT_FOUND', 'SASL_AUTHENTICATION_FAILED',
  'UNKNOWN_PRODUCER_ID', 'REASSIGNMENT_IN_PROGRESS', 'DELEGATION_TOKEN_AUTH_DISABLED', 'DELEGATION_TOKEN_NOT_FOUND',
  'DELEGATION_TOKEN_OWNER_MISMATCH', 'DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', 'DELEGATION_TOKEN_AUTHORIZATION_FAILED',
  'DELEGATION_TOKEN_EXPIRED', 'INVALID_PRINCIPAL_TYPE', 'NON_EMPTY_GROUP', 'GROUP_ID_NOT_FOUND',
  'FETCH_SESSION_ID_NOT_FOUND', 'INVALID_FETCH_SESSION_EPOCH', 'LISTENER_NOT_FOUND', 'TOPIC_DELETION_DISABLED',
  'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH', 'UNSUPPORTED_COMPRESSION_TYPE', 'STALE_BROKER_EPOCH',
  'OFFSET_NOT_AVAILABLE', 'MEMBER_ID_REQUIRED', 'PREFERRED_LEADER_NOT_AVAILABLE', 'GROUP_MAX_SIZE_REACHED',
  'FENCED_INSTANCE_ID',
];

export function errorName(code: number): string | undefined {
  if (code === -1) return 'UNKNOWN_SERVER_ERROR';
  return code > 0 ? ERROR_NAMES[code] : undefined;
}
