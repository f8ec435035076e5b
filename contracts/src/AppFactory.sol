// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AppController} from "./AppController.sol";
import {ITeeCloudRegistry} from "./TeeCloudTypes.sol";

/// @title AppFactory — creates and registers an app in one transaction
/// @notice Deploys an `AppController` (whose address becomes the app id) with its first manifest
///         already allowed, and registers it with the registry. The registry owner must have
///         named this factory with `TeeCloudRegistry.setAppFactory`.
/// @dev Anyone may create apps; what an app may do is still bounded by the registry (OS images,
///      minimum upgrade delay) and the registry owner can deregister an app.
contract AppFactory {
    /// @notice The registry apps are registered with.
    ITeeCloudRegistry public immutable registry;

    /// @notice A zero registry address was given.
    error ZeroRegistry();

    /// @notice App `app` was created by `creator` for `owner` with its first manifest allowed.
    event AppCreated(
        address indexed app,
        address indexed owner,
        address indexed creator,
        bytes32 manifestHash,
        uint64 manifestVersion
    );

    /// @param registry_ The registry apps are registered with.
    constructor(ITeeCloudRegistry registry_) {
        if (address(registry_) == address(0)) revert ZeroRegistry();
        registry = registry_;
    }

    /// @notice Deploys an app controller configured by `config` and registers it.
    /// @return app The new controller; its address is the app id.
    function createApp(AppController.Config calldata config) external returns (AppController app) {
        app = new AppController(registry, config);
        registry.registerApp(address(app));
        emit AppCreated(address(app), config.owner, msg.sender, config.manifestHash, config.manifestVersion);
    }
}
