// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IBodyRegistry, ROLE_ANCHOR, ROLE_AUDITOR} from "./interfaces/IBodyRegistry.sol";
import {IAccessTrail} from "./interfaces/IAccessTrail.sol";

/// @title AccessTrail
/// @notice Anchors each body's access trail: events carry consecutive sequence numbers per
/// body, starting at 1; an anchor must start right after the previous one, so a missing
/// event shows as a gap that the chain refuses.
/// @dev Anchors are logs, not storage: only the last sequence is stored (one warm slot
/// update), which keeps a batch of 1,000 events well under 50 gas per event. Verifiers read
/// the anchors with eth_getLogs; logs are as final as the chain.
contract AccessTrail is IAccessTrail, ERC2771Context {
    IBodyRegistry private immutable _bodies;
    mapping(bytes32 body => uint64) private _last;

    constructor(address trustedForwarder, IBodyRegistry bodies) ERC2771Context(trustedForwarder) {
        _bodies = bodies;
    }

    /// @inheritdoc IAccessTrail
    function lastSequence(bytes32 body) external view returns (uint64) {
        return _last[body];
    }

    /// @notice Anchors one access event of the caller's body.
    /// @dev Requires: caller holds the anchor role of an active body; `seq` is the body's last
    /// sequence plus one; `eventHash` is non-zero. Emits {AccessEventAnchored}.
    function anchorEvent(uint64 seq, bytes32 eventHash) external {
        bytes32 body = _requireAnchor();
        if (eventHash == bytes32(0)) revert AccessTrailZeroValue();
        _advance(body, seq, seq);
        emit AccessEventAnchored(body, seq, eventHash);
    }

    /// @notice Anchors the Merkle root of the caller's body's events `firstSeq`..`lastSeq`.
    /// @dev Requires: caller holds the anchor role of an active body; `firstSeq` is the body's
    /// last sequence plus one; `lastSeq >= firstSeq`; `root` is non-zero. Emits {AccessBatchAnchored}.
    function anchorBatch(uint64 firstSeq, uint64 lastSeq, bytes32 root) external {
        bytes32 body = _requireAnchor();
        if (root == bytes32(0)) revert AccessTrailZeroValue();
        if (lastSeq < firstSeq) revert AccessTrailInvalidRange(firstSeq, lastSeq);
        _advance(body, firstSeq, lastSeq);
        emit AccessBatchAnchored(body, firstSeq, lastSeq, root);
    }

    /// @notice Records an auditor's review of a watchdog alert over the trail, with the events it named.
    /// @dev Requires: caller holds the auditor role of an active body; `verdict` is 1 (acknowledged) or 2
    /// (escalated); `alertId`, `eventsHash` and `noteHash` are non-zero. A later review of the same alert
    /// supersedes an earlier one. Emits {AlertReviewed}.
    function reviewAlert(bytes32 alertId, bytes32 eventsHash, uint8 verdict, bytes32 noteHash) external {
        address sender = _msgSender();
        (bytes32 body, uint8 roles) = _bodies.memberOf(sender);
        if (roles & ROLE_AUDITOR == 0) revert AccessTrailUnauthorized(sender, ROLE_AUDITOR);
        if (verdict != 1 && verdict != 2) revert AccessTrailInvalidVerdict(verdict);
        if (alertId == bytes32(0) || eventsHash == bytes32(0) || noteHash == bytes32(0)) revert AccessTrailZeroValue();
        emit AlertReviewed(alertId, body, sender, verdict, eventsHash, noteHash);
    }

    function _requireAnchor() private view returns (bytes32 body) {
        address sender = _msgSender();
        uint8 roles;
        (body, roles) = _bodies.memberOf(sender);
        if (roles & ROLE_ANCHOR == 0) revert AccessTrailUnauthorized(sender, ROLE_ANCHOR);
    }

    function _advance(bytes32 body, uint64 firstSeq, uint64 lastSeq) private {
        uint64 expected = _last[body] + 1;
        if (firstSeq != expected) revert AccessTrailSequenceGap(body, expected, firstSeq);
        _last[body] = lastSeq;
    }
}
