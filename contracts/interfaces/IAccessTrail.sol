// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Anchors of the access trail: single events or Merkle roots of sequence ranges.
interface IAccessTrail {
    error AccessTrailUnauthorized(address account, uint8 neededRoles);
    error AccessTrailSequenceGap(bytes32 body, uint64 expected, uint64 given);
    error AccessTrailInvalidRange(uint64 firstSeq, uint64 lastSeq);
    error AccessTrailZeroValue();

    /// @dev One access event anchored in its own transaction ("immediate" mode).
    event AccessEventAnchored(bytes32 indexed body, uint64 indexed seq, bytes32 eventHash);
    /// @dev A batch of consecutive events anchored as a StandardMerkleTree root ("batched" mode).
    event AccessBatchAnchored(bytes32 indexed body, uint64 indexed firstSeq, uint64 lastSeq, bytes32 root);

    /// @notice The last sequence number anchored for `body` (0 before the first event).
    function lastSequence(bytes32 body) external view returns (uint64);
}
