/*
 * The governance chain's records, transactions and queries: the contract between the `gov`
 * state machine (this folder), the node that obeys it (src/network/governor.ts), the gateway's
 * /gov routes and the `bsn gov` commands. docs/governance.md describes it for users.
 */

/** Every network's governance chain has this chain id. */
export const GOV_CHAIN_ID = 'gov';

export type OrgRole = 'developer' | 'member' | 'regulator';
export const ORG_ROLES: readonly OrgRole[] = ['developer', 'member', 'regulator'];

export type RecordStatus = 'active' | 'suspended' | 'removed';

/** The network authority: the org that speaks for the network as a whole. */
export interface AuthorityRecord {
  readonly name: string;
  readonly certPem: string;
  /** SHA-256 of the certificate's DER, upper-case colon hex (ParsedCertificate.fingerprint). */
  readonly fingerprint: string;
}

export interface OperatorRecord {
  /** Short name used in commands and rules (`op1`). */
  readonly name: string;
  /** The operator CA certificate, signed by the root. */
  readonly caCertPem: string;
  readonly caFingerprint: string;
  /** The CA certificate's subject, as ParsedCertificate.subjectText (what a peer's `operator` is). */
  readonly subject: string;
  /** Fingerprints of the org certificates (issued by this CA) that act for the operator. */
  readonly admins: readonly string[];
  readonly status: RecordStatus;
  readonly since: number;
}

export interface NodeRecord {
  /** The certificate's CN (`node5`). */
  readonly name: string;
  readonly operator: string;
  readonly certPem: string;
  readonly fingerprint: string;
  /** The node key's raw public key, lowercase hex (the suite's PublicKey.bytes): its validator key. */
  readonly publicKey: string;
  readonly region: string;
  readonly city?: string;
  /** host:port where peers reach it. */
  readonly p2p?: string;
  /** Base URL of its gateway. */
  readonly gateway?: string;
  readonly power: number;
  readonly status: RecordStatus;
  /** Governance height from which the record is as it is. */
  readonly since: number;
}

export interface OrgRecord {
  readonly name: string;
  /** The operator whose CA issued the org certificate. */
  readonly operator: string;
  readonly certPem: string;
  readonly fingerprint: string;
  readonly roles: readonly OrgRole[];
  /** GB 32100-2015 unified social credit code (18 characters, check character verified). */
  readonly trustCode: string;
  readonly contact?: string;
  readonly status: RecordStatus;
  readonly since: number;
}

export type RevocationReasonName =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'privilegeWithdrawn';

export interface RevocationRecord {
  /** Subject of the issuing CA (ParsedCertificate.issuerText of the revoked certificate). */
  readonly issuer: string;
  readonly issuerFingerprint: string;
  /** Lower-case hex serial (ParsedCertificate.serial). */
  readonly serial: string;
  /** Fingerprint of the revoked certificate. */
  readonly fingerprint: string;
  /** The revoked certificate's subject, for people. */
  readonly subject: string;
  readonly reason: RevocationReasonName;
  /** Block time of the deciding block, ms since the epoch. */
  readonly time: number;
  readonly height: number;
  readonly proposal: string;
}

/** What an app on a plan may use, and what it costs per city node it is placed on. */
export interface PlanRecord {
  readonly name: string;
  readonly requestsPerSecond: number;
  readonly txPerDay: number;
  readonly storageMiB: number;
  /** Price per city node per month, in minor units of `currency` (cents, fen). */
  readonly pricePerNodeMonth: number;
  readonly currency: string;
}

/** The industries an app declares (for supervision); `other` for anything else. */
export const APP_INDUSTRIES = ['finance', 'food-safety', 'vaccines', 'healthcare', 'logistics', 'energy', 'government', 'education', 'other'] as const;
export type AppIndustry = (typeof APP_INDUSTRIES)[number];

export type AppFramework = 'evm' | 'kv';
/** `hosted`: the gateway keeps the users' keys; `upload`: users bring their own. Fixed for the app's life. */
export type AppKeyMode = 'hosted' | 'upload';
/** `proposed` is only what the `app` query shows for an open create-app proposal; records start `active`. */
export type AppStatus = 'proposed' | 'active' | 'frozen' | 'retired';
export type MemberStatus = 'invited' | 'accepted' | 'active' | 'removed';

/** One (contract, function) pair an EVM role may call; `'*'` matches any. */
export interface AppCallGrant {
  /** Lower-case 0x address, or '*'. */
  readonly contract: string;
  /** Lower-case 0x + 8 hex digits (the 4-byte selector), or '*'. */
  readonly selector: string;
}

