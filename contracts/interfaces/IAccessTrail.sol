// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Anchors of the access trail: single events or Merkle roots of sequence ranges.
interface IAccessTrail {
    error AccessTrailUnauthorized(address account, uint8 neededRoles);
    error AccessTrailSequenceGap(bytes32 body, uint64 expected, uint64 given);
    error AccessTrailInvalidRange(uint64 firstSeq, uint64 lastSeq);
    error AccessTrailZeroValue();
    error AccessTrailInvalidVerdict(uint8 verdict);

    /// @dev One access event anchored in its own transaction ("immediate" mode).
    event AccessEventAnchored(bytes32 indexed body, uint64 indexed seq, bytes32 eventHash);
    /// @dev A batch of consecutive events anchored as a StandardMerkleTree root ("batched" mode).
    event AccessBatchAnchored(bytes32 indexed body, uint64 indexed firstSeq, uint64 lastSeq, bytes32 root);

    /// @dev An auditor reviewed a watchdog alert: `verdict` 1 acknowledged (no misuse), 2 escalated. The alert
    /// id and the hash of the events it named are computed off-chain (docs/FORMATS.md, the watchdog); the
    /// auditor's note stays at their node, its salted hash is here.
    event AlertReviewed(
        bytes32 indexed alertId,
        bytes32 indexed body,
        address reviewer,
        uint8 verdict,
        bytes32 eventsHash,
        bytes32 noteHash
    );

    /// @notice The last sequence number anchored for `body` (0 before the first event).
    function lastSequence(bytes32 body) external view returns (uint64);
}
