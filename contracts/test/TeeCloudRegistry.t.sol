// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Fixture} from "./utils/Fixture.sol";
import {TeeCloudRegistry} from "../src/TeeCloudRegistry.sol";
import {BootInfo, IBootAuth} from "../src/TeeCloudTypes.sol";

/// @notice A controller that always reverts.
contract RevertingController is IBootAuth {
    function isAppAllowed(BootInfo calldata) external pure returns (bool, string memory) {
        revert("boom");
    }
}

/// @notice A controller that allows everything.
contract PermissiveController is IBootAuth {
    function isAppAllowed(BootInfo calldata) external pure returns (bool, string memory) {
        return (true, "");
    }
}

contract TeeCloudRegistryTest is Fixture {
    bytes32 internal constant K1 = keccak256("kms-1");
    bytes32 internal constant K2 = keccak256("kms-2");
    bytes32 internal constant K3 = keccak256("kms-3");
    bytes32 internal constant KMS_MR = keccak256("kms-mr");

    function unauthorized(address who) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, who);
    }

    function kmsBoot() internal pure returns (BootInfo memory b) {
        b = BootInfo({
            appId: address(0),
            manifestHash: bytes32(0),
            instanceId: address(0x42),
            deviceId: DEVICE_A,
            mrAggregated: KMS_MR,
            osImageHash: OS_IMAGE,
            tcbStatus: "UpToDate",
            manifestVersion: 0
        });
    }

    function assertKms(BootInfo memory b, bool allowed, string memory reason) internal view {
        (bool ok, string memory why) = registry.isKmsAllowed(b);
        assertEq(ok, allowed);
        assertEq(why, reason);
    }

    function assertRegistry(BootInfo memory b, bool allowed, string memory reason) internal view {
        (bool ok, string memory why) = registry.isAppAllowed(b);
        assertEq(ok, allowed);
        assertEq(why, reason);
    }

    // ------------------------------------------------------------------ construction / ownership

    function test_constructor() public {
        assertEq(registry.owner(), governance);
        assertEq(registry.minUpgradeDelay(), MIN_DELAY);
        assertEq(registry.appFactory(), address(factory));
        vm.expectEmit();
        emit TeeCloudRegistry.MinUpgradeDelaySet(0, 5 days);
        TeeCloudRegistry r = new TeeCloudRegistry(governance, 5 days);
        assertEq(r.minUpgradeDelay(), 5 days);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.DelayTooLong.selector, uint64(366 days)));
        new TeeCloudRegistry(governance, 366 days);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new TeeCloudRegistry(address(0), 0);
    }

    function test_renounceOwnership_disabled() public {
        vm.expectRevert(TeeCloudRegistry.RenounceDisabled.selector);
        vm.prank(governance);
        registry.renounceOwnership();
        vm.expectRevert(unauthorized(stranger));
        vm.prank(stranger);
        registry.renounceOwnership();
    }

    function test_ownership_twoStep() public {
        address dao = makeAddr("dao");
        vm.expectEmit(address(registry));
        emit Ownable2Step.OwnershipTransferStarted(governance, dao);
        vm.prank(governance);
        registry.transferOwnership(dao);
        assertEq(registry.owner(), governance);
        assertEq(registry.pendingOwner(), dao);

        vm.expectRevert(unauthorized(dao));
        vm.prank(dao);
        registry.addOsImage(OS_IMAGE_2);
        vm.expectRevert(unauthorized(stranger));
        vm.prank(stranger);
        registry.acceptOwnership();

        vm.expectEmit(address(registry));
        emit Ownable.OwnershipTransferred(governance, dao);
        vm.prank(dao);
        registry.acceptOwnership();
        assertEq(registry.owner(), dao);
        vm.prank(dao);
        registry.addOsImage(OS_IMAGE_2);
        vm.expectRevert(unauthorized(governance));
        vm.prank(governance);
        registry.removeOsImage(OS_IMAGE_2);
    }

    function test_onlyOwner_mutators() public {
        vm.startPrank(stranger);
        vm.expectRevert(unauthorized(stranger));
        registry.addOsImage(OS_IMAGE_2);
        vm.expectRevert(unauthorized(stranger));
        registry.removeOsImage(OS_IMAGE);
        vm.expectRevert(unauthorized(stranger));
        registry.addKmsMember(K1, "e", "k", bytes32(0));
        vm.expectRevert(unauthorized(stranger));
        registry.updateKmsMember(K1, "e", "k", bytes32(0));
        vm.expectRevert(unauthorized(stranger));
        registry.removeKmsMember(K1);
        vm.expectRevert(unauthorized(stranger));
        registry.setKmsThreshold(1);
        vm.expectRevert(unauthorized(stranger));
        registry.addKmsMr(KMS_MR);
        vm.expectRevert(unauthorized(stranger));
        registry.removeKmsMr(KMS_MR);
        vm.expectRevert(unauthorized(stranger));
        registry.addKmsDevice(DEVICE_A);
        vm.expectRevert(unauthorized(stranger));
        registry.removeKmsDevice(DEVICE_A);
        vm.expectRevert(unauthorized(stranger));
        registry.setKmsAllowAnyDevice(true);
        vm.expectRevert(unauthorized(stranger));
        registry.setKmsRequireUpToDateTcb(true);
        vm.expectRevert(unauthorized(stranger));
        registry.setAppFactory(stranger);
        vm.expectRevert(unauthorized(stranger));
        registry.setMinUpgradeDelay(0);
        vm.expectRevert(unauthorized(stranger));
        registry.deregisterApp(address(app));
        vm.expectRevert(unauthorized(stranger));
        registry.transferOwnership(stranger);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ OS images

    function test_osImages() public {
        assertTrue(registry.isOsImageAllowed(OS_IMAGE));
        assertFalse(registry.isOsImageAllowed(OS_IMAGE_2));

        vm.startPrank(governance);
        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.OsImageAdded(OS_IMAGE_2);
        registry.addOsImage(OS_IMAGE_2);
        assertTrue(registry.isOsImageAllowed(OS_IMAGE_2));
        assertEq(registry.osImages().length, 2);

        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.OsImageAlreadyAllowed.selector, OS_IMAGE_2));
        registry.addOsImage(OS_IMAGE_2);
        vm.expectRevert(TeeCloudRegistry.ZeroValue.selector);
        registry.addOsImage(bytes32(0));

        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.OsImageRemoved(OS_IMAGE);
        registry.removeOsImage(OS_IMAGE);
        assertFalse(registry.isOsImageAllowed(OS_IMAGE));
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.OsImageNotAllowed.selector, OS_IMAGE));
        registry.removeOsImage(OS_IMAGE);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ KMS members and threshold

    function test_kmsMembers() public {
        vm.startPrank(governance);
        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.KmsMemberAdded(K1, "https://kms1:8000", hex"0401", keccak256("att1"));
        registry.addKmsMember(K1, "https://kms1:8000", hex"0401", keccak256("att1"));
        registry.addKmsMember(K2, "https://kms2:8000", hex"0402", keccak256("att2"));
        assertEq(registry.kmsMemberCount(), 2);
        assertEq(registry.kmsMemberIds().length, 2);

        TeeCloudRegistry.KmsMember memory m = registry.kmsMember(K1);
        assertEq(m.endpoint, "https://kms1:8000");
        assertTrue(keccak256(m.publicKey) == keccak256(hex"0401"));
        assertEq(m.attestationDigest, keccak256("att1"));

        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.KmsMemberExists.selector, K1));
        registry.addKmsMember(K1, "x", "", bytes32(0));
        vm.expectRevert(TeeCloudRegistry.ZeroValue.selector);
        registry.addKmsMember(bytes32(0), "x", "", bytes32(0));

        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.KmsMemberUpdated(K1, "https://kms1b:8000", hex"0409", keccak256("att1b"));
        registry.updateKmsMember(K1, "https://kms1b:8000", hex"0409", keccak256("att1b"));
        assertEq(registry.kmsMember(K1).endpoint, "https://kms1b:8000");
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.KmsMemberNotFound.selector, K3));
        registry.updateKmsMember(K3, "x", "", bytes32(0));

        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.KmsMemberRemoved(K2);
        registry.removeKmsMember(K2);
        assertEq(registry.kmsMemberCount(), 1);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.KmsMemberNotFound.selector, K2));
        registry.kmsMember(K2);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.KmsMemberNotFound.selector, K2));
        registry.removeKmsMember(K2);
        vm.stopPrank();
    }

    function test_kmsThreshold() public {
        vm.startPrank(governance);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.InvalidThreshold.selector, uint16(1), 0));
        registry.setKmsThreshold(1);
        registry.addKmsMember(K1, "1", "", bytes32(0));
        registry.addKmsMember(K2, "2", "", bytes32(0));
        registry.addKmsMember(K3, "3", "", bytes32(0));

        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.KmsThresholdSet(0, 2);
        registry.setKmsThreshold(2);
        assertEq(registry.kmsThreshold(), 2);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.InvalidThreshold.selector, uint16(0), 3));
        registry.setKmsThreshold(0);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.InvalidThreshold.selector, uint16(4), 3));
        registry.setKmsThreshold(4);
        registry.setKmsThreshold(3);

        // 3-of-3: removing a member would break the threshold.
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.ThresholdAboveMembers.selector, uint16(3), 2));
        registry.removeKmsMember(K3);
        registry.setKmsThreshold(1);
        registry.removeKmsMember(K3);
        registry.removeKmsMember(K2);
        // Removing the last member resets the threshold.
        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.KmsThresholdSet(1, 0);
        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.KmsMemberRemoved(K1);
        registry.removeKmsMember(K1);
        assertEq(registry.kmsThreshold(), 0);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ isKmsAllowed

    function test_isKmsAllowed() public {
        assertKms(kmsBoot(), false, "KMS measurement not allowed");
        vm.startPrank(governance);
        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.KmsMrAdded(KMS_MR);
        registry.addKmsMr(KMS_MR);
        assertKms(kmsBoot(), false, "KMS device not allowed");
        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.KmsDeviceAdded(DEVICE_A);
        registry.addKmsDevice(DEVICE_A);
        assertKms(kmsBoot(), true, "");

        BootInfo memory b = kmsBoot();
        b.osImageHash = OS_IMAGE_2;
        assertKms(b, false, "OS image not allowed");

        b = kmsBoot();
        b.deviceId = DEVICE_B;
        assertKms(b, false, "KMS device not allowed");
        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.KmsAllowAnyDeviceSet(true);
        registry.setKmsAllowAnyDevice(true);
        assertKms(b, true, "");
        registry.setKmsAllowAnyDevice(false);

        b = kmsBoot();
        b.tcbStatus = "OutOfDate";
        assertKms(b, true, "");
        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.KmsRequireUpToDateTcbSet(true);
        registry.setKmsRequireUpToDateTcb(true);
        assertKms(b, false, "TCB status not UpToDate");
        assertKms(kmsBoot(), true, "");

        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.KmsDeviceRemoved(DEVICE_A);
        registry.removeKmsDevice(DEVICE_A);
        assertKms(kmsBoot(), false, "KMS device not allowed");
        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.KmsMrRemoved(KMS_MR);
        registry.removeKmsMr(KMS_MR);
        assertKms(kmsBoot(), false, "KMS measurement not allowed");
        vm.stopPrank();
    }

    function test_kmsPolicy_errors() public {
        vm.startPrank(governance);
        vm.expectRevert(TeeCloudRegistry.ZeroValue.selector);
        registry.addKmsMr(bytes32(0));
        vm.expectRevert(TeeCloudRegistry.ZeroValue.selector);
        registry.addKmsDevice(bytes32(0));
        registry.addKmsMr(KMS_MR);
        registry.addKmsDevice(DEVICE_A);
        assertEq(registry.kmsMrs().length, 1);
        assertEq(registry.kmsDevices().length, 1);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.KmsMrAlreadyAllowed.selector, KMS_MR));
        registry.addKmsMr(KMS_MR);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.KmsDeviceAlreadyAllowed.selector, DEVICE_A));
        registry.addKmsDevice(DEVICE_A);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.KmsMrNotAllowed.selector, OS_IMAGE));
        registry.removeKmsMr(OS_IMAGE);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.KmsDeviceNotAllowed.selector, DEVICE_B));
        registry.removeKmsDevice(DEVICE_B);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ apps

    function test_registerApp_accessControl() public {
        address a = address(new PermissiveController());
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.NotOwnerOrFactory.selector, stranger));
        vm.prank(stranger);
        registry.registerApp(a);

        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.AppRegistered(a, governance);
        vm.prank(governance);
        registry.registerApp(a);
        assertTrue(registry.isAppRegistered(a));

        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.AppAlreadyRegistered.selector, a));
        vm.prank(governance);
        registry.registerApp(a);
        vm.expectRevert(TeeCloudRegistry.ZeroValue.selector);
        vm.prank(governance);
        registry.registerApp(address(0));

        // The factory may register; once replaced, the old factory may not.
        address b = address(new PermissiveController());
        vm.prank(address(factory));
        registry.registerApp(b);
        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.AppFactorySet(address(factory), address(0));
        vm.prank(governance);
        registry.setAppFactory(address(0));
        address c = address(new PermissiveController());
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.NotOwnerOrFactory.selector, address(factory)));
        vm.prank(address(factory));
        registry.registerApp(c);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.NotOwnerOrFactory.selector, address(0)));
        vm.prank(address(0));
        registry.registerApp(c);
    }

    function test_deregisterApp() public {
        assertRegistry(boot(M1, 1), true, "");
        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.AppDeregistered(address(app));
        vm.prank(governance);
        registry.deregisterApp(address(app));
        assertFalse(registry.isAppRegistered(address(app)));
        assertRegistry(boot(M1, 1), false, "app not registered");
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.AppNotRegistered.selector, address(app)));
        vm.prank(governance);
        registry.deregisterApp(address(app));
    }

    function test_appsPaging() public {
        vm.startPrank(governance);
        address[] memory extra = new address[](3);
        for (uint256 i = 0; i < 3; ++i) {
            extra[i] = address(new PermissiveController());
            registry.registerApp(extra[i]);
        }
        vm.stopPrank();
        assertEq(registry.appCount(), 4);
        address[] memory page = registry.apps(0, 2);
        assertEq(page.length, 2);
        assertEq(page[0], address(app));
        assertEq(page[1], extra[0]);
        page = registry.apps(2, 10);
        assertEq(page.length, 2);
        assertEq(page[1], extra[2]);
        assertEq(registry.apps(4, 1).length, 0);
        assertEq(registry.apps(100, 1).length, 0);
    }

    // ------------------------------------------------------------------ isAppAllowed

    function test_isAppAllowed_fullPath() public {
        assertRegistry(boot(M1, 1), true, "");

        BootInfo memory b = boot(M1, 1);
        b.appId = address(0xdead);
        assertRegistry(b, false, "app not registered");

        b = boot(M1, 1);
        b.osImageHash = OS_IMAGE_2;
        assertRegistry(b, false, "OS image not allowed");
        vm.prank(governance);
        registry.addOsImage(OS_IMAGE_2);
        assertRegistry(b, true, "");

        // Then the controller decides, and its reason comes through.
        assertRegistry(boot(M2, 2), false, "manifest not allowed");
        b = boot(M1, 1);
        b.deviceId = DEVICE_B;
        assertRegistry(b, false, "device not allowed");
        vm.prank(appOwner);
        app.raiseMinVersion(2);
        assertRegistry(boot(M1, 1), false, "manifest version below minimum");
    }

    function test_isAppAllowed_osImageRemovalIsImmediate() public {
        vm.prank(governance);
        registry.removeOsImage(OS_IMAGE);
        assertRegistry(boot(M1, 1), false, "OS image not allowed");
    }

    function test_isAppAllowed_brokenControllersRefuse() public {
        address bad = address(new RevertingController());
        address eoa = makeAddr("eoa-app");
        vm.startPrank(governance);
        registry.registerApp(bad);
        registry.registerApp(eoa);
        vm.stopPrank();
        BootInfo memory b = boot(M1, 1);
        b.appId = bad;
        assertRegistry(b, false, "app controller failed");
        b.appId = eoa;
        assertRegistry(b, false, "app controller failed");
    }

    // ------------------------------------------------------------------ min upgrade delay

    function test_setMinUpgradeDelay() public {
        vm.startPrank(governance);
        vm.expectEmit(address(registry));
        emit TeeCloudRegistry.MinUpgradeDelaySet(MIN_DELAY, 2 days);
        registry.setMinUpgradeDelay(2 days);
        assertEq(registry.minUpgradeDelay(), 2 days);
        vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.DelayTooLong.selector, uint64(365 days + 1)));
        registry.setMinUpgradeDelay(365 days + 1);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ fuzz

    /// The threshold always stays within 1..n (or 0 with no members).
    function testFuzz_thresholdWithinMembers(uint8 n, uint16 t) public {
        n = uint8(bound(n, 1, 12));
        vm.startPrank(governance);
        for (uint256 i = 0; i < n; ++i) {
            registry.addKmsMember(keccak256(abi.encode(i)), "e", "", bytes32(0));
        }
        if (t == 0 || t > n) {
            vm.expectRevert(abi.encodeWithSelector(TeeCloudRegistry.InvalidThreshold.selector, t, uint256(n)));
            registry.setKmsThreshold(t);
        } else {
            registry.setKmsThreshold(t);
            assertEq(registry.kmsThreshold(), t);
        }
        vm.stopPrank();
    }

    /// An app whose OS image is not allowed is always refused.
    function testFuzz_unknownOsImageRefused(bytes32 os) public view {
        vm.assume(os != OS_IMAGE);
        BootInfo memory b = boot(M1, 1);
        b.osImageHash = os;
        assertRegistry(b, false, "OS image not allowed");
    }
}
