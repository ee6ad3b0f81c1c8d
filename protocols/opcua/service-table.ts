/**
 * The services otgate knows (OPC 10000-4 §5) and which policy NodeId list their nodes fall under.
 * Kept free of node-opcua so the policy schema can name services without loading the codecs.
 */
import type { NodeAction } from './types';

/** Every service request otgate decodes (OPC 10000-4 §5), with the policy action its nodes fall under. */
export const SERVICES = {
  // Discovery service set (§5.4)
  FindServers: null,
  FindServersOnNetwork: null,
  GetEndpoints: null,
  RegisterServer: null,
  RegisterServer2: null,
  // SecureChannel service set (§5.5): channel-level, always decoded, policed by channel policy
  OpenSecureChannel: null,
  CloseSecureChannel: null,
  // Session service set (§5.6)
  CreateSession: null,
  ActivateSession: null,
  CloseSession: null,
  Cancel: null,
  // NodeManagement service set (§5.7)
  AddNodes: null,
  AddReferences: null,
  DeleteNodes: null,
  DeleteReferences: null,
  // View service set (§5.8)
  Browse: 'browse',
  BrowseNext: null,
  TranslateBrowsePathsToNodeIds: 'browse',
  RegisterNodes: 'browse',
  UnregisterNodes: null,
  // Query service set (§5.9)
  QueryFirst: null,
  QueryNext: null,
  // Attribute service set (§5.10)
  Read: 'read',
  HistoryRead: 'history',
  Write: 'write',
  HistoryUpdate: 'history',
  // Method service set (§5.11)
  Call: 'call',
  // MonitoredItem service set (§5.12)
  CreateMonitoredItems: 'monitor',
  ModifyMonitoredItems: null,
  SetMonitoringMode: null,
  SetTriggering: null,
  DeleteMonitoredItems: null,
  // Subscription service set (§5.13)
  CreateSubscription: null,
  ModifySubscription: null,
  SetPublishingMode: null,
  Publish: null,
  Republish: null,
  TransferSubscriptions: null,
  DeleteSubscriptions: null,
} as const satisfies Record<string, NodeAction | null>;

export type ServiceName = keyof typeof SERVICES;
export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

export const isServiceName = (s: string): s is ServiceName => Object.prototype.hasOwnProperty.call(SERVICES, s);

