// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "./utils/Fixture.sol";
import {AppController} from "../src/AppController.sol";
import {AppFactory} from "../src/AppFactory.sol";
import {TeeCloudRegistry} from "../src/TeeCloudRegistry.sol";
import {BootInfo, ITeeCloudRegistry} from "../src/TeeCloudTypes.sol";

contract AppFactoryTest is Fixture {
    event AppCreated(
        address indexed app,
        address indexed owner,
        address indexed creator,
        bytes32 manifestHash,
        uint64 manifestVersion
    );
    event AppRegistered(address indexed app, address indexed by);

    function test_createApp_deploysAndRegistersInOneTx() public {
        AppController.Config memory c = defaultConfig();
        c.manifestHash = M2;
        c.manifestVersion = 4;
        c.allowAnyDevice = true;
        c.requireUpToDateTcb = true;

        // Addresses from CREATE are predictable: factory nonce.
        vm.expectEmit(false, true, false, false, address(registry));
        emit AppRegistered(address(0), address(factory));
        vm.expectEmit(false, true, true, true, address(factory));
        emit AppCreated(address(0), appOwner, stranger, M2, 4);
        vm.prank(stranger); // anyone can create an app for an owner
        AppController a = factory.createApp(c);

        assertTrue(registry.isAppRegistered(address(a)));
        assertEq(a.owner(), appOwner);
        assertEq(a.guardian(), guardian);
        assertEq(address(a.registry()), address(registry));
        assertEq(a.upgradeDelay(), DELAY);
        // The initial manifest is allowed with no timelock.
        assertTrue(a.isManifestAllowed(M2));
        assertEq(a.manifestVersion(M2), 4);
        assertTrue(a.allowAnyDevice());
        assertTrue(a.requireUpToDateTcb());

        BootInfo memory b = boot(M2, 4);
        b.appId = address(a);
        b.deviceId = keccak256("anywhere");
        (bool ok, string memory why) = registry.isAppAllowed(b);
        assertTrue(ok);
        assertEq(why, "");
    }

    function test_createApp_distinctIds() public {
        vm.prank(appOwner);
        AppController a = factory.createApp(defaultConfig());
        assertTrue(address(a) != address(app));
        assertEq(registry.appCount(), 2);
    }

    function test_createApp_requiresFactoryToBeNamed() public {
        AppFactory rogue = new AppFactory(registry);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.NotOwnerOrFactory.selector, address(rogue)));
        rogue.createApp(defaultConfig());
    }

    function test_createApp_badConfigReverts() public {
        AppController.Config memory c = defaultConfig();
        c.upgradeDelay = 0;
        vm.expectRevert(abi.encodeWithSelector(AppController.DelayBelowMinimum.selector, 0, MIN_DELAY));
        factory.createApp(c);
        c = defaultConfig();
        c.manifestHash = bytes32(0);
        vm.expectRevert(AppController.ZeroValue.selector);
        factory.createApp(c);
        assertEq(registry.appCount(), 1);
    }

    function test_constructor_zeroRegistry() public {
        vm.expectRevert(AppFactory.ZeroRegistry.selector);
        new AppFactory(ITeeCloudRegistry(address(0)));
        assertEq(address(factory.registry()), address(registry));
    }
}
