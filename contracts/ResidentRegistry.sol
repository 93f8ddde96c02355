// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IBodyRegistry, ROLE_ADMIN, ROLE_OFFICER} from "./interfaces/IBodyRegistry.sol";
import {IResidentRegistry} from "./interfaces/IResidentRegistry.sol";

/// @title ResidentRegistry
/// @notice Each resident (a subject id) belongs to exactly one residents' committee, which alone
/// acts for them. A committee enrols a resident explicitly or by registering their first record;
/// a move to another committee needs the admins of both committees, or of the subdistrict office
/// both committees belong to; the history of committees is kept. Wallets that residents hold
/// are bound to their subject by their own committee.
/// @dev No personal data: subjects are keyed hashes, committees body ids.
contract ResidentRegistry is IResidentRegistry, ERC2771Context {
    IBodyRegistry private immutable _bodies;
    address private immutable _recordRegistry;

    mapping(bytes32 subject => bytes32 committee) private _committees;
    mapping(bytes32 subject => Membership[]) private _history;
    mapping(bytes32 subject => Transfer) private _transfers;
    mapping(address account => bytes32 subject) private _wallets;
    mapping(bytes32 subject => Placement) private _placements;
    mapping(bytes32 subject => mapping(bytes32 category => uint8)) private _noticeChoices;

    /// @param recordRegistry The record registry, the only caller of {enrolOnRecord} (its address is
    /// known before it is deployed: it is created next, by the same deployer).
    constructor(address trustedForwarder, IBodyRegistry bodies, address recordRegistry)
        ERC2771Context(trustedForwarder)
    {
        _bodies = bodies;
        _recordRegistry = recordRegistry;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IResidentRegistry
    function committeeOf(bytes32 subject) public view returns (bytes32) {
        return _committees[subject];
    }

    /// @notice Every committee `subject` has belonged to, oldest first, with when each began.
    function historyOf(bytes32 subject) external view returns (Membership[] memory) {
        return _history[subject];
    }

    /// @notice The move of `subject` waiting for its second approval (`to` is zero when none).
    function pendingTransfer(bytes32 subject) external view returns (Transfer memory) {
        return _transfers[subject];
    }

    /// @inheritdoc IResidentRegistry
    function residentSubject(address account) external view returns (bytes32) {
        return _wallets[account];
    }

    /// @inheritdoc IResidentRegistry
    function actsFor(address account, bytes32 subject) public view returns (bool) {
        bytes32 committee = _committees[subject];
        if (committee == bytes32(0)) return false;
        (bytes32 body, uint8 roles) = _bodies.memberOf(account);
        return body == committee && roles & (ROLE_OFFICER | ROLE_ADMIN) != 0;
    }

    /// @inheritdoc IResidentRegistry
    function gridOf(bytes32 subject) public view returns (bytes32) {
        Placement storage p = _placements[subject];
        return p.committee == _committees[subject] ? p.grid : bytes32(0);
    }

    // ------------------------------------------------------------ enrolment

    /// @notice Enrols `subject` in the caller's residents' committee.
    /// @dev Requires: caller is an officer or admin of an active residents' committee; the subject is
    /// non-zero and belongs to no committee. Emits {ResidentEnrolled}.
    function enrol(bytes32 subject) external {
        address sender = _msgSender();
        (bytes32 body, uint8 roles) = _bodies.memberOf(sender);
        if (roles & (ROLE_OFFICER | ROLE_ADMIN) == 0) revert ResidentRegistryUnauthorized(sender, ROLE_OFFICER);
        _requireCommittee(body);
        if (subject == bytes32(0)) revert ResidentRegistryZeroValue();
        if (_committees[subject] != bytes32(0)) revert ResidentRegistryEnrolled(subject, _committees[subject]);
        _enrol(subject, body, sender);
    }

    /// @inheritdoc IResidentRegistry
    /// @dev Requires: the caller is the record registry; `committee` is a residents' committee. Does
    /// nothing when the subject belongs to a committee already (a committee may keep records of people
    /// living in its area who are registered elsewhere; it does not become their committee).
    /// Emits {ResidentEnrolled} when it enrols.
    function enrolOnRecord(bytes32 subject, bytes32 committee, address by) external {
        if (msg.sender != _recordRegistry) revert ResidentRegistryOnlyRecordRegistry(msg.sender);
        if (_committees[subject] == bytes32(0)) _enrol(subject, committee, by);
    }

    // ------------------------------------------------------------- transfers

    /// @notice Approves moving `subject` from their committee to `to`. The move happens when the
    /// admins of both committees approved the same destination, or at once when an admin of a
    /// subdistrict office that is the parent of both committees approves.
    /// @dev Requires: caller is an admin of the current committee, of `to`, or of the parent office;
    /// `to` is an active residents' committee other than the current one. An approval for another
    /// destination replaces the pending one. Emits {TransferApproved}, and {ResidentTransferred}
    /// when the move happens.
    /// @return moved Whether the resident now belongs to `to`.
    function approveTransfer(bytes32 subject, bytes32 to) external returns (bool moved) {
        address sender = _msgSender();
        bytes32 from = _committees[subject];
        if (from == bytes32(0)) revert ResidentRegistryNotEnrolled(subject);
        _requireCommittee(to);
        if (to == from) revert ResidentRegistryEnrolled(subject, from);
        (bytes32 body, uint8 roles) = _bodies.memberOf(sender);
        if (roles & ROLE_ADMIN == 0) revert ResidentRegistryUnauthorized(sender, ROLE_ADMIN);
        Transfer storage t = _transfers[subject];
        if (t.to != to) (t.to, t.fromApproved, t.toApproved) = (to, false, false);
        if (body == from) {
            t.fromApproved = true;
        } else if (body == to) {
            t.toApproved = true;
        } else {
            bytes32 parent = _bodies.getBody(from).parent;
            IBodyRegistry.BodyView memory office = _bodies.getBody(body);
            if (
                body != parent || parent != _bodies.getBody(to).parent
                    || office.kind != IBodyRegistry.BodyKind.SubdistrictOffice
            ) revert ResidentRegistryNotTransferParty(sender, subject, to);
            (t.fromApproved, t.toApproved) = (true, true);
        }
        emit TransferApproved(subject, from, to, body, sender);
        if (!(t.fromApproved && t.toApproved)) return false;
        delete _transfers[subject];
        _committees[subject] = to;
        _history[subject].push(Membership(to, uint64(block.timestamp)));
        emit ResidentTransferred(subject, from, to, sender);
        return true;
    }

    // ----------------------------------------------------------------- grids

    /// @notice Places `subject` in grid `grid` of their committee (zero: in no grid). A placement made by
    /// one committee lapses when the resident moves to another.
    /// @dev Requires: caller is an admin of the committee `subject` belongs to (not any officer: a grid
    /// worker who could place residents in their own grid could read them); the grid is one the
    /// committee published ({IPosts-gridName}). Emits {ResidentPlaced}.
    function placeInGrid(bytes32 subject, bytes32 grid) external {
        bytes32 committee = _requireActsFor(subject);
        (bytes32 body, uint8 roles) = _bodies.memberOf(_msgSender());
        if (body != committee || roles & ROLE_ADMIN == 0) revert ResidentRegistryUnauthorized(_msgSender(), ROLE_ADMIN);
        if (grid != bytes32(0) && bytes(_bodies.gridName(committee, grid)).length == 0) {
            revert ResidentRegistryUnknownGrid(committee, grid);
        }
        _placements[subject] = Placement(committee, grid);
        emit ResidentPlaced(subject, committee, grid, _msgSender());
    }

    // --------------------------------------------------------------- wallets

    /// @notice Binds a resident's own account to their subject id, so they can sign in and consent.
    /// @dev Requires: caller is an officer or admin of the committee `subject` belongs to; the account
    /// is not a body member and not bound yet. Emits {ResidentBound}.
    function bindWallet(address account, bytes32 subject) external {
        bytes32 committee = _requireActsFor(subject);
        if (account == address(0)) revert ResidentRegistryZeroValue();
        (bytes32 body,) = _bodies.memberOf(account);
        if (body != bytes32(0) || _wallets[account] != bytes32(0)) {
            revert ResidentRegistryWalletBound(account, _wallets[account]);
        }
        _wallets[account] = subject;
        emit ResidentBound(account, subject, committee, _msgSender());
    }

    /// @notice Unbinds a resident's account from their subject id.
    /// @dev Requires: the account is bound; caller is the account itself, or an officer or admin of
    /// the committee its subject belongs to. Emits {ResidentUnbound}.
    function unbindWallet(address account) external {
        bytes32 subject = _wallets[account];
        if (subject == bytes32(0)) revert ResidentRegistryNotBound(account);
        bytes32 committee = _committees[subject];
        if (_msgSender() != account) committee = _requireActsFor(subject);
        delete _wallets[account];
        emit ResidentUnbound(account, subject, committee, _msgSender());
    }

    // -------------------------------------------------------------- notices

    /// @inheritdoc IResidentRegistry
    function noticeChoice(bytes32 subject, bytes32 category) external view returns (uint8) {
        return _noticeChoices[subject][category];
    }

    /// @notice Sets how a resident is told of reads of their records of `category`: 0 as the node's
    /// settings say, 1 each read at once, 2 in a daily digest, 3 not at all.
    /// @dev Requires: `choice` <= 3; caller is the resident's own bound account, or an officer or admin of
    /// their committee recording the evidence of the resident's wish (`evidenceHash` non-zero: a salted
    /// hash, the text kept at the committee's node). Emits {NoticeChoiceSet}.
    function setNoticeChoice(bytes32 subject, bytes32 category, uint8 choice, bytes32 evidenceHash) external {
        if (choice > 3) revert ResidentRegistryInvalidChoice(choice);
        if (category == bytes32(0)) revert ResidentRegistryZeroValue();
        address sender = _msgSender();
        if (subject == bytes32(0) || _wallets[sender] != subject) {
            _requireActsFor(subject);
            if (evidenceHash == bytes32(0)) revert ResidentRegistryZeroValue();
        }
        _noticeChoices[subject][category] = choice;
        emit NoticeChoiceSet(subject, category, choice, sender, evidenceHash);
    }

    // ------------------------------------------------------------ internals

    function _enrol(bytes32 subject, bytes32 committee, address by) private {
        _committees[subject] = committee;
        _history[subject].push(Membership(committee, uint64(block.timestamp)));
        emit ResidentEnrolled(subject, committee, by);
    }

    function _requireCommittee(bytes32 body) private view {
        IBodyRegistry.BodyView memory b = _bodies.getBody(body);
        if (!b.active || b.kind != IBodyRegistry.BodyKind.ResidentsCommittee) revert ResidentRegistryNotCommittee(body);
    }

    function _requireActsFor(bytes32 subject) private view returns (bytes32 committee) {
        address sender = _msgSender();
        if (subject == bytes32(0)) revert ResidentRegistryZeroValue();
        if (!actsFor(sender, subject)) revert ResidentRegistryNotResidentsCommittee(sender, subject);
        return _committees[subject];
    }
}