/** What the users of a role may do: `evm` for evm apps, `kv` for kv apps. */
export interface AppRole {
  readonly name: string;
  readonly evm?: { readonly deploy: boolean; readonly calls: readonly AppCallGrant[] };
  /** Shared key prefixes the role may write besides its writer's own namespace. */
  readonly kv?: { readonly prefixes: readonly string[] };
}

export interface AppMember {
  readonly org: string;
  /** Set when the org joins (join-app). */
  readonly role?: string;
  /** The city node (in the placement) whose gateway the org uses; set when it joins. */
  readonly node?: string;
  readonly status: MemberStatus;
  readonly since: number;
}

export interface AppUser {
  /** Unique within the app. */
  readonly name: string;
  /** The org whose user it is: the owner or an active member. */
  readonly org: string;
  readonly role: string;
  /** The user certificate's fingerprint (kv apps, hosted mode, or given with an address). */
  readonly fingerprint?: string;
  /** Lower-case 0x Ethereum address (evm apps in upload mode). */
  readonly address?: string;
}

/** A validator of an app chain: a node's raw public key in lowercase hex. */
export interface AppValidatorRecord {
  readonly name: string;
  readonly publicKey: string;
  readonly power: number;
}

/** An app on the service network (docs/governance.md, "Apps"). */
export interface AppRecord {
  /** The app chain's id: src/node/genesis.ts chain id rules, not `gov`, unique for ever. */
  readonly id: string;
  readonly name: string;
  /** The owning org (a developer). */
  readonly owner: string;
  readonly framework: AppFramework;
  /** The app chain's suite: the network's. */
  readonly suite: string;
  readonly keyMode: AppKeyMode;
  readonly roles: readonly AppRole[];
  /** Node names, sorted; the validators are these ∩ the network's active nodes. */
  readonly placement: readonly string[];
  /** A placement change may not leave fewer active placed nodes than this. */
  readonly minValidators: number;
  /** Byzantine faults the current placement tolerates: ⌊(placement − 1) / 3⌋. */
  readonly f: number;
  readonly industry: AppIndustry;
  readonly plan: string;
  /** The plan's price when the app was created: perNodeMonth × nodes = perMonth, minor units. */
  readonly price: { readonly perNodeMonth: number; readonly nodes: number; readonly perMonth: number; readonly currency: string };
  readonly status: AppStatus;
  /** The EIP-155 chain id of an evm app, unique across the network. */
  readonly evmChainId?: number;
  /** Block time (ms) of the deciding gov block: the app chain's genesis time. */
  readonly genesisTime: number;
  /** The gov height of the deciding block. */
  readonly activatedHeight: number;
  /** The app chain's genesis validators (the placement's active nodes at activation). */
  readonly genesisValidators: readonly AppValidatorRecord[];
  readonly members: readonly AppMember[];
  readonly users: readonly AppUser[];
  /** The create-app proposal. */
  readonly proposal: string;
  /** Gov height of the last change to the record. */
  readonly since: number;
}

/** Who votes in one clause of a rule. */
export type VoterSpec =
  | 'authority'
  | 'operators'
  /** The operators the action concerns: a node's operator, the issuer of an org or revoked certificate. */
  | 'concerned-operators'
  | 'app-owner'
  | { readonly identities: readonly string[] };

/** How many yes votes (or how much yes weight) a clause needs. */
export type Threshold = 'ANY' | 'MAJORITY' | 'ALL' | { readonly atLeast: number } | { readonly fraction: readonly [number, number] };

export interface RuleClause {
  readonly voters: VoterSpec;
  readonly threshold: Threshold;
  /** Weight per voter name; 1 for any voter not named. */
  readonly weights?: Readonly<Record<string, number>>;
}

/** A proposal of `action` passes when every clause is met. */
export interface RuleRecord {
  readonly action: GovAction;
  readonly clauses: readonly RuleClause[];
}

export const GOV_ACTIONS = [
  'admit-operator',
  'suspend-operator',
  'remove-operator',
  'add-node',
  'suspend-node',
  'remove-node',
  'register-org',
  'suspend-org',
  'revoke',
  'set-plan',
  'set-rule',
  'create-app',
  'invite-member',
  'join-app',
  'remove-member',
  'add-app-user',
  'remove-app-user',
  'place-app',
  'freeze-app',
  'unfreeze-app',
  'retire-app',
] as const;
export type GovAction = (typeof GOV_ACTIONS)[number];

