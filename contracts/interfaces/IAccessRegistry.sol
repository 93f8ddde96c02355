// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Access requests, grants, standing agreements, consent and emergency reads.
interface IAccessRegistry {
    /// @dev What a request or grant covers: one record; a subject's records of a category
    /// held by one custodian; or every record of a category held by one custodian, for
    /// every officer of the grantee body (a standing body-to-body agreement).
    enum Scope {
        Record,
        SubjectCategory,
        Agreement
    }

    enum RequestStatus {
        None,
        Pending,
        Approved,
        Denied,
        Cancelled
    }

    enum ConsentState {
        None,
        Given,
        Refused
    }

    /// @dev The answer to "may this account read these fields of this record now, for this purpose".
    enum Decision {
        Granted,
        OwnBody,
        NotMember,
        UnknownRecord,
        RecordErased,
        NoGrant,
        WrongGrant,
        PurposeMismatch,
        FieldsNotCovered,
        Revoked,
        Expired,
        ConsentMissing,
        ConsentRefused,
        EmergencyNotCovered,
        EmergencyUnjustified,
        PostEnded,
        OutsideGrid
    }

    struct RequestInput {
        Scope scope;
        bytes32 recordId;
        bytes32 custodian;
        bytes32 subject;
        bytes32 category;
        uint256 fieldMask;
        bytes32 purpose;
        bytes32 justificationHash;
        bytes32 post;
    }

    /// @dev `post`: the request is for whoever holds that post at the requester's body (zero: for the
    /// requester). `assignment`: the requester's assignment in force when they asked (zero: none, or a
    /// post request); a grant to a person stops when it ends.
    struct Request {
        Scope scope;
        RequestStatus status;
        address requester;
        bytes32 requesterBody;
        bytes32 custodian;
        bytes32 recordId;
        bytes32 subject;
        bytes32 category;
        uint256 fieldMask;
        bytes32 purpose;
        bytes32 justificationHash;
        uint256 grantId;
        bytes32 post;
        uint256 assignment;
    }

    struct Grant {
        Scope scope;
        bool revoked;
        uint64 expiresAt;
        address grantee;
        bytes32 granteeBody;
        bytes32 custodian;
        bytes32 recordId;
        bytes32 subject;
        bytes32 category;
        uint256 fieldMask;
        bytes32 purpose;
        uint256 requestId;
        bytes32 post;
        uint256 assignment;
    }

    struct Emergency {
        address reader;
        uint64 declaredAt;
        bool reviewed;
        bool justified;
        bytes32 readerBody;
        bytes32 recordId;
        bytes32 custodian;
        uint256 fieldMask;
        bytes32 purpose;
        bytes32 reasonHash;
        bytes32 outcomeHash;
    }

    error AccessRegistryZeroValue();
    error AccessRegistryUnauthorized(address account, uint8 neededRoles);
    error AccessRegistryUnknownPurpose(bytes32 purpose);
    error AccessRegistryPurposeExists(bytes32 purpose);
    error AccessRegistryUnknownRequest(uint256 requestId);
    error AccessRegistryRequestNotPending(uint256 requestId, RequestStatus status);
    error AccessRegistryUnknownGrant(uint256 grantId);
    error AccessRegistryUnknownEmergency(uint256 emergencyId);
    error AccessRegistryEmergencyReviewed(uint256 emergencyId);
    error AccessRegistryNotCustodian(address account, bytes32 custodian);
    error AccessRegistryOwnBody(bytes32 body);
    error AccessRegistryInactiveBody(bytes32 body);
    error AccessRegistryInvalidScope(Scope scope);
    error AccessRegistryInvalidFields(bytes32 category, uint256 fieldMask);
    error AccessRegistryInvalidExpiry(uint64 expiresAt);
    error AccessRegistryRecordNotActive(bytes32 recordId);
    error AccessRegistrySubjectMismatch(uint256 grantId, bytes32 subject);
    error AccessRegistryNotConsentAuthority(address account, uint256 grantId);
    error AccessRegistryResidentDecided(uint256 grantId, bytes32 subject);
    error AccessRegistryUnknownPost(bytes32 post);

    event PurposeDefined(bytes32 indexed purpose, address by);
    event PurposeRetired(bytes32 indexed purpose, address by);
    event AccessRequested(
        uint256 indexed requestId,
        address indexed requester,
        bytes32 indexed custodian,
        Scope scope,
        bytes32 recordId,
        bytes32 subject,
        bytes32 category,
        uint256 fieldMask,
        bytes32 purpose,
        bytes32 justificationHash
    );
    event RequestApproved(uint256 indexed requestId, uint256 indexed grantId, uint64 expiresAt, address by);
    event RequestDenied(uint256 indexed requestId, bytes32 reasonHash, address by);
    event RequestCancelled(uint256 indexed requestId, address by);
    event GrantCreated(
        uint256 indexed grantId,
        bytes32 indexed custodian,
        bytes32 indexed granteeBody,
        address grantee,
        uint256 requestId,
        uint64 expiresAt,
        bytes32 post,
        uint256 assignment
    );
    event GrantRevoked(uint256 indexed grantId, address by);
    event ConsentRecorded(
        uint256 indexed grantId,
        bytes32 indexed subject,
        ConsentState state,
        bytes32 evidenceHash,
        bytes32 committee,
        address by
    );
    event EmergencyDeclared(
        uint256 indexed emergencyId,
        bytes32 indexed recordId,
        bytes32 indexed custodian,
        address reader,
        bytes32 readerBody,
        uint256 fieldMask,
        bytes32 purpose,
        bytes32 reasonHash
    );
    event EmergencyReviewed(
        uint256 indexed emergencyId, bytes32 indexed custodian, bool justified, bytes32 outcomeHash, address by
    );

    /// @notice Decides whether `reader` may read `fieldMask` of `recordId` for `purpose` under `grantId` now.
    function checkAccess(address reader, bytes32 recordId, uint256 fieldMask, bytes32 purpose, uint256 grantId)
        external
        view
        returns (Decision);

    /// @notice Finds a grant under which `reader` may read `fieldMask` of `recordId` for `purpose` now.
    /// @return decision Granted or OwnBody when allowed, otherwise the reason of the newest candidate grant.
    /// @return grantId The grant that allows it (0 with OwnBody or when refused).
    function findGrant(address reader, bytes32 recordId, uint256 fieldMask, bytes32 purpose)
        external
        view
        returns (Decision decision, uint256 grantId);

    /// @notice A grant by id; reverts for an unknown id.
    function getGrant(uint256 grantId) external view returns (Grant memory);

    /// @notice An emergency declaration by id; reverts for an unknown id.
    function getEmergency(uint256 emergencyId) external view returns (Emergency memory);
}
