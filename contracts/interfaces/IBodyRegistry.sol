// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IPosts} from "./IPosts.sol";

/// @dev Role bits of a member. An account belongs to one body and holds any mix of these.
uint8 constant ROLE_ADMIN = 1;
uint8 constant ROLE_OFFICER = 2;
uint8 constant ROLE_AUDITOR = 4;
uint8 constant ROLE_EMERGENCY = 8;
/// @dev The body's own node account, which anchors its access trail.
uint8 constant ROLE_ANCHOR = 16;
uint8 constant ROLE_ALL = 31;

/// @title Bodies, members and roles of the Civic Ledger consortium.
interface IBodyRegistry is IPosts {
    enum BodyKind {
        ResidentsCommittee,
        SubdistrictOffice,
        Department,
        Auditor,
        /// @dev Oversees sealed reads (the procuratorate, say): extends seals, each time by at most 90 days.
        Oversight
    }

    enum ProposalKind {
        Admit,
        Remove
    }

    struct BodyProfile {
        BodyKind kind;
        bytes32 parent;
        bytes32 nameHash;
        bool emergency;
        bytes encryptionKey;
        string endpoint;
    }

    struct BodyView {
        BodyKind kind;
        bool active;
        bool emergency;
        uint16 adminCount;
        bytes32 parent;
        bytes32 nameHash;
        bytes encryptionKey;
        string endpoint;
    }

    struct ProposalView {
        ProposalKind kind;
        bytes32 body;
        bytes32 proposerBody;
        uint64 deadline;
        uint16 votes;
        uint16 required;
        bool executed;
    }

    error BodyRegistryZeroId();
    error BodyRegistryUnknownBody(bytes32 body);
    error BodyRegistryBodyExists(bytes32 body);
    error BodyRegistryBodyInactive(bytes32 body);
    error BodyRegistryUnauthorized(address account, uint8 neededRoles);
    error BodyRegistryUnknownProposal(uint256 proposalId);
    error BodyRegistryProposalClosed(uint256 proposalId);
    error BodyRegistryProposalExpired(uint256 proposalId, uint64 deadline);
    error BodyRegistryAlreadyVoted(uint256 proposalId, bytes32 body);
    error BodyRegistryTooFewAdmins(bytes32 body, uint256 admins);
    error BodyRegistryAccountTaken(address account, bytes32 body);
    error BodyRegistryNotMember(address account, bytes32 body);
    error BodyRegistryInvalidRoles(uint8 roles);
    error BodyRegistryFounderNotRemovable(bytes32 body);
    error BodyRegistryInvalidDeadline(uint64 deadline);
    error BodyRegistryInvalidQuorum(uint16 quorumBps);

    event BodyProposed(
        uint256 indexed proposalId,
        bytes32 indexed body,
        ProposalKind kind,
        bytes32 proposerBody,
        uint64 deadline,
        uint16 required
    );
    event ProposalVoted(uint256 indexed proposalId, bytes32 indexed voterBody, address voter, uint16 votes);
    event BodyAdmitted(bytes32 indexed body, BodyKind kind, bytes32 parent, bytes32 nameHash, bool emergency);
    event BodyRemoved(bytes32 indexed body);
    event BodyProfileUpdated(bytes32 indexed body, bytes encryptionKey, string endpoint);
    event MemberAdded(bytes32 indexed body, address indexed account, uint8 roles, address by);
    event MemberRolesChanged(bytes32 indexed body, address indexed account, uint8 roles, address by);
    event MemberRemoved(bytes32 indexed body, address indexed account, address by);

    /// @notice The body and roles of `account`; roles are 0 when the account or its body is not active.
    function memberOf(address account) external view returns (bytes32 body, uint8 roles);

    /// @notice True when `account` is an active member of an active body holding all bits of `roles`.
    function hasRoles(address account, uint8 roles) external view returns (bool);

    /// @notice The body that founded the consortium; its admins manage categories and purposes.
    function founder() external view returns (bytes32);

    /// @notice The kind, status and profile of `body`.
    function getBody(bytes32 body) external view returns (BodyView memory);

    /// @notice True when `body` exists and has not been removed.
    function isActive(bytes32 body) external view returns (bool);
}
