// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A counter anyone can add to; every change is an event.
contract Counter {
    uint256 public count;

    event Incremented(address indexed by, uint256 amount, uint256 count);

    error ZeroAmount();

    function increment() external {
        _add(1);
    }

    function add(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        _add(amount);
    }

    function addAtMost(uint256 amount, uint256 limit) external {
        require(count + amount <= limit, "over the limit");
        _add(amount);
    }

    function _add(uint256 amount) private {
        count += amount;
        emit Incremented(msg.sender, amount, count);
    }
}
