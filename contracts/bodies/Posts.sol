// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IPosts} from "../interfaces/IPosts.sol";

/// @title Posts
/// @notice The grids of residents' committees, the consortium's post codes, and which member holds
/// which post covering which grids. {BodyRegistry} is built on it; {AccessRegistry} asks it who may
/// read a committee's residents ({coversGrid}) and whether a grant's post or assignment still holds.
/// @dev Ids of assignments start at 1. Access follows an assignment only while {assignmentInForce}.
abstract contract Posts is IPosts {
    uint256 private constant MAX_NAME = 64;

    mapping(bytes32 post => bool) private _postCodes;
    mapping(bytes32 body => bytes32[]) private _gridList;
    mapping(bytes32 body => mapping(bytes32 grid => string)) private _gridNames;
    Assignment[] private _assignments;
    mapping(uint256 assignmentId => mapping(bytes32 grid => bool)) private _covers;
    mapping(address member => uint256) private _current;

    constructor() {
        _assignments.push(); // index 0 is "none"
    }

    // ---------------------------------------------------------------- views

    /// @notice Whether `post` is one of the consortium's post codes.
    function isPost(bytes32 post) external view returns (bool) {
        return _postCodes[post];
    }

    /// @notice The codes of the grids of `body`, in the order they were published.
    function gridsOf(bytes32 body) external view returns (bytes32[] memory) {
        return _gridList[body];
    }

    /// @inheritdoc IPosts
    function gridName(bytes32 body, bytes32 grid) public view returns (string memory) {
        return _gridNames[body][grid];
    }

    /// @notice Assignment `assignmentId`; reverts for an unknown id.
    function getAssignment(uint256 assignmentId) external view returns (Assignment memory) {
        return _assignment(assignmentId);
    }

    /// @notice Number of assignments made so far.
    function assignmentCount() external view returns (uint256) {
        return _assignments.length - 1;
    }

    /// @inheritdoc IPosts
    function assignmentOf(address member) external view returns (uint256) {
        return _current[member];
    }

    /// @inheritdoc IPosts
    function assignmentInForce(uint256 assignmentId) public view returns (bool) {
        if (assignmentId == 0 || assignmentId >= _assignments.length) return false;
        Assignment storage a = _assignments[assignmentId];
        if (a.endedAt != 0 || block.timestamp < a.from || block.timestamp >= a.until) return false;
        (bytes32 body, uint8 roles) = memberOf(a.member);
        return body == a.body && roles != 0;
    }

    /// @inheritdoc IPosts
    function holdsPost(address member, bytes32 body, bytes32 post) external view returns (bool) {
        uint256 id = _current[member];
        if (!assignmentInForce(id)) return false;
        Assignment storage a = _assignments[id];
        return a.body == body && a.post == post;
    }

    /// @inheritdoc IPosts
    function coversGrid(address reader, bytes32 grid) external view returns (bool) {
        (bytes32 body,) = memberOf(reader);
        if (_gridList[body].length == 0) return true;
        uint256 id = _current[reader];
        if (!assignmentInForce(id)) return false;
        return _assignments[id].grids.length == 0 || (grid != bytes32(0) && _covers[id][grid]);
    }

    /// @notice The body and roles of `account` (see {IBodyRegistry-memberOf}).
    function memberOf(address account) public view virtual returns (bytes32 body, uint8 roles);

    // ------------------------------------------------------------ changes

    /// @notice Adds `post` to the consortium's post codes.
    /// @dev Requires: caller is an admin of the founding body; the code is new and non-zero. Emits {PostDefined}.
    function definePost(bytes32 post) external {
        _requireFounderAdmin();
        if (post == bytes32(0)) revert PostsUnknownPost(post);
        if (_postCodes[post]) revert PostsPostExists(post);
        _postCodes[post] = true;
        emit PostDefined(post, _sender());
    }

    /// @notice Publishes grid `grid` of the caller's residents' committee, named `name` (1 to 64 bytes;
    /// a place, never a person).
    /// @dev Requires: caller is an admin of an active residents' committee; the grid is new and non-zero.
    /// Emits {GridDefined}.
    function defineGrid(bytes32 grid, string calldata name) external {
        bytes32 body = _adminBody();
        if (!_isCommittee(body)) revert PostsNotCommittee(body);
        if (grid == bytes32(0)) revert PostsUnknownGrid(body, grid);
        if (bytes(_gridNames[body][grid]).length != 0) revert PostsGridExists(body, grid);
        if (bytes(name).length == 0 || bytes(name).length > MAX_NAME) revert PostsInvalidName();
        _gridNames[body][grid] = name;
        _gridList[body].push(grid);
        emit GridDefined(body, grid, name, _sender());
    }

    /// @notice Assigns `member` of the caller's body to `post`, covering `grids` of the body (none: the
    /// whole body) from `from` until `until`; ends the member's current assignment.
    /// @dev Requires: caller is an admin of the member's body; the post is defined; every grid is one of
    /// the body's; `from < until` and `until` is in the future. Emits {AssignmentEnded} for the old
    /// assignment and {PostAssigned}.
    function assignPost(address member, bytes32 post, bytes32[] calldata grids, uint64 from, uint64 until)
        external
        returns (uint256 assignmentId)
    {
        bytes32 body = _adminBody();
        (bytes32 memberBody, uint8 roles) = memberOf(member);
        if (memberBody != body || roles == 0) revert PostsUnauthorized(member);
        if (!_postCodes[post]) revert PostsUnknownPost(post);
        if (from >= until || until <= block.timestamp) revert PostsInvalidPeriod(from, until);
        _endCurrent(member);
        assignmentId = _assignments.length;
        _assignments.push(Assignment(member, body, post, from, until, 0, grids));
        for (uint256 i = 0; i < grids.length; ++i) {
            if (bytes(_gridNames[body][grids[i]]).length == 0) revert PostsUnknownGrid(body, grids[i]);
            _covers[assignmentId][grids[i]] = true;
        }
        _current[member] = assignmentId;
        emit PostAssigned(assignmentId, body, member, post, grids, from, until, _sender());
    }

    /// @notice Ends assignment `assignmentId` now: every grant bound to it stops at the next read.
    /// @dev Requires: caller is an admin of the assignment's body; it has not ended. Emits {AssignmentEnded}.
    function endAssignment(uint256 assignmentId) external {
        Assignment storage a = _assignment(assignmentId);
        if (_adminBody() != a.body) revert PostsUnauthorized(_sender());
        if (a.endedAt != 0) revert PostsAssignmentEnded(assignmentId);
        _end(assignmentId, a);
    }

    // ------------------------------------------------------------ internals

    /// @dev Ends the member's current assignment, if it has not ended (on a move, or when they leave).
    function _endCurrent(address member) internal {
        uint256 id = _current[member];
        if (id != 0 && _assignments[id].endedAt == 0) _end(id, _assignments[id]);
    }

    function _end(uint256 assignmentId, Assignment storage a) private {
        a.endedAt = uint64(block.timestamp);
        if (_current[a.member] == assignmentId) delete _current[a.member];
        emit AssignmentEnded(assignmentId, a.body, a.member, _sender());
    }

    function _assignment(uint256 assignmentId) private view returns (Assignment storage) {
        if (assignmentId == 0 || assignmentId >= _assignments.length) revert PostsUnknownAssignment(assignmentId);
        return _assignments[assignmentId];
    }

    function _sender() internal view virtual returns (address);

    /// @dev The body the caller administers; reverts when the caller is no admin.
    function _adminBody() internal view virtual returns (bytes32);

    function _requireFounderAdmin() internal view virtual;

    function _isCommittee(bytes32 body) internal view virtual returns (bool);
}
