// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IBodyRegistry, ROLE_ADMIN, ROLE_OFFICER} from "./interfaces/IBodyRegistry.sol";
import {IAccessRegistry} from "./interfaces/IAccessRegistry.sol";
import {ISeals} from "./interfaces/ISeals.sol";

/// @title Seals
/// @notice A body the consortium lets seal (public security, say) may hide the reads of one of its own
/// grants, or one of its own emergency declarations and its reads, from the resident until an end no more
/// than 90 days away, with the hash of its case reference. The sealer may release its seal early; it may
/// not extend it. Only an oversight body extends a seal, each time by at most 90 days past the end it
/// extends, with its own reason hash; an ended seal stays ended.
/// @dev Sealing hides nothing from the chain or from auditors: the reads are written and anchored like any
/// other. A custodian's node shows a sealed read to the resident, and tells them, once the seal ends.
contract Seals is ISeals, ERC2771Context {
    uint64 public constant MAX_SPAN = 90 days;

    IBodyRegistry private immutable _bodies;
    IAccessRegistry private immutable _access;

    mapping(bytes32 body => bool) private _sealers;
    mapping(uint256 sealId => Seal) private _seals;
    mapping(Target target => mapping(uint256 targetId => uint256 sealId)) private _sealOf;
    uint256 private _count;

    constructor(address trustedForwarder, IBodyRegistry bodies, IAccessRegistry access) ERC2771Context(trustedForwarder) {
        _bodies = bodies;
        _access = access;
    }

    /// @inheritdoc ISeals
    function isSealer(bytes32 body) external view returns (bool) {
        return _sealers[body];
    }

    /// @inheritdoc ISeals
    function memberOfSealer(address account) external view returns (bool) {
        (bytes32 body,) = _bodies.memberOf(account);
        return body != bytes32(0) && _sealers[body];
    }

    /// @inheritdoc ISeals
    function getSeal(uint256 sealId) external view returns (Seal memory) {
        return _seal(sealId);
    }

    /// @inheritdoc ISeals
    function sealOf(Target target, uint256 targetId) external view returns (uint256) {
        return _sealOf[target][targetId];
    }

    /// @inheritdoc ISeals
    function sealInForce(Target target, uint256 targetId) external view returns (uint256) {
        uint256 sealId = _sealOf[target][targetId];
        return inForce(sealId) ? sealId : 0;
    }

    /// @inheritdoc ISeals
    function inForce(uint256 sealId) public view returns (bool) {
        Seal storage s = _seals[sealId];
        // slither-disable-next-line timestamp
        return s.placedAt != 0 && s.releasedAt == 0 && block.timestamp < s.until;
    }

    /// @inheritdoc ISeals
    function sealCount() external view returns (uint256) {
        return _count;
    }

    /// @notice Lets `body` seal its own reads, or stops it (seals it placed run on to their end).
    /// @dev Requires: caller is an admin of the founding body; `body` is an active department. Emits {SealerSet}.
    function setSealer(bytes32 body, bool allowed) external {
        address sender = _msgSender();
        (bytes32 own, uint8 roles) = _bodies.memberOf(sender);
        if (own != _bodies.founder() || roles & ROLE_ADMIN == 0) revert SealsUnauthorized(sender, own);
        if (allowed) {
            IBodyRegistry.BodyView memory b = _bodies.getBody(body);
            if (!b.active || b.kind != IBodyRegistry.BodyKind.Department) revert SealsNotSealer(body);
        }
        _sealers[body] = allowed;
        emit SealerSet(body, allowed, sender);
    }

    /// @notice Seals the reads under the caller's body's grant (`target` 1) or its emergency declaration
    /// (`target` 2) until `until`, for the case whose reference hashes to `caseHash`.
    /// @dev Requires: caller is an officer or admin of a sealing body; the grant's grantee body, or the
    /// emergency's reader body, is the caller's; the target was never sealed; now < `until` <= now + 90 days;
    /// `caseHash` is non-zero. Emits {Sealed}.
    function seal(Target target, uint256 targetId, bytes32 caseHash, uint64 until) external returns (uint256 sealId) {
        bytes32 body = _memberBody();
        if (!_sealers[body]) revert SealsNotSealer(body);
        if (caseHash == bytes32(0)) revert SealsZeroValue();
        if (target != Target.Grant && target != Target.Emergency) revert SealsInvalidTarget(uint8(target));
        bytes32 owner = target == Target.Grant
            ? _access.getGrant(targetId).granteeBody
            : _access.getEmergency(targetId).readerBody;
        if (owner != body) revert SealsNotOwnTarget(body, uint8(target), targetId);
        uint256 existing = _sealOf[target][targetId];
        if (existing != 0) revert SealsAlreadySealed(uint8(target), targetId, existing);
        uint64 now_ = uint64(block.timestamp);
        // slither-disable-next-line timestamp
        if (until <= now_ || until > now_ + MAX_SPAN) revert SealsInvalidUntil(until, now_ + MAX_SPAN);
        sealId = ++_count;
        _seals[sealId] = Seal(target, now_, until, 0, 0, body, targetId, caseHash);
        _sealOf[target][targetId] = sealId;
        emit Sealed(sealId, body, target, targetId, caseHash, until, _msgSender());
    }

    /// @notice Extends seal `sealId` to `until`, for the reason whose text hashes to `reasonHash`.
    /// @dev Requires: caller is an officer or admin of an active oversight body; the seal is in force;
    /// its end < `until` <= its end + 90 days; `reasonHash` is non-zero. Emits {SealExtended}.
    function extend(uint256 sealId, uint64 until, bytes32 reasonHash) external {
        bytes32 body = _memberBody();
        if (_bodies.getBody(body).kind != IBodyRegistry.BodyKind.Oversight) revert SealsNotOversight(body);
        if (reasonHash == bytes32(0)) revert SealsZeroValue();
        Seal storage s = _seal(sealId);
        if (!inForce(sealId)) revert SealsSealEnded(sealId);
        uint64 latest = s.until + MAX_SPAN;
        if (until <= s.until || until > latest) revert SealsInvalidUntil(until, latest);
        s.until = until;
        s.extensions += 1;
        emit SealExtended(sealId, body, until, reasonHash, _msgSender());
    }

    /// @notice Ends seal `sealId` now: its reads are shown to the residents and told.
    /// @dev Requires: caller is an officer or admin of the body that placed it; the seal is in force.
    /// Emits {SealReleased}.
    function release(uint256 sealId) external {
        bytes32 body = _memberBody();
        Seal storage s = _seal(sealId);
        if (s.body != body) revert SealsUnauthorized(_msgSender(), body);
        if (!inForce(sealId)) revert SealsSealEnded(sealId);
        s.releasedAt = uint64(block.timestamp);
        emit SealReleased(sealId, _msgSender());
    }

    function _memberBody() private view returns (bytes32 body) {
        address sender = _msgSender();
        uint8 roles;
        (body, roles) = _bodies.memberOf(sender);
        if (roles & (ROLE_OFFICER | ROLE_ADMIN) == 0 || !_bodies.isActive(body)) revert SealsUnauthorized(sender, body);
    }

    function _seal(uint256 sealId) private view returns (Seal storage s) {
        s = _seals[sealId];
        if (s.placedAt == 0) revert SealsUnknownSeal(sealId);
    }
}
