// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IBodyRegistry, ROLE_ADMIN, ROLE_OFFICER} from "./interfaces/IBodyRegistry.sol";
import {IRecordRegistry} from "./interfaces/IRecordRegistry.sol";
import {IResidentRegistry} from "./interfaces/IResidentRegistry.sol";

/// @title RecordRegistry
/// @notice The on-chain side of resident records: id, subject id, custodian body, category,
/// version history of commitments, and status. The record itself stays off-chain, encrypted,
/// with its custodian. Also holds the category taxonomy (field schema, consent requirement),
/// managed by the founding body's admins. A residents' committee's record of a resident of no
/// committee enrols the resident in that committee ({IResidentRegistry}).
/// @dev A commitment is the root of an OpenZeppelin StandardMerkleTree whose leaves are
/// `(bytes32 salt, string fieldName, bytes32 keccak256(JCS(value)))`.
contract RecordRegistry is IRecordRegistry, ERC2771Context {
    struct Record {
        bytes32 subject;
        bytes32 custodian;
        bytes32 category;
        uint32 version;
        RecordStatus status;
    }

    struct Category {
        bool defined;
        bool requiresConsent;
        bytes32[] fields;
        mapping(bytes32 fieldNameHash => uint256 indexPlusOne) index;
    }

    uint256 private constant MAX_FIELDS = 256;

    IBodyRegistry private immutable _bodies;
    IResidentRegistry private immutable _residents;
    mapping(bytes32 recordId => Record) private _records;
    mapping(bytes32 recordId => mapping(uint32 version => bytes32 commitment)) private _commitments;
    mapping(bytes32 category => Category) private _categories;

    constructor(address trustedForwarder, IBodyRegistry bodies, IResidentRegistry residents)
        ERC2771Context(trustedForwarder)
    {
        _bodies = bodies;
        _residents = residents;
    }

    // ---------------------------------------------------------------- views

    /// @notice The body registry this contract takes members and roles from.
    function bodyRegistry() external view returns (IBodyRegistry) {
        return _bodies;
    }

    /// @inheritdoc IRecordRegistry
    function getRecord(bytes32 recordId) public view returns (RecordView memory) {
        Record storage r = _known(recordId);
        return RecordView(r.subject, r.custodian, r.category, r.version, r.status, _commitments[recordId][r.version]);
    }

    /// @notice The commitment of `version` of `recordId`; reverts for an unknown version.
    function commitmentOf(bytes32 recordId, uint32 version) public view returns (bytes32) {
        Record storage r = _known(recordId);
        if (version == 0 || version > r.version) revert RecordRegistryUnknownVersion(recordId, version);
        return _commitments[recordId][version];
    }

    /// @notice Verifies a disclosed field of a record version against its on-chain commitment.
    /// @param salt The field's random salt.
    /// @param fieldName The field's name.
    /// @param valueHash keccak256 of the field value's RFC 8785 canonical JSON.
    /// @param proof The StandardMerkleTree proof of the field's leaf.
    /// @return True when the leaf is in the tree whose root is the version's commitment.
    function verifyField(
        bytes32 recordId,
        uint32 version,
        bytes32 salt,
        string calldata fieldName,
        bytes32 valueHash,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(salt, fieldName, valueHash))));
        return MerkleProof.verifyCalldata(proof, commitmentOf(recordId, version), leaf);
    }

    /// @inheritdoc IRecordRegistry
    function getCategory(bytes32 category) external view returns (CategoryView memory) {
        Category storage c = _categories[category];
        return CategoryView(c.defined, c.requiresConsent, c.fields);
    }

    /// @inheritdoc IRecordRegistry
    function categoryFieldCount(bytes32 category) external view returns (uint256) {
        return _categories[category].fields.length;
    }

    // ----------------------------------------------------------- taxonomy

    /// @notice Defines a record category with its initial fields (bit i of a field mask = field i).
    /// @dev Requires: caller is an admin of the founding body; the category is new, non-zero,
    /// with at most 256 distinct field names. Emits {CategoryDefined} and {CategoryFieldsAdded}.
    function defineCategory(bytes32 category, bool requiresConsent, string[] calldata fieldNames) external {
        _requireFounderAdmin();
        if (category == bytes32(0)) revert RecordRegistryZeroValue();
        Category storage c = _categories[category];
        if (c.defined) revert RecordRegistryCategoryExists(category);
        c.defined = true;
        c.requiresConsent = requiresConsent;
        emit CategoryDefined(category, requiresConsent, _msgSender());
        _addFields(category, c, fieldNames);
    }

    /// @notice Appends fields to a category; existing field indices never move.
    /// @dev Requires: caller is an admin of the founding body; the category is defined; names
    /// are new. Emits {CategoryFieldsAdded}.
    function addCategoryFields(bytes32 category, string[] calldata fieldNames) external {
        _requireFounderAdmin();
        _addFields(category, _definedCategory(category), fieldNames);
    }

    /// @notice Sets whether grants on `category` need the resident's consent to take effect.
    /// @dev Requires: caller is an admin of the founding body; the category is defined.
    /// Returns false and emits nothing when unchanged. Emits {CategoryConsentChanged}.
    function setCategoryConsent(bytes32 category, bool requiresConsent) external returns (bool changed) {
        _requireFounderAdmin();
        Category storage c = _definedCategory(category);
        if (c.requiresConsent == requiresConsent) return false;
        c.requiresConsent = requiresConsent;
        emit CategoryConsentChanged(category, requiresConsent, _msgSender());
        return true;
    }

    // ------------------------------------------------------------- records

    /// @notice Registers version 1 of a record held by the caller's body.
    /// @dev Requires: caller is an officer or admin of an active body (the custodian); ids,
    /// subject and commitment are non-zero; the record id is unused; the category is defined. A
    /// residents' committee's record of a resident of no committee enrols the resident in it.
    /// Registering the same id twice reverts, which makes anchoring idempotent per record.
    /// Emits {RecordRegistered}, and {IResidentRegistry-ResidentEnrolled} on enrolment.
    function registerRecord(bytes32 recordId, bytes32 subject, bytes32 category, bytes32 commitment) external {
        bytes32 custodian = _requireMember(ROLE_OFFICER | ROLE_ADMIN);
        if (recordId == bytes32(0) || subject == bytes32(0) || commitment == bytes32(0)) {
            revert RecordRegistryZeroValue();
        }
        if (_records[recordId].status != RecordStatus.None) revert RecordRegistryRecordExists(recordId);
        _definedCategory(category);
        _records[recordId] = Record(subject, custodian, category, 1, RecordStatus.Active);
        _commitments[recordId][1] = commitment;
        emit RecordRegistered(recordId, subject, custodian, category, commitment, _msgSender());
        if (_bodies.getBody(custodian).kind == IBodyRegistry.BodyKind.ResidentsCommittee) {
            _residents.enrolOnRecord(subject, custodian, _msgSender());
        }
    }

    /// @notice Adds version `version` of a record with a new commitment; earlier versions stay.
    /// @dev Requires: caller is an officer or admin of the custodian; the record is active;
    /// `version` is exactly the current version plus one (so a replayed update fails).
    /// Emits {RecordUpdated}.
    function updateRecord(bytes32 recordId, uint32 version, bytes32 commitment) external {
        Record storage r = _ownActive(recordId, ROLE_OFFICER | ROLE_ADMIN);
        if (commitment == bytes32(0)) revert RecordRegistryZeroValue();
        if (version != r.version + 1) revert RecordRegistryVersionMismatch(recordId, r.version + 1, version);
        r.version = version;
        _commitments[recordId][version] = commitment;
        emit RecordUpdated(recordId, version, commitment, _msgSender());
    }

    /// @notice Marks a record erased (its data key was destroyed off-chain); commitments stay.
    /// @dev Requires: caller is an admin of the custodian; the record is active. Emits {RecordErased}.
    function eraseRecord(bytes32 recordId) external {
        Record storage r = _ownActive(recordId, ROLE_ADMIN);
        r.status = RecordStatus.Erased;
        emit RecordErased(recordId, r.version, _msgSender());
    }

    // ----------------------------------------------------------- internals

    function _known(bytes32 recordId) private view returns (Record storage r) {
        r = _records[recordId];
        if (r.status == RecordStatus.None) revert RecordRegistryUnknownRecord(recordId);
    }

    function _requireMember(uint8 anyOf) private view returns (bytes32 body) {
        address sender = _msgSender();
        uint8 roles;
        (body, roles) = _bodies.memberOf(sender);
        if (roles & anyOf == 0) revert RecordRegistryUnauthorized(sender, anyOf);
    }

    function _ownActive(bytes32 recordId, uint8 anyOf) private view returns (Record storage r) {
        bytes32 body = _requireMember(anyOf);
        r = _known(recordId);
        if (r.custodian != body) revert RecordRegistryNotCustodian(_msgSender(), r.custodian);
        if (r.status != RecordStatus.Active) revert RecordRegistryRecordErased(recordId);
    }

    function _requireFounderAdmin() private view {
        address sender = _msgSender();
        (bytes32 body, uint8 roles) = _bodies.memberOf(sender);
        if (body != _bodies.founder() || roles & ROLE_ADMIN == 0) revert RecordRegistryUnauthorized(sender, ROLE_ADMIN);
    }

    function _definedCategory(bytes32 category) private view returns (Category storage c) {
        c = _categories[category];
        if (!c.defined) revert RecordRegistryUnknownCategory(category);
    }

    function _addFields(bytes32 category, Category storage c, string[] calldata names) private {
        uint256 first = c.fields.length;
        if (first + names.length > MAX_FIELDS) revert RecordRegistryTooManyFields(category, first + names.length);
        for (uint256 i = 0; i < names.length; ++i) {
            bytes32 h = keccak256(bytes(names[i]));
            if (bytes(names[i]).length == 0) revert RecordRegistryZeroValue();
            if (c.index[h] != 0) revert RecordRegistryDuplicateField(category, h);
            c.fields.push(h);
            c.index[h] = c.fields.length;
        }
        emit CategoryFieldsAdded(category, first, names, _msgSender());
    }
}
