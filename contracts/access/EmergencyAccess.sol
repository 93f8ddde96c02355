// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ROLE_EMERGENCY} from "../interfaces/IBodyRegistry.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";
import {AccessBase} from "./AccessBase.sol";

/// @title EmergencyAccess
/// @notice Emergency ("break-glass") reads: a member holding the emergency role declares, with a
/// purpose and a reason, which fields of which record they must read now; the declaration covers
/// their reads for {EMERGENCY_WINDOW}, for that purpose only; the custodian's admins review it, and
/// a declaration reviewed as unjustified serves no further read.
abstract contract EmergencyAccess is AccessBase {
    /// @notice How long an emergency declaration covers reads after it is made.
    uint64 public constant EMERGENCY_WINDOW = 1 hours;

    Emergency[] private _emergencies;
    mapping(bytes32 custodian => uint256) private _unreviewed;

    constructor() {
        _emergencies.push(); // id 0 is "none"
    }

    /// @notice An emergency declaration by id; reverts for an unknown id.
    function getEmergency(uint256 emergencyId) external view returns (Emergency memory) {
        return _emergency(emergencyId);
    }

    /// @notice Emergency reads of `custodian`'s records not yet reviewed.
    function unreviewedEmergencies(bytes32 custodian) external view returns (uint256) {
        return _unreviewed[custodian];
    }

    /// @notice Whether declaration `emergencyId` lets `reader` read `fieldMask` of `recordId` for
    /// `purpose` now: Granted, or why not (EmergencyNotCovered: another reader, record or fields, an
    /// unknown declaration or a reader without the emergency role; EmergencyUnjustified: reviewed as
    /// unjustified; PurposeMismatch; Expired: the window has passed; RecordErased).
    function checkEmergency(uint256 emergencyId, address reader, bytes32 recordId, uint256 fieldMask, bytes32 purpose)
        external
        view
        returns (Decision)
    {
        if (emergencyId == 0 || emergencyId >= _emergencies.length) return Decision.EmergencyNotCovered;
        Emergency storage e = _emergencies[emergencyId];
        if (e.reader != reader || e.recordId != recordId || fieldMask == 0 || fieldMask & ~e.fieldMask != 0) {
            return Decision.EmergencyNotCovered;
        }
        if (!_bodies.hasRoles(reader, ROLE_EMERGENCY)) return Decision.EmergencyNotCovered;
        if (e.reviewed && !e.justified) return Decision.EmergencyUnjustified;
        if (e.purpose != purpose) return Decision.PurposeMismatch;
        if (block.timestamp >= e.declaredAt + EMERGENCY_WINDOW) return Decision.Expired;
        if (_records.getRecord(recordId).status != IRecordRegistry.RecordStatus.Active) return Decision.RecordErased;
        return Decision.Granted;
    }

    /// @notice Declares an emergency read of `fieldMask` of `recordId` for `purpose`, with a reason.
    /// @dev Requires: caller holds the emergency role; the record is active; the fields exist; the
    /// purpose is accepted; a reason hash is given. The declaration covers the caller's reads for
    /// that purpose for {EMERGENCY_WINDOW}, and stays unreviewed until the custodian reviews it.
    /// Emits {EmergencyDeclared}.
    function declareEmergency(bytes32 recordId, uint256 fieldMask, bytes32 purpose, bytes32 reasonHash)
        external
        returns (uint256 emergencyId)
    {
        address sender = _msgSender();
        (bytes32 body, uint8 roles) = _bodies.memberOf(sender);
        if (roles & ROLE_EMERGENCY == 0) revert AccessRegistryUnauthorized(sender, ROLE_EMERGENCY);
        if (reasonHash == bytes32(0)) revert AccessRegistryZeroValue();
        _requirePurpose(purpose);
        IRecordRegistry.RecordView memory rec = _records.getRecord(recordId);
        if (rec.status != IRecordRegistry.RecordStatus.Active) revert AccessRegistryRecordNotActive(recordId);
        _checkFields(rec.category, fieldMask);
        emergencyId = _emergencies.length;
        _emergencies.push(
            Emergency(
                sender,
                uint64(block.timestamp),
                false,
                false,
                body,
                recordId,
                rec.custodian,
                fieldMask,
                purpose,
                reasonHash,
                0
            )
        );
        _unreviewed[rec.custodian] += 1;
        emit EmergencyDeclared(emergencyId, recordId, rec.custodian, sender, body, fieldMask, purpose, reasonHash);
    }

    /// @notice Records the custodian's review of an emergency read; unjustified, it serves no further read.
    /// @dev Requires: caller is an admin of the custodian; not reviewed yet. Emits {EmergencyReviewed}.
    function reviewEmergency(uint256 emergencyId, bool justified, bytes32 outcomeHash) external {
        Emergency storage e = _emergency(emergencyId);
        _requireCustodianAdmin(e.custodian);
        if (e.reviewed) revert AccessRegistryEmergencyReviewed(emergencyId);
        e.reviewed = true;
        e.justified = justified;
        e.outcomeHash = outcomeHash;
        _unreviewed[e.custodian] -= 1;
        emit EmergencyReviewed(emergencyId, e.custodian, justified, outcomeHash, _msgSender());
    }

    function _emergencyCount() internal view returns (uint256) {
        return _emergencies.length - 1;
    }

    function _emergency(uint256 emergencyId) private view returns (Emergency storage) {
        if (emergencyId == 0 || emergencyId >= _emergencies.length) revert AccessRegistryUnknownEmergency(emergencyId);
        return _emergencies[emergencyId];
    }
}
