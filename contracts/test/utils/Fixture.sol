// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./Test.sol";
import {TeeCloudRegistry} from "../../src/TeeCloudRegistry.sol";
import {AppController} from "../../src/AppController.sol";
import {AppFactory} from "../../src/AppFactory.sol";
import {BootInfo} from "../../src/TeeCloudTypes.sol";

/// @notice A deployed network: registry (owned by `governance`), factory, one OS image and one
///         app (owned by `appOwner`, guarded by `guardian`) with manifest M1 (version 1) allowed.
abstract contract Fixture is Test {
    uint64 internal constant MIN_DELAY = 1 days;
    uint64 internal constant DELAY = 3 days;

    bytes32 internal constant OS_IMAGE = keccak256("os-image-1");
    bytes32 internal constant OS_IMAGE_2 = keccak256("os-image-2");
    bytes32 internal constant M1 = keccak256("manifest-v1");
    bytes32 internal constant M2 = keccak256("manifest-v2");
    bytes32 internal constant M3 = keccak256("manifest-v3");
    bytes32 internal constant DEVICE_A = keccak256("device-a");
    bytes32 internal constant DEVICE_B = keccak256("device-b");
    uint64 internal constant T0 = 1_700_000_000;

    address internal governance;
    address internal appOwner;
    address internal guardian;
    address internal stranger;

    TeeCloudRegistry internal registry;
    AppFactory internal factory;
    AppController internal app;

    function setUp() public virtual {
        vm.warp(T0);
        governance = makeAddr("governance");
        appOwner = makeAddr("appOwner");
        guardian = makeAddr("guardian");
        stranger = makeAddr("stranger");

        registry = new TeeCloudRegistry(governance, MIN_DELAY);
        factory = new AppFactory(registry);
        vm.startPrank(governance);
        registry.setAppFactory(address(factory));
        registry.addOsImage(OS_IMAGE);
        vm.stopPrank();

        vm.prank(appOwner);
        app = factory.createApp(defaultConfig());
    }

    /// @notice App config used by the fixture: device A only, no TCB rule.
    function defaultConfig() internal view returns (AppController.Config memory c) {
        bytes32[] memory devs = new bytes32[](1);
        devs[0] = DEVICE_A;
        c = AppController.Config({
            owner: appOwner,
            guardian: guardian,
            upgradeDelay: DELAY,
            manifestHash: M1,
            manifestVersion: 1,
            allowAnyDevice: false,
            devices: devs,
            requireUpToDateTcb: false
        });
    }

    /// @notice A boot of `app` with `manifest`/`version` on device A, up-to-date TCB.
    function boot(bytes32 manifest, uint64 version) internal view returns (BootInfo memory b) {
        b = BootInfo({
            appId: address(app),
            manifestHash: manifest,
            instanceId: address(0x1234),
            deviceId: DEVICE_A,
            mrAggregated: keccak256("mr"),
            osImageHash: OS_IMAGE,
            tcbStatus: "UpToDate",
            manifestVersion: version
        });
    }

    function assertAllowed(BootInfo memory b) internal view {
        (bool ok, string memory why) = app.isAppAllowed(b);
        assertEq(why, "");
        assertTrue(ok);
    }

    function assertRefused(BootInfo memory b, string memory expected) internal view {
        (bool ok, string memory why) = app.isAppAllowed(b);
        assertFalse(ok);
        assertEq(why, expected);
    }

    /// @notice Proposes `manifest` as the app owner and returns its readyAt.
    function proposeAs(bytes32 manifest, uint64 version) internal returns (uint64 readyAt) {
        vm.prank(appOwner);
        app.propose(manifest, version);
        readyAt = app.proposal(manifest).readyAt;
    }

    /// @notice Proposes, waits out the timelock and activates `manifest`.
    function upgradeTo(bytes32 manifest, uint64 version) internal {
        uint64 readyAt = proposeAs(manifest, version);
        vm.warp(readyAt);
        vm.prank(appOwner);
        app.activate(manifest);
    }
}
