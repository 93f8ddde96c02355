// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IBodyRegistry, ROLE_ADMIN} from "../interfaces/IBodyRegistry.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";
import {IResidentRegistry} from "../interfaces/IResidentRegistry.sol";
import {IAccessRegistry} from "../interfaces/IAccessRegistry.sol";

/// @title AccessBase
/// @notice What the access registry's parts share: the registries it asks, the purpose codes,
/// and the checks of who may act.
abstract contract AccessBase is IAccessRegistry, ERC2771Context {
    IBodyRegistry internal immutable _bodies;
    IRecordRegistry internal immutable _records;
    IResidentRegistry internal immutable _residents;

    mapping(bytes32 purpose => bool) private _purposes;

    constructor(address trustedForwarder, IBodyRegistry bodies, IRecordRegistry records, IResidentRegistry residents)
        ERC2771Context(trustedForwarder)
    {
        _bodies = bodies;
        _records = records;
        _residents = residents;
    }

    /// @notice Whether `purpose` is an accepted purpose code.
    function isPurpose(bytes32 purpose) public view returns (bool) {
        return _purposes[purpose];
    }

    /// @notice Accepts `purpose` as a purpose code.
    /// @dev Requires: caller is an admin of the founding body; the code is new. Emits {PurposeDefined}.
    function definePurpose(bytes32 purpose) external {
        _requireFounderAdmin();
        if (purpose == bytes32(0)) revert AccessRegistryZeroValue();
        if (_purposes[purpose]) revert AccessRegistryPurposeExists(purpose);
        _purposes[purpose] = true;
        emit PurposeDefined(purpose, _msgSender());
    }

    /// @notice Stops accepting `purpose` for new requests and declarations; existing grants keep it.
    /// @dev Requires: caller is an admin of the founding body; the code is accepted. Emits {PurposeRetired}.
    function retirePurpose(bytes32 purpose) external {
        _requireFounderAdmin();
        if (!_purposes[purpose]) revert AccessRegistryUnknownPurpose(purpose);
        _purposes[purpose] = false;
        emit PurposeRetired(purpose, _msgSender());
    }

    function _requirePurpose(bytes32 purpose) internal view {
        if (!_purposes[purpose]) revert AccessRegistryUnknownPurpose(purpose);
    }

    function _checkFields(bytes32 category, uint256 fieldMask) internal view {
        uint256 n = _records.categoryFieldCount(category);
        if (n == 0 || fieldMask == 0 || (n < 256 && fieldMask >> n != 0)) {
            revert AccessRegistryInvalidFields(category, fieldMask);
        }
    }

    function _requireCustodianAdmin(bytes32 custodian) internal view {
        address sender = _msgSender();
        (bytes32 body, uint8 roles) = _bodies.memberOf(sender);
        if (roles & ROLE_ADMIN == 0) revert AccessRegistryUnauthorized(sender, ROLE_ADMIN);
        if (body != custodian) revert AccessRegistryNotCustodian(sender, custodian);
    }

    function _requireFounderAdmin() private view {
        address sender = _msgSender();
        (bytes32 body, uint8 roles) = _bodies.memberOf(sender);
        if (body != _bodies.founder() || roles & ROLE_ADMIN == 0) revert AccessRegistryUnauthorized(sender, ROLE_ADMIN);
    }
}
