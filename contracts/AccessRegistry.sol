// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IBodyRegistry, ROLE_ADMIN, ROLE_OFFICER} from "./interfaces/IBodyRegistry.sol";
import {IRecordRegistry} from "./interfaces/IRecordRegistry.sol";
import {IResidentRegistry} from "./interfaces/IResidentRegistry.sol";
import {IAccessRegistry} from "./interfaces/IAccessRegistry.sol";
import {AccessBase} from "./access/AccessBase.sol";
import {EmergencyAccess} from "./access/EmergencyAccess.sol";

/// @title AccessRegistry
/// @notice Who may read which fields of which resident records, for what purpose and until
/// when. Officers request; the custodian's admins approve with an expiry, deny or revoke;
/// residents (or their own committee, recording the evidence's hash) give or refuse consent
/// where the category needs it. Emergency reads: {EmergencyAccess}; purpose codes: {AccessBase}.
/// @dev Revocation and expiry take effect for the next {checkAccess}. Ids start at 1.
contract AccessRegistry is EmergencyAccess {
    /// @dev The question "may `reader` read `fieldMask` of `recordId` for `purpose`", with the
    /// record and the reader's body already looked up.
    struct Query {
        address reader;
        bytes32 readerBody;
        bytes32 recordId;
        uint256 fieldMask;
        bytes32 purpose;
        IRecordRegistry.RecordView rec;
    }

    Request[] private _requests;
    Grant[] private _grants;
    mapping(bytes32 recordId => uint256[]) private _recordGrants;
    mapping(bytes32 key => uint256[]) private _subjectGrants;
    mapping(bytes32 key => uint256[]) private _agreements;
    mapping(uint256 grantId => mapping(bytes32 subject => ConsentState)) private _consent;
    mapping(uint256 grantId => mapping(bytes32 subject => bool)) private _decidedByResident;

    constructor(address trustedForwarder, IBodyRegistry bodies, IRecordRegistry records, IResidentRegistry residents)
        AccessBase(trustedForwarder, bodies, records, residents)
    {
        // Index 0 is "none" for requests and grants.
        _requests.push();
        _grants.push();
    }

    // ---------------------------------------------------------------- views

    /// @notice A request by id; reverts for an unknown id.
    function getRequest(uint256 requestId) external view returns (Request memory) {
        if (requestId == 0 || requestId >= _requests.length) revert AccessRegistryUnknownRequest(requestId);
        return _requests[requestId];
    }

    /// @notice A grant by id; reverts for an unknown id.
    function getGrant(uint256 grantId) public view override returns (Grant memory) {
        return _grant(grantId);
    }

    /// @notice Number of requests, grants and emergencies made so far.
    function counts() external view returns (uint256 requests, uint256 grants, uint256 emergencies) {
        return (_requests.length - 1, _grants.length - 1, _emergencyCount());
    }

    /// @notice The consent recorded for `subject` under `grantId`.
    function consentOf(uint256 grantId, bytes32 subject) external view returns (ConsentState) {
        return _consent[grantId][subject];
    }

    /// @inheritdoc IAccessRegistry
    function checkAccess(address reader, bytes32 recordId, uint256 fieldMask, bytes32 purpose, uint256 grantId)
        public
        view
        returns (Decision)
    {
        (Decision d, Query memory q) = _precheck(reader, recordId, fieldMask, purpose);
        if (d != Decision.NoGrant) return d;
        if (grantId == 0 || grantId >= _grants.length) return Decision.NoGrant;
        return _evaluate(grantId, q);
    }

    /// @inheritdoc IAccessRegistry
    function findGrant(address reader, bytes32 recordId, uint256 fieldMask, bytes32 purpose)
        external
        view
        returns (Decision decision, uint256 grantId)
    {
        Query memory q;
        (decision, q) = _precheck(reader, recordId, fieldMask, purpose);
        if (decision != Decision.NoGrant) return (decision, 0);
        uint256[][3] memory lists = [
            _recordGrants[recordId],
            _subjectGrants[_subjectKey(q.rec.subject, q.rec.category, q.rec.custodian)],
            _agreements[_agreementKey(q.readerBody, q.rec.category, q.rec.custodian)]
        ];
        uint256 newest;
        for (uint256 l = 0; l < 3; ++l) {
            uint256[] memory ids = lists[l];
            for (uint256 i = 0; i < ids.length; ++i) {
                Decision d = _evaluate(ids[i], q);
                if (d == Decision.Granted) return (d, ids[i]);
                if (d != Decision.WrongGrant && ids[i] > newest) (newest, decision) = (ids[i], d);
            }
        }
        return (decision, 0);
    }

    // ------------------------------------------------------------- requests

    /// @notice Asks the custodian for access; see {Scope}. Agreements are asked by an admin.
    /// @dev Requires: caller is an officer or admin (admin for an agreement) of an active body
    /// other than the custodian; the custodian is active; the record (Record scope) is active;
    /// the fields exist in the category; the purpose is accepted; a justification hash is given.
    /// Emits {AccessRequested}.
    function requestAccess(RequestInput calldata input) external returns (uint256 requestId) {
        address sender = _msgSender();
        (bytes32 body, uint8 roles) = _bodies.memberOf(sender);
        uint8 needed = input.scope == Scope.Agreement ? ROLE_ADMIN : ROLE_OFFICER | ROLE_ADMIN;
        if (roles & needed == 0) revert AccessRegistryUnauthorized(sender, needed);
        if (input.justificationHash == bytes32(0)) revert AccessRegistryZeroValue();
        _requirePurpose(input.purpose);
        if (input.post != bytes32(0) && (input.scope == Scope.Agreement || !_bodies.isPost(input.post))) {
            revert AccessRegistryUnknownPost(input.post);
        }

        Request memory r;
        r.scope = input.scope;
        r.status = RequestStatus.Pending;
        r.requester = sender;
        r.requesterBody = body;
        r.fieldMask = input.fieldMask;
        r.purpose = input.purpose;
        r.justificationHash = input.justificationHash;
        r.post = input.post;
        if (input.post == bytes32(0) && input.scope != Scope.Agreement) {
            uint256 assignment = _bodies.assignmentOf(sender);
            if (_bodies.assignmentInForce(assignment)) r.assignment = assignment;
        }
        if (input.scope == Scope.Record) {
            IRecordRegistry.RecordView memory rec = _records.getRecord(input.recordId);
            if (rec.status != IRecordRegistry.RecordStatus.Active) revert AccessRegistryRecordNotActive(input.recordId);
            (r.recordId, r.subject, r.category, r.custodian) = (input.recordId, rec.subject, rec.category, rec.custodian);
        } else {
            bool hasSubject = input.subject != bytes32(0);
            if (input.recordId != bytes32(0) || hasSubject != (input.scope == Scope.SubjectCategory)) {
                revert AccessRegistryInvalidScope(input.scope);
            }
            (r.subject, r.category, r.custodian) = (input.subject, input.category, input.custodian);
        }
        if (r.custodian == body) revert AccessRegistryOwnBody(body);
        if (!_bodies.isActive(r.custodian)) revert AccessRegistryInactiveBody(r.custodian);
        _checkFields(r.category, r.fieldMask);

        requestId = _requests.length;
        _requests.push(r);
        emit AccessRequested(
            requestId,
            sender,
            r.custodian,
            r.scope,
            r.recordId,
            r.subject,
            r.category,
            r.fieldMask,
            r.purpose,
            r.justificationHash
        );
    }

    /// @notice Approves a pending request, creating a grant that ends at `expiresAt`.
    /// @dev Requires: caller is an admin of the custodian; the request is pending; `expiresAt`
    /// is in the future. Emits {GrantCreated} and {RequestApproved}.
    function approveRequest(uint256 requestId, uint64 expiresAt) external returns (uint256 grantId) {
        Request storage r = _pending(requestId);
        _requireCustodianAdmin(r.custodian);
        if (expiresAt <= block.timestamp) revert AccessRegistryInvalidExpiry(expiresAt);
        if (r.scope == Scope.Record) {
            IRecordRegistry.RecordView memory rec = _records.getRecord(r.recordId);
            if (rec.status != IRecordRegistry.RecordStatus.Active) revert AccessRegistryRecordNotActive(r.recordId);
        }
        grantId = _grants.length;
        address grantee = r.scope == Scope.Agreement || r.post != bytes32(0) ? address(0) : r.requester;
        _grants.push(
            Grant(
                r.scope,
                false,
                expiresAt,
                grantee,
                r.requesterBody,
                r.custodian,
                r.recordId,
                r.subject,
                r.category,
                r.fieldMask,
                r.purpose,
                requestId,
                r.post,
                r.assignment
            )
        );
        if (r.scope == Scope.Record) _recordGrants[r.recordId].push(grantId);
        else if (r.scope == Scope.SubjectCategory) _subjectGrants[_subjectKey(r.subject, r.category, r.custodian)].push(grantId);
        else _agreements[_agreementKey(r.requesterBody, r.category, r.custodian)].push(grantId);
        r.status = RequestStatus.Approved;
        r.grantId = grantId;
        emit GrantCreated(grantId, r.custodian, r.requesterBody, grantee, requestId, expiresAt, r.post, r.assignment);
        emit RequestApproved(requestId, grantId, expiresAt, _msgSender());
    }

    /// @notice Denies a pending request.
    /// @dev Requires: caller is an admin of the custodian; the request is pending. Emits {RequestDenied}.
    function denyRequest(uint256 requestId, bytes32 reasonHash) external {
        Request storage r = _pending(requestId);
        _requireCustodianAdmin(r.custodian);
        r.status = RequestStatus.Denied;
        emit RequestDenied(requestId, reasonHash, _msgSender());
    }

    /// @notice Withdraws the caller's own pending request.
    /// @dev Requires: caller made the request; it is pending. Emits {RequestCancelled}.
    function cancelRequest(uint256 requestId) external {
        Request storage r = _pending(requestId);
        if (r.requester != _msgSender()) revert AccessRegistryUnauthorized(_msgSender(), 0);
        r.status = RequestStatus.Cancelled;
        emit RequestCancelled(requestId, _msgSender());
    }

    /// @notice Revokes a grant; the next read under it is refused.
    /// @dev Requires: caller is an admin of the grant's custodian. Idempotent: returns false and
    /// emits nothing when already revoked. Emits {GrantRevoked}.
    function revokeGrant(uint256 grantId) external returns (bool changed) {
        Grant storage g = _grant(grantId);
        _requireCustodianAdmin(g.custodian);
        if (g.revoked) return false;
        g.revoked = true;
        emit GrantRevoked(grantId, _msgSender());
        return true;
    }

    // -------------------------------------------------------------- consent

    /// @notice Gives (`given`) or refuses consent for `subject` under `grantId`.
    /// @dev Requires: caller is the resident whose own account is bound to `subject`; or an officer
    /// or admin of the residents' committee `subject` belongs to ({IResidentRegistry-committeeOf}),
    /// recording a non-zero evidence hash, and only while the resident has not decided with their
    /// own account (their decision is never overridden). `subject` is the grant's own subject
    /// unless the grant is an agreement. Idempotent: returns false and emits nothing when nothing
    /// changes. Emits {ConsentRecorded}, naming the committee that acted (zero for the resident).
    function setConsent(uint256 grantId, bytes32 subject, bool given, bytes32 evidenceHash)
        external
        returns (bool changed)
    {
        Grant storage g = _grant(grantId);
        if (subject == bytes32(0)) revert AccessRegistryZeroValue();
        if (g.scope != Scope.Agreement && g.subject != subject) revert AccessRegistrySubjectMismatch(grantId, subject);
        address sender = _msgSender();
        bytes32 committee = bytes32(0); // the resident acts: no committee
        if (_residents.residentSubject(sender) == subject) {
            if (!_decidedByResident[grantId][subject]) {
                _decidedByResident[grantId][subject] = true;
                changed = true;
            }
        } else {
            if (!_residents.actsFor(sender, subject)) revert AccessRegistryNotConsentAuthority(sender, grantId);
            if (evidenceHash == bytes32(0)) revert AccessRegistryZeroValue();
            if (_decidedByResident[grantId][subject]) revert AccessRegistryResidentDecided(grantId, subject);
            committee = _residents.committeeOf(subject);
        }
        ConsentState state = given ? ConsentState.Given : ConsentState.Refused;
        if (_consent[grantId][subject] == state && !changed) return false;
        _consent[grantId][subject] = state;
        emit ConsentRecorded(grantId, subject, state, evidenceHash, committee, sender);
        return true;
    }

    // ------------------------------------------------------------ internals

    function _precheck(address reader, bytes32 recordId, uint256 fieldMask, bytes32 purpose)
        private
        view
        returns (Decision, Query memory q)
    {
        (q.reader, q.recordId, q.fieldMask, q.purpose) = (reader, recordId, fieldMask, purpose);
        uint8 roles;
        (q.readerBody, roles) = _bodies.memberOf(reader);
        if (roles & (ROLE_OFFICER | ROLE_ADMIN) == 0) return (Decision.NotMember, q);
        try _records.getRecord(recordId) returns (IRecordRegistry.RecordView memory r) {
            q.rec = r;
        } catch {
            return (Decision.UnknownRecord, q);
        }
        if (q.rec.status != IRecordRegistry.RecordStatus.Active) return (Decision.RecordErased, q);
        if (q.rec.custodian == q.readerBody) return (_ownBody(q), q);
        return (Decision.NoGrant, q);
    }

    /// @dev A read of the reader's own body's record: in a committee with grids, only of a resident of
    /// that committee placed in a grid the reader's post covers (or by a post covering the whole body).
    function _ownBody(Query memory q) private view returns (Decision) {
        bytes32 subject = q.rec.subject;
        bytes32 grid = _residents.committeeOf(subject) == q.readerBody ? _residents.gridOf(subject) : bytes32(0);
        return _bodies.coversGrid(q.reader, grid) ? Decision.OwnBody : Decision.OutsideGrid;
    }

    /// @dev Whether the reader is whom a person's or a post's grant names.
    function _isGrantee(Grant storage g, Query memory q) private view returns (bool) {
        if (g.post == bytes32(0)) return g.grantee == q.reader;
        return _bodies.holdsPost(q.reader, g.granteeBody, g.post);
    }

    function _evaluate(uint256 grantId, Query memory q) private view returns (Decision) {
        Grant storage g = _grants[grantId];
        bool covers = g.custodian == q.rec.custodian && g.granteeBody == q.readerBody;
        if (g.scope == Scope.Record) {
            covers = covers && g.recordId == q.recordId && _isGrantee(g, q);
        } else if (g.scope == Scope.SubjectCategory) {
            covers = covers && g.subject == q.rec.subject && g.category == q.rec.category && _isGrantee(g, q);
        } else {
            covers = covers && g.category == q.rec.category;
        }
        if (!covers) return Decision.WrongGrant;
        if (g.purpose != q.purpose) return Decision.PurposeMismatch;
        if (q.fieldMask == 0 || q.fieldMask & ~g.fieldMask != 0) return Decision.FieldsNotCovered;
        if (g.revoked) return Decision.Revoked;
        if (block.timestamp >= g.expiresAt) return Decision.Expired;
        if (g.assignment != 0 && !_bodies.assignmentInForce(g.assignment)) return Decision.PostEnded;
        if (_records.getCategory(q.rec.category).requiresConsent) {
            ConsentState c = _consent[grantId][q.rec.subject];
            if (c == ConsentState.None) return Decision.ConsentMissing;
            if (c == ConsentState.Refused) return Decision.ConsentRefused;
        }
        return Decision.Granted;
    }

    function _pending(uint256 requestId) private view returns (Request storage r) {
        if (requestId == 0 || requestId >= _requests.length) revert AccessRegistryUnknownRequest(requestId);
        r = _requests[requestId];
        if (r.status != RequestStatus.Pending) revert AccessRegistryRequestNotPending(requestId, r.status);
    }

    function _grant(uint256 grantId) private view returns (Grant storage) {
        if (grantId == 0 || grantId >= _grants.length) revert AccessRegistryUnknownGrant(grantId);
        return _grants[grantId];
    }

    function _subjectKey(bytes32 subject, bytes32 category, bytes32 custodian) private pure returns (bytes32) {
        return keccak256(abi.encode(subject, category, custodian));
    }

    function _agreementKey(bytes32 granteeBody, bytes32 category, bytes32 custodian) private pure returns (bytes32) {
        return keccak256(abi.encode(granteeBody, category, custodian));
    }
}
