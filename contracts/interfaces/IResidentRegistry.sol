// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Which residents' committee each resident belongs to, and the wallets residents hold.
/// @dev A resident is known only by their subject id (a keyed hash of the national ID number).
/// Only the resident's own committee acts for them: binds or unbinds a wallet, records consent
/// evidence ({IAccessRegistry-setConsent}), issues access codes and gathers their trail (at its node).
interface IResidentRegistry {
    /// @dev One period of a resident's membership: the committee, and the time it began.
    struct Membership {
        bytes32 committee;
        uint64 since;
    }

    /// @dev A move waiting for its second approval: to which committee, and which sides approved.
    struct Transfer {
        bytes32 to;
        bool fromApproved;
        bool toApproved;
    }

    /// @dev The grid of its committee a resident is placed in (by that committee).
    struct Placement {
        bytes32 committee;
        bytes32 grid;
    }

    error ResidentRegistryZeroValue();
    error ResidentRegistryUnknownGrid(bytes32 committee, bytes32 grid);
    error ResidentRegistryUnauthorized(address account, uint8 neededRoles);
    error ResidentRegistryNotCommittee(bytes32 body);
    error ResidentRegistryNotEnrolled(bytes32 subject);
    error ResidentRegistryEnrolled(bytes32 subject, bytes32 committee);
    error ResidentRegistryNotResidentsCommittee(address account, bytes32 subject);
    error ResidentRegistryNotTransferParty(address account, bytes32 subject, bytes32 to);
    error ResidentRegistryOnlyRecordRegistry(address caller);
    error ResidentRegistryWalletBound(address account, bytes32 subject);
    error ResidentRegistryNotBound(address account);
    error ResidentRegistryInvalidChoice(uint8 choice);

    event ResidentEnrolled(bytes32 indexed subject, bytes32 indexed committee, address by);
    event TransferApproved(
        bytes32 indexed subject, bytes32 indexed from, bytes32 indexed to, bytes32 approverBody, address by
    );
    event ResidentTransferred(bytes32 indexed subject, bytes32 indexed from, bytes32 indexed to, address by);
    event ResidentPlaced(bytes32 indexed subject, bytes32 indexed committee, bytes32 grid, address by);
    event ResidentBound(address indexed account, bytes32 indexed subject, bytes32 indexed committee, address by);
    event ResidentUnbound(address indexed account, bytes32 indexed subject, bytes32 indexed committee, address by);
    /// @dev How the resident is told of reads of `category` (0 default, 1 instant, 2 digest, 3 none), set by the
    /// resident's own account (`evidenceHash` may be zero) or their committee (the evidence's salted hash).
    event NoticeChoiceSet(
        bytes32 indexed subject, bytes32 indexed category, uint8 choice, address by, bytes32 evidenceHash
    );

    /// @notice The residents' committee `subject` belongs to (zero when not enrolled).
    function committeeOf(bytes32 subject) external view returns (bytes32);

    /// @notice The grid of their committee `subject` is placed in (zero when none, or placed by a
    /// committee they have since left).
    function gridOf(bytes32 subject) external view returns (bytes32);

    /// @notice How `subject` is told of reads of `category`: 0 default, 1 instant, 2 digest, 3 none.
    function noticeChoice(bytes32 subject, bytes32 category) external view returns (uint8);

    /// @notice The subject id bound to a resident's own account (zero when none).
    function residentSubject(address account) external view returns (bytes32);

    /// @notice Whether `account` is an officer or admin of the committee `subject` belongs to.
    function actsFor(address account, bytes32 subject) external view returns (bool);

    /// @notice Enrols `subject` in `committee` when a committee first registers a record of a resident of
    /// no committee. Only the record registry calls this.
    function enrolOnRecord(bytes32 subject, bytes32 committee, address by) external;
}