/** The actions that concern one app (their `app-owner` is its owner; create-app's the proposer). */
export const APP_ACTIONS: readonly GovAction[] = [
  'create-app',
  'invite-member',
  'join-app',
  'remove-member',
  'add-app-user',
  'remove-app-user',
  'place-app',
  'freeze-app',
  'unfreeze-app',
  'retire-app',
];

export type ProposalStatus = 'open' | 'executed' | 'rejected' | 'expired' | 'failed';

export interface VoteRecord {
  readonly voter: string;
  readonly fingerprint: string;
  readonly yes: boolean;
  readonly height: number;
  /** Hex hash of the vote tx (the proposer's own yes: the proposal's tx). */
  readonly tx: string;
}

export interface ProposalRecord {
  /** Hex (lowercase, no 0x) of the chain suite's hash of the proposal tx's bytes. */
  readonly id: string;
  readonly action: GovAction;
  /** The action's arguments, as validated (certificates as PEM). */
  readonly args: Readonly<Record<string, unknown>>;
  readonly proposer: string;
  readonly proposerFingerprint: string;
  readonly height: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The rule as resolved when the proposal was made: voters with their weights, per clause. */
  readonly clauses: readonly { readonly voters: readonly { readonly name: string; readonly weight: number }[]; readonly threshold: Threshold }[];
  /** The proposer's own yes first, when it is a voter. */
  readonly votes: readonly VoteRecord[];
  readonly status: ProposalStatus;
  readonly decidedHeight?: number;
  /** Why an approved proposal failed when executed (its typed error's code and message). */
  readonly error?: string;
}

/** The whole committed registry, as the `registry` query returns it. */
export interface GovRegistry {
  readonly height: number;
  readonly rootCertPem: string;
  readonly rootFingerprint: string;
  /** `gov` keeps at least this many validators: 3f+1 for the f its genesis set tolerated. */
  readonly minValidators: number;
  readonly authority: AuthorityRecord;
  readonly operators: readonly OperatorRecord[];
  readonly nodes: readonly NodeRecord[];
  readonly orgs: readonly OrgRecord[];
  readonly revocations: readonly RevocationRecord[];
  readonly plans: readonly PlanRecord[];
  readonly rules: readonly RuleRecord[];
  readonly apps: readonly AppRecord[];
}

/**
 * The `gov` genesis appState. Its validators must be exactly the active `nodes`, with their
 * public keys and powers (initChain refuses anything else). `rules` replaces the default rule of
 * each action it names.
 */
export interface GovGenesisState {
  readonly version: 1;
  readonly rootCertPem: string;
  readonly authority: { readonly name: string; readonly certPem: string };
  readonly operators: readonly { readonly name: string; readonly caCertPem: string; readonly adminCertPems: readonly string[] }[];
  readonly nodes: readonly { readonly certPem: string; readonly operator: string; readonly region: string; readonly city?: string; readonly p2p?: string; readonly gateway?: string; readonly power?: number }[];
  readonly orgs?: readonly { readonly certPem: string; readonly name: string; readonly roles: readonly OrgRole[]; readonly trustCode: string; readonly contact?: string }[];
  readonly plans?: readonly PlanRecord[];
  readonly rules?: readonly RuleRecord[];
}

/*
 * A gov transaction, canonical encoding (src/codec):
 *   tx      = [1, chainId, nonce, kind, payload, signerCertDer, signature]
 *   signed  = encode(['bsn/gov-tx/v1', chainId, nonce, kind, payload, signerCertDer])
 *   kind 'propose': payload = [action, argsJson (UTF-8 JSON text of an object), expiresAt (ms)]
 *   kind 'vote':    payload = [proposalId (bytes), yes (boolean)]
 * The signature is the signer certificate key's suite signature (ecdsa-p256 or sm2, as the
 * certificate says) over `signed`. The mempool's sender is the certificate fingerprint; nonces
 * count per fingerprint from 0, as in kv. A proposal's id is the chain suite's hash of the tx.
 */
export type GovTxKind = 'propose' | 'vote';

/*
 * Query paths (Application.query): every value is UTF-8 JSON.
 *   'registry'                                   GovRegistry
 *   'operators' | 'nodes' | 'orgs' | 'rules' | 'revocations' | 'plans' | 'apps'   the array
 *   'proposals'                                  ProposalRecord[] (newest first)
 *   'proposal'    data = UTF-8 id                ProposalRecord, or undefined
 *   'app'         data = UTF-8 app id            AppRecord (or the view of an open create-app
 *                                                proposal, status 'proposed'), or undefined
 *   'nonce'       data = UTF-8 fingerprint       number (the signer's next nonce)
 *   'validators'                                 { name, publicKey, power }[] in force at the next height
 */
