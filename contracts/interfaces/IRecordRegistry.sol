// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Commitments of off-chain resident records, and the category taxonomy.
/// @dev No personal data: a subject is a keyed hash, a record's content is a Merkle root
/// over salted field leaves; field names are schema, not data.
interface IRecordRegistry {
    enum RecordStatus {
        None,
        Active,
        Erased
    }

    struct RecordView {
        bytes32 subject;
        bytes32 custodian;
        bytes32 category;
        uint32 version;
        RecordStatus status;
        bytes32 commitment;
    }

    struct CategoryView {
        bool defined;
        bool requiresConsent;
        bytes32[] fieldNameHashes;
    }

    error RecordRegistryZeroValue();
    error RecordRegistryUnauthorized(address account, uint8 neededRoles);
    error RecordRegistryNotCustodian(address account, bytes32 custodian);
    error RecordRegistryRecordExists(bytes32 recordId);
    error RecordRegistryUnknownRecord(bytes32 recordId);
    error RecordRegistryRecordErased(bytes32 recordId);
    error RecordRegistryVersionMismatch(bytes32 recordId, uint32 expected, uint32 given);
    error RecordRegistryUnknownVersion(bytes32 recordId, uint32 version);
    error RecordRegistryUnknownCategory(bytes32 category);
    error RecordRegistryCategoryExists(bytes32 category);
    error RecordRegistryDuplicateField(bytes32 category, bytes32 fieldNameHash);
    error RecordRegistryTooManyFields(bytes32 category, uint256 count);

    event CategoryDefined(bytes32 indexed category, bool requiresConsent, address by);
    event CategoryFieldsAdded(bytes32 indexed category, uint256 firstIndex, string[] fieldNames, address by);
    event CategoryConsentChanged(bytes32 indexed category, bool requiresConsent, address by);
    event RecordRegistered(
        bytes32 indexed recordId,
        bytes32 indexed subject,
        bytes32 indexed custodian,
        bytes32 category,
        bytes32 commitment,
        address by
    );
    event RecordUpdated(bytes32 indexed recordId, uint32 version, bytes32 commitment, address by);
    event RecordErased(bytes32 indexed recordId, uint32 version, address by);

    /// @notice The current state of `recordId`; reverts for an unknown record.
    function getRecord(bytes32 recordId) external view returns (RecordView memory);

    /// @notice Whether `category` is defined and requires consent, and its field schema.
    function getCategory(bytes32 category) external view returns (CategoryView memory);

    /// @notice Number of fields defined for `category` (bits of a field mask).
    function categoryFieldCount(bytes32 category) external view returns (uint256);
}
