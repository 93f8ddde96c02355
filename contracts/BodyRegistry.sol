// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IBodyRegistry, ROLE_ADMIN, ROLE_EMERGENCY, ROLE_ALL} from "./interfaces/IBodyRegistry.sol";
import {Posts} from "./bodies/Posts.sol";

/// @title BodyRegistry
/// @notice Bodies of the consortium (committees, offices, departments, auditors), their
/// members and roles. A body joins or leaves by an M-of-N vote of the active bodies, cast
/// by their admins; every body keeps at least two admins so that it cannot lock itself out.
/// @dev Actors are taken from {_msgSender}, so a person's EIP-712 request relayed through
/// the trusted forwarder acts as that person. Grids and posts: {Posts}.
contract BodyRegistry is IBodyRegistry, Posts, ERC2771Context {
    struct Body {
        BodyKind kind;
        bool active;
        bool emergency;
        uint16 adminCount;
        bytes32 parent;
        bytes32 nameHash;
        bytes encryptionKey;
        string endpoint;
    }

    struct Member {
        bytes32 body;
        uint8 roles;
    }

    struct Proposal {
        ProposalKind kind;
        bool executed;
        uint16 votes;
        uint16 required;
        uint64 deadline;
        bytes32 body;
        bytes32 proposerBody;
    }

    /// @dev Basis points of the active bodies whose votes carry a proposal (rounded up).
    uint16 private immutable _quorumBps;
    bytes32 private immutable _founder;

    mapping(bytes32 body => Body) private _bodies;
    mapping(address account => Member) private _members;
    uint256 private _activeBodies;

    Proposal[] private _proposals;
    mapping(uint256 proposalId => BodyProfile) private _pendingProfiles;
    mapping(uint256 proposalId => address[]) private _pendingAdmins;
    mapping(uint256 proposalId => mapping(bytes32 body => bool)) private _voted;

    /// @param trustedForwarder The ERC-2771 forwarder that relays people's signed requests.
    /// @param quorumBps_ Share of active bodies, in basis points, needed to carry a vote (1..10000).
    /// @param founderBody Id of the founding body (for example the subdistrict office).
    /// @param founderProfile Kind and profile of the founding body.
    /// @param founderAdmins At least two admins of the founding body.
    constructor(
        address trustedForwarder,
        uint16 quorumBps_,
        bytes32 founderBody,
        BodyProfile memory founderProfile,
        address[] memory founderAdmins
    ) ERC2771Context(trustedForwarder) {
        if (quorumBps_ == 0 || quorumBps_ > 10_000) revert BodyRegistryInvalidQuorum(quorumBps_);
        _quorumBps = quorumBps_;
        _founder = founderBody;
        _admit(founderBody, founderProfile, founderAdmins);
    }

    // ----------------------------------------------------------------- views

    /// @inheritdoc IBodyRegistry
    function memberOf(address account) public view override(IBodyRegistry, Posts) returns (bytes32 body, uint8 roles) {
        Member storage m = _members[account];
        body = m.body;
        roles = _bodies[body].active ? m.roles : 0;
    }

    /// @inheritdoc IBodyRegistry
    function hasRoles(address account, uint8 roles) public view returns (bool) {
        (, uint8 held) = memberOf(account);
        return roles != 0 && held & roles == roles;
    }

    /// @notice True when `account` holds at least one of the bits of `roles`.
    function hasAnyRole(address account, uint8 roles) public view returns (bool) {
        (, uint8 held) = memberOf(account);
        return held & roles != 0;
    }

    /// @inheritdoc IBodyRegistry
    function founder() external view returns (bytes32) {
        return _founder;
    }

    /// @notice The quorum in basis points of active bodies.
    function quorumBps() external view returns (uint16) {
        return _quorumBps;
    }

    /// @notice Number of active bodies (the N of the M-of-N vote).
    function activeBodyCount() external view returns (uint256) {
        return _activeBodies;
    }

    /// @inheritdoc IBodyRegistry
    function getBody(bytes32 body) external view returns (BodyView memory) {
        Body storage b = _bodies[body];
        if (b.adminCount == 0 && !b.active) revert BodyRegistryUnknownBody(body);
        return BodyView(b.kind, b.active, b.emergency, b.adminCount, b.parent, b.nameHash, b.encryptionKey, b.endpoint);
    }

    /// @inheritdoc IBodyRegistry
    function isActive(bytes32 body) external view returns (bool) {
        return _bodies[body].active;
    }

    /// @notice A proposal's kind, subject body, tally and state.
    function getProposal(uint256 proposalId) external view returns (ProposalView memory) {
        Proposal storage p = _proposal(proposalId);
        return ProposalView(p.kind, p.body, p.proposerBody, p.deadline, p.votes, p.required, p.executed);
    }

    /// @notice Number of proposals ever made; ids run from 0 to this minus one.
    function proposalCount() external view returns (uint256) {
        return _proposals.length;
    }

    /// @notice Whether `body` has voted on `proposalId`.
    function hasVoted(uint256 proposalId, bytes32 body) external view returns (bool) {
        return _voted[proposalId][body];
    }

    /// @notice Votes a proposal made now would need.
    function requiredVotes() public view returns (uint16) {
        return uint16((_activeBodies * _quorumBps + 9_999) / 10_000);
    }

    // ------------------------------------------------------------ proposals

    /// @notice Proposes to admit a new body; the proposer's body votes for it at once.
    /// @dev Requires: caller is an admin of an active body; `body` is new and non-zero;
    /// `admins` holds at least two accounts that belong to no body; `deadline` is in the future.
    /// Emits {BodyProposed} and {ProposalVoted}, and {BodyAdmitted} and {MemberAdded} when the
    /// proposer's vote alone carries it.
    function proposeAdmission(bytes32 body, BodyProfile calldata profile, address[] calldata admins, uint64 deadline)
        external
        returns (uint256 proposalId)
    {
        if (body == bytes32(0)) revert BodyRegistryZeroId();
        if (_bodies[body].active || _bodies[body].adminCount != 0) revert BodyRegistryBodyExists(body);
        _checkNewAdmins(body, admins);
        proposalId = _propose(ProposalKind.Admit, body, deadline);
        _pendingProfiles[proposalId] = profile;
        _pendingAdmins[proposalId] = admins;
        _vote(proposalId);
    }

    /// @notice Proposes to remove an active body (never the founder); the proposer's body votes for it.
    /// @dev Requires: caller is an admin of an active body; `body` is active and not the founder.
    /// Emits {BodyProposed}, {ProposalVoted}, and {BodyRemoved} when carried.
    function proposeRemoval(bytes32 body, uint64 deadline) external returns (uint256 proposalId) {
        if (!_bodies[body].active) revert BodyRegistryUnknownBody(body);
        if (body == _founder) revert BodyRegistryFounderNotRemovable(body);
        proposalId = _propose(ProposalKind.Remove, body, deadline);
        _vote(proposalId);
    }

    /// @notice Casts the caller's body's vote for a proposal; carries it when the quorum is reached.
    /// @dev Requires: caller is an admin of an active body that has not voted; the proposal is
    /// open and before its deadline. Emits {ProposalVoted}, then {BodyAdmitted}/{BodyRemoved}.
    function vote(uint256 proposalId) external {
        _vote(proposalId);
    }

    // -------------------------------------------------------------- members

    /// @notice Adds `account` to the caller's body with `roles`.
    /// @dev Requires: caller is an admin of an active body; `account` belongs to no body;
    /// `roles` is non-zero and valid (emergency only in an emergency body). Emits {MemberAdded}.
    function addMember(address account, uint8 roles) external {
        bytes32 body = _requireAdmin();
        if (_members[account].body != bytes32(0)) revert BodyRegistryAccountTaken(account, _members[account].body);
        _checkRoles(body, roles);
        _members[account] = Member(body, roles);
        if (roles & ROLE_ADMIN != 0) _bodies[body].adminCount += 1;
        emit MemberAdded(body, account, roles, _msgSender());
    }

    /// @notice Replaces the roles of `account`, a member of the caller's body.
    /// @dev Requires: caller is an admin of that body; two admins remain. Returns false and
    /// emits nothing when the roles are unchanged. Emits {MemberRolesChanged}.
    function setRoles(address account, uint8 roles) external returns (bool changed) {
        bytes32 body = _requireAdmin();
        Member storage m = _memberOfBody(account, body);
        _checkRoles(body, roles);
        if (m.roles == roles) return false;
        _adjustAdmins(body, m.roles, roles);
        m.roles = roles;
        emit MemberRolesChanged(body, account, roles, _msgSender());
        return true;
    }

    /// @notice Removes `account` from the caller's body, ending the post they hold.
    /// @dev Requires: caller is an admin of that body; two admins remain. Emits {AssignmentEnded} when
    /// they held a post, and {MemberRemoved}.
    function removeMember(address account) external {
        bytes32 body = _requireAdmin();
        Member storage m = _memberOfBody(account, body);
        _adjustAdmins(body, m.roles, 0);
        _endCurrent(account);
        delete _members[account];
        emit MemberRemoved(body, account, _msgSender());
    }

    /// @notice Sets the public encryption key and node endpoint of the caller's body.
    /// @dev Requires: caller is an admin of an active body. Emits {BodyProfileUpdated}.
    function updateProfile(bytes calldata encryptionKey, string calldata endpoint) external {
        bytes32 body = _requireAdmin();
        Body storage b = _bodies[body];
        b.encryptionKey = encryptionKey;
        b.endpoint = endpoint;
        emit BodyProfileUpdated(body, encryptionKey, endpoint);
    }

    // ------------------------------------------------------------ internals

    function _sender() internal view override returns (address) {
        return _msgSender();
    }

    function _adminBody() internal view override returns (bytes32) {
        return _requireAdmin();
    }

    function _requireFounderAdmin() internal view override {
        if (_requireAdmin() != _founder) revert BodyRegistryUnauthorized(_msgSender(), ROLE_ADMIN);
    }

    function _isCommittee(bytes32 body) internal view override returns (bool) {
        return _bodies[body].active && _bodies[body].kind == BodyKind.ResidentsCommittee;
    }

    function _requireAdmin() private view returns (bytes32 body) {
        address sender = _msgSender();
        uint8 roles;
        (body, roles) = memberOf(sender);
        if (roles & ROLE_ADMIN == 0) revert BodyRegistryUnauthorized(sender, ROLE_ADMIN);
    }

    function _memberOfBody(address account, bytes32 body) private view returns (Member storage m) {
        m = _members[account];
        if (m.body != body) revert BodyRegistryNotMember(account, body);
    }

    function _checkRoles(bytes32 body, uint8 roles) private view {
        if (roles == 0 || roles & ~ROLE_ALL != 0) revert BodyRegistryInvalidRoles(roles);
        if (roles & ROLE_EMERGENCY != 0 && !_bodies[body].emergency) revert BodyRegistryInvalidRoles(roles);
    }

    function _adjustAdmins(bytes32 body, uint8 oldRoles, uint8 newRoles) private {
        bool was = oldRoles & ROLE_ADMIN != 0;
        bool will = newRoles & ROLE_ADMIN != 0;
        Body storage b = _bodies[body];
        if (was && !will) {
            if (b.adminCount <= 2) revert BodyRegistryTooFewAdmins(body, b.adminCount - 1);
            b.adminCount -= 1;
        } else if (!was && will) {
            b.adminCount += 1;
        }
    }

    function _checkNewAdmins(bytes32 body, address[] memory admins) private view {
        if (admins.length < 2) revert BodyRegistryTooFewAdmins(body, admins.length);
        for (uint256 i = 0; i < admins.length; ++i) {
            address a = admins[i];
            if (a == address(0)) revert BodyRegistryZeroId();
            if (_members[a].body != bytes32(0)) revert BodyRegistryAccountTaken(a, _members[a].body);
            for (uint256 j = 0; j < i; ++j) {
                if (admins[j] == a) revert BodyRegistryAccountTaken(a, body);
            }
        }
    }

    function _propose(ProposalKind kind, bytes32 body, uint64 deadline) private returns (uint256 proposalId) {
        bytes32 proposerBody = _requireAdmin();
        if (deadline <= block.timestamp) revert BodyRegistryInvalidDeadline(deadline);
        proposalId = _proposals.length;
        uint16 required = requiredVotes();
        _proposals.push(Proposal(kind, false, 0, required, deadline, body, proposerBody));
        emit BodyProposed(proposalId, body, kind, proposerBody, deadline, required);
    }

    function _proposal(uint256 proposalId) private view returns (Proposal storage) {
        if (proposalId >= _proposals.length) revert BodyRegistryUnknownProposal(proposalId);
        return _proposals[proposalId];
    }

    function _vote(uint256 proposalId) private {
        bytes32 voterBody = _requireAdmin();
        Proposal storage p = _proposal(proposalId);
        if (p.executed) revert BodyRegistryProposalClosed(proposalId);
        if (block.timestamp > p.deadline) revert BodyRegistryProposalExpired(proposalId, p.deadline);
        if (_voted[proposalId][voterBody]) revert BodyRegistryAlreadyVoted(proposalId, voterBody);
        _voted[proposalId][voterBody] = true;
        p.votes += 1;
        emit ProposalVoted(proposalId, voterBody, _msgSender(), p.votes);
        if (p.votes >= p.required) _execute(proposalId, p);
    }

    function _execute(uint256 proposalId, Proposal storage p) private {
        p.executed = true;
        if (p.kind == ProposalKind.Admit) {
            if (_bodies[p.body].active || _bodies[p.body].adminCount != 0) revert BodyRegistryBodyExists(p.body);
            address[] memory admins = _pendingAdmins[proposalId];
            _checkNewAdmins(p.body, admins);
            _admit(p.body, _pendingProfiles[proposalId], admins);
            delete _pendingProfiles[proposalId];
            delete _pendingAdmins[proposalId];
        } else {
            if (!_bodies[p.body].active) revert BodyRegistryBodyInactive(p.body);
            _bodies[p.body].active = false;
            _activeBodies -= 1;
            emit BodyRemoved(p.body);
        }
    }

    function _admit(bytes32 body, BodyProfile memory profile, address[] memory admins) private {
        if (body == bytes32(0)) revert BodyRegistryZeroId();
        _checkNewAdmins(body, admins);
        Body storage b = _bodies[body];
        b.kind = profile.kind;
        b.active = true;
        b.emergency = profile.emergency;
        b.adminCount = uint16(admins.length);
        b.parent = profile.parent;
        b.nameHash = profile.nameHash;
        b.encryptionKey = profile.encryptionKey;
        b.endpoint = profile.endpoint;
        _activeBodies += 1;
        emit BodyAdmitted(body, profile.kind, profile.parent, profile.nameHash, profile.emergency);
        for (uint256 i = 0; i < admins.length; ++i) {
            _members[admins[i]] = Member(body, ROLE_ADMIN);
            emit MemberAdded(body, admins[i], ROLE_ADMIN, _msgSender());
        }
    }
}
