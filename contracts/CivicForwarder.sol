// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/// @title CivicForwarder
/// @notice Relays a person's EIP-712 signed request (nonce and deadline checked) so that a
/// body's node can submit it while the target contracts record the person as the actor.
/// @dev OpenZeppelin's audited ERC2771Forwarder under the EIP-712 domain "CivicLedger", version "1".
contract CivicForwarder is ERC2771Forwarder {
    constructor() ERC2771Forwarder("CivicLedger") {}
}
