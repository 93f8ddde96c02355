// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Grids of residents' committees and the posts members hold.
/// @dev A committee divides its residents into grids (网格): each has a code and a name, never personal
/// data. A body's admin assigns a member to a post (a code from the consortium's list), covering some
/// of the body's grids or the whole body, from one time until another. A member holds one assignment
/// at a time: a new one ends the old, and so do the admin, its end date and leaving the body.
interface IPosts {
    /// @dev One assignment of a member to a post. `grids` empty: the whole body. `endedAt` is set when the
    /// admin ends it, the member moves to another post or leaves (zero while it runs to `until`).
    struct Assignment {
        address member;
        bytes32 body;
        bytes32 post;
        uint64 from;
        uint64 until;
        uint64 endedAt;
        bytes32[] grids;
    }

    error PostsUnauthorized(address account);
    error PostsUnknownPost(bytes32 post);
    error PostsPostExists(bytes32 post);
    error PostsNotCommittee(bytes32 body);
    error PostsUnknownGrid(bytes32 body, bytes32 grid);
    error PostsGridExists(bytes32 body, bytes32 grid);
    error PostsInvalidName();
    error PostsInvalidPeriod(uint64 from, uint64 until);
    error PostsUnknownAssignment(uint256 assignmentId);
    error PostsAssignmentEnded(uint256 assignmentId);

    event PostDefined(bytes32 indexed post, address by);
    event GridDefined(bytes32 indexed body, bytes32 indexed grid, string name, address by);
    event PostAssigned(
        uint256 indexed assignmentId,
        bytes32 indexed body,
        address indexed member,
        bytes32 post,
        bytes32[] grids,
        uint64 from,
        uint64 until,
        address by
    );
    event AssignmentEnded(uint256 indexed assignmentId, bytes32 indexed body, address indexed member, address by);

    /// @notice Whether `post` is one of the consortium's post codes.
    function isPost(bytes32 post) external view returns (bool);

    /// @notice Whether assignment `assignmentId` is in force now: not ended, within its period, and its
    /// member still an active member of its body.
    function assignmentInForce(uint256 assignmentId) external view returns (bool);

    /// @notice The member's current assignment (0 when none); it may not be in force yet or any more.
    function assignmentOf(address member) external view returns (uint256);

    /// @notice Whether `member` holds `post` at `body` now (an assignment in force).
    function holdsPost(address member, bytes32 body, bytes32 post) external view returns (bool);

    /// @notice Whether `reader` may read, as their own body's, a resident of their body placed in `grid`
    /// (zero: placed in no grid): always in a body without grids; otherwise only under an assignment in
    /// force covering the whole body or that grid.
    function coversGrid(address reader, bytes32 grid) external view returns (bool);

    /// @notice The name of grid `grid` of `body` (empty when the body has no such grid).
    function gridName(bytes32 body, bytes32 grid) external view returns (string memory);
}
