// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Seals over covert reads: a sealing body hides its own grant's or emergency's reads from the
/// resident for at most 90 days; only an oversight body extends a seal, each time by at most 90 days.
/// @dev The reads themselves are written and anchored like any other (AccessTrail); a seal only decides
/// when a custodian's node shows them to the resident and tells them (docs/FORMATS.md, sealed reads).
interface ISeals {
    /// @dev What a seal covers: every read under one grant, or one emergency declaration and its reads.
    enum Target {
        None,
        Grant,
        Emergency
    }

    struct Seal {
        Target target;
        uint64 placedAt;
        uint64 until;
        uint64 releasedAt;
        uint16 extensions;
        bytes32 body;
        uint256 targetId;
        bytes32 caseHash;
    }

    error SealsUnauthorized(address account, bytes32 body);
    error SealsNotSealer(bytes32 body);
    error SealsNotOversight(bytes32 body);
    error SealsNotOwnTarget(bytes32 body, uint8 target, uint256 targetId);
    error SealsInvalidTarget(uint8 target);
    error SealsAlreadySealed(uint8 target, uint256 targetId, uint256 sealId);
    error SealsInvalidUntil(uint64 until, uint64 latest);
    error SealsUnknownSeal(uint256 sealId);
    error SealsSealEnded(uint256 sealId);
    error SealsZeroValue();

    event SealerSet(bytes32 indexed body, bool allowed, address by);
    event Sealed(
        uint256 indexed sealId,
        bytes32 indexed body,
        Target target,
        uint256 targetId,
        bytes32 caseHash,
        uint64 until,
        address by
    );
    event SealExtended(uint256 indexed sealId, bytes32 indexed oversightBody, uint64 until, bytes32 reasonHash, address by);
    event SealReleased(uint256 indexed sealId, address by);

    /// @notice The longest a seal runs from its placing, or an extension from the end it extends.
    function MAX_SPAN() external view returns (uint64);

    function isSealer(bytes32 body) external view returns (bool);

    /// @notice Whether `account` belongs to a body that may seal (so its reads may be sealed).
    function memberOfSealer(address account) external view returns (bool);

    function getSeal(uint256 sealId) external view returns (Seal memory);

    /// @notice The seal placed over `target` `targetId` (0: none, ever).
    function sealOf(Target target, uint256 targetId) external view returns (uint256);

    /// @notice The seal over `target` `targetId` if it hides its reads now, else 0: what a custodian's node
    /// asks, at the block it reads at, to write a read as sealed.
    function sealInForce(Target target, uint256 targetId) external view returns (uint256);

    /// @notice Whether seal `sealId` hides its reads now: placed, not released, and before its end.
    function inForce(uint256 sealId) external view returns (bool);

    function sealCount() external view returns (uint256);
}
