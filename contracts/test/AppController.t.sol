// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Fixture} from "./utils/Fixture.sol";
import {AppController} from "../src/AppController.sol";
import {BootInfo, ITeeCloudRegistry} from "../src/TeeCloudTypes.sol";

contract AppControllerTest is Fixture {

    function unauthorized(address who) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, who);
    }

    // ------------------------------------------------------------------ initial state

    function test_initialState() public view {
        assertEq(app.owner(), appOwner);
        assertEq(app.guardian(), guardian);
        assertEq(address(app.registry()), address(registry));
        assertEq(app.upgradeDelay(), DELAY);
        assertEq(app.effectiveUpgradeDelay(), DELAY);
        assertEq(app.minVersion(), 0);
        assertTrue(app.isManifestAllowed(M1));
        assertEq(app.manifestVersion(M1), 1);
        assertEq(app.allowedManifests().length, 1);
        assertEq(app.pendingProposals().length, 0);
        assertTrue(app.isDeviceAllowed(DEVICE_A));
        assertEq(app.devices().length, 1);
        assertFalse(app.allowAnyDevice());
        assertFalse(app.requireUpToDateTcb());
        assertFalse(app.frozen());
        assertAllowed(boot(M1, 1));
    }

    function test_constructor_rejectsBadConfig() public {
        AppController.Config memory c = defaultConfig();
        c.upgradeDelay = MIN_DELAY - 1;
        vm.expectRevert(abi.encodeWithSelector(AppController.DelayBelowMinimum.selector, MIN_DELAY - 1, MIN_DELAY));
        new AppController(registry, c);

        c = defaultConfig();
        c.upgradeDelay = 366 days;
        vm.expectRevert(abi.encodeWithSelector(AppController.DelayTooLong.selector, uint64(366 days)));
        new AppController(registry, c);

        c = defaultConfig();
        c.manifestHash = bytes32(0);
        vm.expectRevert(AppController.ZeroValue.selector);
        new AppController(registry, c);

        c = defaultConfig();
        c.manifestVersion = 0;
        vm.expectRevert(AppController.ZeroValue.selector);
        new AppController(registry, c);

        c = defaultConfig();
        c.owner = address(0);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new AppController(registry, c);

        vm.expectRevert(AppController.ZeroValue.selector);
        new AppController(ITeeCloudRegistry(address(0)), defaultConfig());

        c = defaultConfig();
        c.devices = new bytes32[](2);
        c.devices[0] = DEVICE_A;
        c.devices[1] = DEVICE_A;
        vm.expectRevert(abi.encodeWithSelector(AppController.DeviceAlreadyAllowed.selector, DEVICE_A));
        new AppController(registry, c);
    }

    function test_constructor_emitsFullHistory() public {
        AppController.Config memory c = defaultConfig();
        c.allowAnyDevice = true;
        c.requireUpToDateTcb = true;
        vm.expectEmit();
        emit Ownable.OwnershipTransferred(address(0), appOwner);
        vm.expectEmit();
        emit AppController.UpgradeDelaySet(0, DELAY);
        vm.expectEmit();
        emit AppController.GuardianSet(address(0), guardian);
        vm.expectEmit();
        emit AppController.ManifestActivated(M1, 1);
        vm.expectEmit();
        emit AppController.AllowAnyDeviceSet(true);
        vm.expectEmit();
        emit AppController.DeviceAdded(DEVICE_A);
        vm.expectEmit();
        emit AppController.RequireUpToDateTcbSet(true);
        new AppController(registry, c);
    }

    // ------------------------------------------------------------------ access control

    function test_onlyOwner_mutators() public {
        vm.startPrank(stranger);
        vm.expectRevert(unauthorized(stranger));
        app.propose(M2, 2);
        vm.expectRevert(unauthorized(stranger));
        app.activate(M2);
        vm.expectRevert(unauthorized(stranger));
        app.activateAndRaiseMinVersion(M2);
        vm.expectRevert(unauthorized(stranger));
        app.revoke(M1);
        vm.expectRevert(unauthorized(stranger));
        app.raiseMinVersion(5);
        vm.expectRevert(unauthorized(stranger));
        app.freeze();
        vm.expectRevert(unauthorized(stranger));
        app.addDevice(DEVICE_B);
        vm.expectRevert(unauthorized(stranger));
        app.removeDevice(DEVICE_A);
        vm.expectRevert(unauthorized(stranger));
        app.setAllowAnyDevice(true);
        vm.expectRevert(unauthorized(stranger));
        app.setRequireUpToDateTcb(true);
        vm.expectRevert(unauthorized(stranger));
        app.setUpgradeDelay(DELAY + 1);
        vm.expectRevert(unauthorized(stranger));
        app.applyUpgradeDelay();
        vm.expectRevert(unauthorized(stranger));
        app.setGuardian(stranger);
        vm.expectRevert(unauthorized(stranger));
        app.applyGuardian();
        vm.expectRevert(unauthorized(stranger));
        app.cancelGuardianChange();
        vm.expectRevert(unauthorized(stranger));
        app.transferOwnership(stranger);
        vm.expectRevert(unauthorized(stranger));
        app.renounceOwnership();
        vm.stopPrank();
    }

    function test_guardian_cannotDoOwnerThings() public {
        vm.startPrank(guardian);
        vm.expectRevert(unauthorized(guardian));
        app.propose(M2, 2);
        vm.expectRevert(unauthorized(guardian));
        app.activate(M2);
        vm.expectRevert(unauthorized(guardian));
        app.revoke(M1);
        vm.expectRevert(unauthorized(guardian));
        app.freeze();
        vm.expectRevert(unauthorized(guardian));
        app.setGuardian(stranger);
        vm.expectRevert(unauthorized(guardian));
        app.cancelGuardianChange();
        vm.stopPrank();
    }

    function test_stranger_cannotCancel() public {
        proposeAs(M2, 2);
        vm.expectRevert(abi.encodeWithSelector(AppController.NotOwnerOrGuardian.selector, stranger));
        vm.prank(stranger);
        app.cancel(M2);
        vm.expectRevert(abi.encodeWithSelector(AppController.NotOwnerOrGuardian.selector, stranger));
        vm.prank(stranger);
        app.cancelUpgradeDelay();
    }

    function test_renounceOwnership_disabled() public {
        vm.expectRevert(AppController.RenounceDisabled.selector);
        vm.prank(appOwner);
        app.renounceOwnership();
        assertEq(app.owner(), appOwner);
    }

    function test_ownership_twoStep() public {
        address newOwner = makeAddr("newOwner");
        vm.expectEmit();
        emit Ownable2Step.OwnershipTransferStarted(appOwner, newOwner);
        vm.prank(appOwner);
        app.transferOwnership(newOwner);
        assertEq(app.owner(), appOwner);
        assertEq(app.pendingOwner(), newOwner);

        vm.expectRevert(unauthorized(stranger));
        vm.prank(stranger);
        app.acceptOwnership();
        // The new owner has no power before accepting.
        vm.expectRevert(unauthorized(newOwner));
        vm.prank(newOwner);
        app.propose(M2, 2);

        vm.expectEmit();
        emit Ownable.OwnershipTransferred(appOwner, newOwner);
        vm.prank(newOwner);
        app.acceptOwnership();
        assertEq(app.owner(), newOwner);

        vm.expectRevert(unauthorized(appOwner));
        vm.prank(appOwner);
        app.propose(M2, 2);
        vm.prank(newOwner);
        app.propose(M2, 2);
    }

    // ------------------------------------------------------------------ propose / activate (timelock)

    function test_propose_emitsAndRecords() public {
        vm.expectEmit(address(app));
        emit AppController.ManifestProposed(M2, 2, T0 + DELAY);
        vm.prank(appOwner);
        app.propose(M2, 2);
        AppController.Proposal memory p = app.proposal(M2);
        assertEq(p.version, 2);
        assertEq(p.readyAt, T0 + DELAY);
        assertEq(app.pendingProposals().length, 1);
        assertEq(app.pendingProposals()[0], M2);
        // Pending is not allowed.
        assertRefused(boot(M2, 2), "manifest not allowed");
    }

    function test_propose_rejects() public {
        vm.startPrank(appOwner);
        vm.expectRevert(AppController.ZeroValue.selector);
        app.propose(bytes32(0), 2);
        vm.expectRevert(AppController.ZeroValue.selector);
        app.propose(M2, 0);
        vm.expectRevert(abi.encodeWithSelector(AppController.ManifestAlreadyAllowed.selector, M1));
        app.propose(M1, 1);
        app.propose(M2, 2);
        vm.expectRevert(abi.encodeWithSelector(AppController.ProposalExists.selector, M2));
        app.propose(M2, 2);
        app.raiseMinVersion(3);
        vm.expectRevert(abi.encodeWithSelector(AppController.VersionBelowMinimum.selector, 2, 3));
        app.propose(M3, 2);
        vm.stopPrank();
    }

    function test_activate_oneSecondEarlyFails_onTimeSucceeds() public {
        uint64 readyAt = proposeAs(M2, 2);
        assertEq(readyAt, T0 + DELAY);

        vm.warp(readyAt - 1);
        vm.expectRevert(abi.encodeWithSelector(AppController.TimelockNotElapsed.selector, readyAt, readyAt - 1));
        vm.prank(appOwner);
        app.activate(M2);

        vm.warp(readyAt);
        vm.expectEmit(address(app));
        emit AppController.ManifestActivated(M2, 2);
        vm.prank(appOwner);
        app.activate(M2);

        assertTrue(app.isManifestAllowed(M2));
        assertEq(app.manifestVersion(M2), 2);
        assertEq(app.proposal(M2).version, 0);
        assertEq(app.pendingProposals().length, 0);
        assertEq(app.minVersion(), 0, "activate alone leaves minVersion");
        assertAllowed(boot(M2, 2));
        assertAllowed(boot(M1, 1)); // old version still runs until revoked / min raised
    }

    function test_activate_immediatelyFails() public {
        proposeAs(M2, 2);
        vm.expectRevert(abi.encodeWithSelector(AppController.TimelockNotElapsed.selector, T0 + DELAY, T0));
        vm.prank(appOwner);
        app.activate(M2);
    }

    function test_activate_withoutProposalFails() public {
        vm.expectRevert(abi.encodeWithSelector(AppController.NoProposal.selector, M2));
        vm.prank(appOwner);
        app.activate(M2);
    }

    function test_activate_twiceFails() public {
        upgradeTo(M2, 2);
        vm.expectRevert(abi.encodeWithSelector(AppController.NoProposal.selector, M2));
        vm.prank(appOwner);
        app.activate(M2);
    }

    function test_activate_refusedWhenMinVersionMovedPast() public {
        uint64 readyAt = proposeAs(M2, 2);
        vm.prank(appOwner);
        app.raiseMinVersion(3);
        vm.warp(readyAt);
        vm.expectRevert(abi.encodeWithSelector(AppController.VersionBelowMinimum.selector, 2, 3));
        vm.prank(appOwner);
        app.activate(M2);
    }

    function test_registryMinimum_appliesWhenLongerThanAppDelay() public {
        vm.prank(governance);
        registry.setMinUpgradeDelay(10 days);
        assertEq(app.effectiveUpgradeDelay(), 10 days);
        uint64 readyAt = proposeAs(M2, 2);
        assertEq(readyAt, T0 + 10 days);
        vm.warp(T0 + DELAY); // the app's own delay is not enough any more
        vm.expectRevert(abi.encodeWithSelector(AppController.TimelockNotElapsed.selector, readyAt, T0 + DELAY));
        vm.prank(appOwner);
        app.activate(M2);
        vm.warp(readyAt);
        vm.prank(appOwner);
        app.activate(M2);
    }

    function test_proposalTimer_fixedAtProposeTime() public {
        uint64 readyAt = proposeAs(M2, 2);
        // Lengthening the delay later does not move an existing proposal.
        vm.prank(appOwner);
        app.setUpgradeDelay(30 days);
        vm.warp(readyAt);
        vm.prank(appOwner);
        app.activate(M2);
        assertTrue(app.isManifestAllowed(M2));
    }

    // ------------------------------------------------------------------ veto (cancel)

    function test_guardianVeto() public {
        uint64 readyAt = proposeAs(M2, 2);
        vm.expectEmit(address(app));
        emit AppController.ProposalCancelled(M2, guardian);
        vm.prank(guardian);
        app.cancel(M2);
        assertEq(app.proposal(M2).version, 0);
        assertEq(app.pendingProposals().length, 0);

        vm.warp(readyAt);
        vm.expectRevert(abi.encodeWithSelector(AppController.NoProposal.selector, M2));
        vm.prank(appOwner);
        app.activate(M2);
        assertRefused(boot(M2, 2), "manifest not allowed");
    }

    function test_veto_thenReproposeRestartsTimer() public {
        proposeAs(M2, 2);
        vm.prank(guardian);
        app.cancel(M2);
        vm.warp(T0 + 1 days);
        uint64 readyAt = proposeAs(M2, 2);
        assertEq(readyAt, T0 + 1 days + DELAY);
        vm.warp(T0 + DELAY);
        vm.expectRevert(abi.encodeWithSelector(AppController.TimelockNotElapsed.selector, readyAt, T0 + DELAY));
        vm.prank(appOwner);
        app.activate(M2);
    }

    function test_ownerCanWithdrawProposal() public {
        proposeAs(M2, 2);
        vm.expectEmit(address(app));
        emit AppController.ProposalCancelled(M2, appOwner);
        vm.prank(appOwner);
        app.cancel(M2);
    }

    function test_cancel_unknownFails() public {
        vm.expectRevert(abi.encodeWithSelector(AppController.NoProposal.selector, M2));
        vm.prank(guardian);
        app.cancel(M2);
    }

    function test_cancel_noGuardianMeansOnlyOwner() public {
        AppController.Config memory c = defaultConfig();
        c.guardian = address(0);
        vm.prank(appOwner);
        AppController a = factory.createApp(c);
        vm.prank(appOwner);
        a.propose(M2, 2);
        vm.expectRevert(abi.encodeWithSelector(AppController.NotOwnerOrGuardian.selector, address(0)));
        vm.prank(address(0));
        a.cancel(M2);
    }

    // ------------------------------------------------------------------ revoke

    function test_revoke_isImmediate() public {
        vm.expectEmit(address(app));
        emit AppController.ManifestRevoked(M1, 1);
        vm.prank(appOwner);
        app.revoke(M1);
        assertFalse(app.isManifestAllowed(M1));
        assertEq(app.manifestVersion(M1), 0);
        assertEq(app.allowedManifests().length, 0);
        assertRefused(boot(M1, 1), "manifest not allowed");
    }

    function test_revoke_unknownFails() public {
        vm.expectRevert(abi.encodeWithSelector(AppController.ManifestNotAllowed.selector, M2));
        vm.prank(appOwner);
        app.revoke(M2);
        // A merely pending proposal is not revocable (cancel it instead).
        proposeAs(M2, 2);
        vm.expectRevert(abi.encodeWithSelector(AppController.ManifestNotAllowed.selector, M2));
        vm.prank(appOwner);
        app.revoke(M2);
    }

    function test_revoke_thenReallowNeedsTimelock() public {
        vm.prank(appOwner);
        app.revoke(M1);
        uint64 readyAt = proposeAs(M1, 1);
        vm.warp(readyAt - 1);
        vm.expectRevert(abi.encodeWithSelector(AppController.TimelockNotElapsed.selector, readyAt, readyAt - 1));
        vm.prank(appOwner);
        app.activate(M1);
        vm.warp(readyAt);
        vm.prank(appOwner);
        app.activate(M1);
        assertAllowed(boot(M1, 1));
    }

    // ------------------------------------------------------------------ rollback protection

    function test_activateAndRaiseMinVersion_blocksRollback() public {
        uint64 readyAt = proposeAs(M2, 2);
        vm.warp(readyAt);
        vm.expectEmit(address(app));
        emit AppController.ManifestActivated(M2, 2);
        vm.expectEmit(address(app));
        emit AppController.MinVersionRaised(0, 2);
        vm.prank(appOwner);
        app.activateAndRaiseMinVersion(M2);
        assertEq(app.minVersion(), 2);
        assertAllowed(boot(M2, 2));
        // M1 is still on the allowlist but below the minimum: refused.
        assertTrue(app.isManifestAllowed(M1));
        assertRefused(boot(M1, 1), "manifest version below minimum");
    }

    function test_activateAndRaiseMinVersion_sameVersionNoEvent() public {
        vm.prank(appOwner);
        app.raiseMinVersion(2);
        uint64 readyAt = proposeAs(M2, 2);
        vm.warp(readyAt);
        vm.prank(appOwner);
        app.activateAndRaiseMinVersion(M2);
        assertEq(app.minVersion(), 2);
    }

    function test_raiseMinVersion() public {
        vm.expectEmit(address(app));
        emit AppController.MinVersionRaised(0, 1);
        vm.prank(appOwner);
        app.raiseMinVersion(1);
        assertAllowed(boot(M1, 1));
        vm.prank(appOwner);
        app.raiseMinVersion(2);
        assertRefused(boot(M1, 1), "manifest version below minimum");
    }

    function test_minVersion_cannotGoDown() public {
        vm.startPrank(appOwner);
        app.raiseMinVersion(5);
        vm.expectRevert(abi.encodeWithSelector(AppController.MinVersionNotIncreased.selector, 5, 4));
        app.raiseMinVersion(4);
        vm.expectRevert(abi.encodeWithSelector(AppController.MinVersionNotIncreased.selector, 5, 5));
        app.raiseMinVersion(5);
        vm.stopPrank();
        assertEq(app.minVersion(), 5);
    }

    function test_rollback_oldManifestCannotBeReproposed() public {
        upgradeTo(M2, 2);
        vm.startPrank(appOwner);
        app.raiseMinVersion(2);
        app.revoke(M1);
        vm.expectRevert(abi.encodeWithSelector(AppController.VersionBelowMinimum.selector, 1, 2));
        app.propose(M1, 1);
        vm.stopPrank();
    }

    function test_rollback_versionMismatchRefused() public view {
        // A CVM claiming a different version than the one governance recorded is refused,
        // whether it claims higher or lower.
        assertRefused(boot(M1, 7), "manifest version mismatch");
        assertRefused(boot(M1, 0), "manifest version mismatch");
    }

    // ------------------------------------------------------------------ freeze

    function test_freeze_isFinal() public {
        uint64 readyAt = proposeAs(M2, 2);
        vm.expectEmit(address(app));
        emit AppController.AppFrozen();
        vm.prank(appOwner);
        app.freeze();
        assertTrue(app.frozen());
        vm.warp(readyAt);

        bytes4 frozen = AppController.AppIsFrozen.selector;
        vm.startPrank(appOwner);
        vm.expectRevert(frozen);
        app.activate(M2);
        vm.expectRevert(frozen);
        app.activateAndRaiseMinVersion(M2);
        vm.expectRevert(frozen);
        app.propose(M3, 3);
        vm.expectRevert(frozen);
        app.revoke(M1);
        vm.expectRevert(frozen);
        app.cancel(M2);
        vm.expectRevert(frozen);
        app.raiseMinVersion(9);
        vm.expectRevert(frozen);
        app.freeze();
        vm.expectRevert(frozen);
        app.addDevice(DEVICE_B);
        vm.expectRevert(frozen);
        app.removeDevice(DEVICE_A);
        vm.expectRevert(frozen);
        app.setAllowAnyDevice(true);
        vm.expectRevert(frozen);
        app.setRequireUpToDateTcb(true);
        vm.expectRevert(frozen);
        app.setUpgradeDelay(DELAY + 1);
        vm.expectRevert(frozen);
        app.applyUpgradeDelay();
        vm.expectRevert(frozen);
        app.cancelUpgradeDelay();
        vm.expectRevert(frozen);
        app.setGuardian(stranger);
        vm.expectRevert(frozen);
        app.applyGuardian();
        vm.expectRevert(frozen);
        app.cancelGuardianChange();
        vm.stopPrank();
        vm.expectRevert(frozen);
        vm.prank(guardian);
        app.cancel(M2);

        // The frozen rules still answer.
        assertAllowed(boot(M1, 1));
        assertRefused(boot(M2, 2), "manifest not allowed");
    }

    // ------------------------------------------------------------------ devices

    function test_devices() public {
        BootInfo memory b = boot(M1, 1);
        b.deviceId = DEVICE_B;
        assertRefused(b, "device not allowed");

        vm.expectEmit(address(app));
        emit AppController.DeviceAdded(DEVICE_B);
        vm.prank(appOwner);
        app.addDevice(DEVICE_B);
        assertAllowed(b);

        vm.expectEmit(address(app));
        emit AppController.DeviceRemoved(DEVICE_B);
        vm.prank(appOwner);
        app.removeDevice(DEVICE_B);
        assertRefused(b, "device not allowed");
    }

    function test_devices_allowAny() public {
        BootInfo memory b = boot(M1, 1);
        b.deviceId = keccak256("some-random-device");
        vm.expectEmit(address(app));
        emit AppController.AllowAnyDeviceSet(true);
        vm.prank(appOwner);
        app.setAllowAnyDevice(true);
        assertAllowed(b);
        vm.prank(appOwner);
        app.setAllowAnyDevice(false);
        assertRefused(b, "device not allowed");
        assertAllowed(boot(M1, 1)); // allowlisted device A still fine
    }

    function test_devices_errors() public {
        vm.startPrank(appOwner);
        vm.expectRevert(abi.encodeWithSelector(AppController.DeviceAlreadyAllowed.selector, DEVICE_A));
        app.addDevice(DEVICE_A);
        vm.expectRevert(AppController.ZeroValue.selector);
        app.addDevice(bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(AppController.DeviceNotAllowed.selector, DEVICE_B));
        app.removeDevice(DEVICE_B);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ TCB rule

    function test_tcbRule() public {
        BootInfo memory b = boot(M1, 1);
        b.tcbStatus = "OutOfDate";
        assertAllowed(b); // no rule yet

        vm.expectEmit(address(app));
        emit AppController.RequireUpToDateTcbSet(true);
        vm.prank(appOwner);
        app.setRequireUpToDateTcb(true);
        assertRefused(b, "TCB status not UpToDate");
        b.tcbStatus = "SWHardeningNeeded";
        assertRefused(b, "TCB status not UpToDate");
        b.tcbStatus = "uptodate"; // exact match only
        assertRefused(b, "TCB status not UpToDate");
        b.tcbStatus = "UpToDate";
        assertAllowed(b);

        vm.prank(appOwner);
        app.setRequireUpToDateTcb(false);
        b.tcbStatus = "OutOfDate";
        assertAllowed(b);
    }

    // ------------------------------------------------------------------ isAppAllowed order

    function test_isAppAllowed_appIdMismatch() public view {
        BootInfo memory b = boot(M1, 1);
        b.appId = address(0xBEEF);
        assertRefused(b, "app id mismatch");
    }

    function test_isAppAllowed_checkOrder() public {
        vm.prank(appOwner);
        app.setRequireUpToDateTcb(true);
        BootInfo memory b = boot(M1, 1);
        b.deviceId = DEVICE_B;
        b.tcbStatus = "OutOfDate";
        assertRefused(b, "device not allowed"); // device is checked before TCB
        b.manifestVersion = 2;
        assertRefused(b, "manifest version mismatch");
        vm.prank(appOwner);
        app.raiseMinVersion(2);
        assertRefused(b, "manifest version below minimum");
        b.manifestHash = M2;
        assertRefused(b, "manifest not allowed");
    }

    // ------------------------------------------------------------------ upgrade delay

    function test_delay_increaseIsImmediate() public {
        vm.expectEmit(address(app));
        emit AppController.UpgradeDelaySet(DELAY, 7 days);
        vm.prank(appOwner);
        app.setUpgradeDelay(7 days);
        assertEq(app.upgradeDelay(), 7 days);
        assertEq(proposeAs(M2, 2), T0 + 7 days);
    }

    function test_delay_decreaseIsTimelocked() public {
        vm.expectEmit(address(app));
        emit AppController.UpgradeDelayChangeProposed(MIN_DELAY, T0 + DELAY);
        vm.prank(appOwner);
        app.setUpgradeDelay(MIN_DELAY);
        assertEq(app.upgradeDelay(), DELAY);
        assertEq(app.pendingDelay(), MIN_DELAY);
        assertEq(app.pendingDelayReadyAt(), T0 + DELAY);

        vm.warp(T0 + DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(AppController.TimelockNotElapsed.selector, T0 + DELAY, T0 + DELAY - 1));
        vm.prank(appOwner);
        app.applyUpgradeDelay();

        vm.warp(T0 + DELAY);
        vm.expectEmit(address(app));
        emit AppController.UpgradeDelaySet(DELAY, MIN_DELAY);
        vm.prank(appOwner);
        app.applyUpgradeDelay();
        assertEq(app.upgradeDelay(), MIN_DELAY);
        assertEq(app.pendingDelayReadyAt(), 0);
    }

    function test_delay_decreaseVetoedByGuardian() public {
        vm.prank(appOwner);
        app.setUpgradeDelay(MIN_DELAY);
        vm.expectEmit(address(app));
        emit AppController.UpgradeDelayChangeCancelled(MIN_DELAY, guardian);
        vm.prank(guardian);
        app.cancelUpgradeDelay();
        vm.warp(T0 + DELAY);
        vm.expectRevert(AppController.NoPendingDelayChange.selector);
        vm.prank(appOwner);
        app.applyUpgradeDelay();
        assertEq(app.upgradeDelay(), DELAY);
    }

    function test_delay_bounds() public {
        vm.startPrank(appOwner);
        vm.expectRevert(abi.encodeWithSelector(AppController.DelayBelowMinimum.selector, MIN_DELAY - 1, MIN_DELAY));
        app.setUpgradeDelay(MIN_DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(AppController.DelayTooLong.selector, uint64(365 days + 1)));
        app.setUpgradeDelay(365 days + 1);
        vm.expectRevert(abi.encodeWithSelector(AppController.DelayUnchanged.selector, DELAY));
        app.setUpgradeDelay(DELAY);
        vm.expectRevert(AppController.NoPendingDelayChange.selector);
        app.applyUpgradeDelay();
        vm.expectRevert(AppController.NoPendingDelayChange.selector);
        app.cancelUpgradeDelay();
        app.setUpgradeDelay(365 days); // the maximum itself is fine
        vm.stopPrank();
    }

    function test_delay_decreaseRecheckedAgainstRegistryMinimum() public {
        vm.prank(appOwner);
        app.setUpgradeDelay(MIN_DELAY);
        vm.prank(governance);
        registry.setMinUpgradeDelay(2 days);
        vm.warp(T0 + DELAY);
        vm.expectRevert(abi.encodeWithSelector(AppController.DelayBelowMinimum.selector, MIN_DELAY, uint64(2 days)));
        vm.prank(appOwner);
        app.applyUpgradeDelay();
    }

    // ------------------------------------------------------------------ guardian

    function test_guardian_replacementIsTimelocked_andNotVetoable() public {
        address g2 = makeAddr("guardian2");
        vm.expectEmit(address(app));
        emit AppController.GuardianChangeProposed(g2, T0 + DELAY);
        vm.prank(appOwner);
        app.setGuardian(g2);
        assertEq(app.guardian(), guardian);
        assertEq(app.pendingGuardian(), g2);

        // The sitting guardian cannot block its own replacement.
        vm.expectRevert(unauthorized(guardian));
        vm.prank(guardian);
        app.cancelGuardianChange();

        vm.warp(T0 + DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(AppController.TimelockNotElapsed.selector, T0 + DELAY, T0 + DELAY - 1));
        vm.prank(appOwner);
        app.applyGuardian();

        // Meanwhile the old guardian can still veto upgrades.
        proposeAs(M2, 2);
        vm.prank(guardian);
        app.cancel(M2);

        vm.warp(T0 + DELAY);
        vm.expectEmit(address(app));
        emit AppController.GuardianSet(guardian, g2);
        vm.prank(appOwner);
        app.applyGuardian();
        assertEq(app.guardian(), g2);
        assertEq(app.pendingGuardianReadyAt(), 0);

        proposeAs(M2, 2);
        vm.expectRevert(abi.encodeWithSelector(AppController.NotOwnerOrGuardian.selector, guardian));
        vm.prank(guardian);
        app.cancel(M2);
        vm.prank(g2);
        app.cancel(M2);
    }

    function test_guardian_ownerCancelsReplacement() public {
        address g2 = makeAddr("guardian2");
        vm.prank(appOwner);
        app.setGuardian(g2);
        vm.expectEmit(address(app));
        emit AppController.GuardianChangeCancelled(g2);
        vm.prank(appOwner);
        app.cancelGuardianChange();
        vm.warp(T0 + DELAY);
        vm.expectRevert(AppController.NoPendingGuardianChange.selector);
        vm.prank(appOwner);
        app.applyGuardian();
        assertEq(app.guardian(), guardian);
    }

    function test_guardian_renounceAndFirstSetIsImmediate() public {
        vm.expectRevert(abi.encodeWithSelector(AppController.NotGuardian.selector, stranger));
        vm.prank(stranger);
        app.renounceGuardian();

        vm.expectEmit(address(app));
        emit AppController.GuardianSet(guardian, address(0));
        vm.prank(guardian);
        app.renounceGuardian();
        assertEq(app.guardian(), address(0));

        vm.expectRevert(AppController.ZeroValue.selector);
        vm.prank(appOwner);
        app.setGuardian(address(0));

        address g2 = makeAddr("guardian2");
        vm.expectEmit(address(app));
        emit AppController.GuardianSet(address(0), g2);
        vm.prank(appOwner);
        app.setGuardian(g2);
        assertEq(app.guardian(), g2);
    }

    function test_guardian_removalByOwnerIsTimelocked() public {
        vm.prank(appOwner);
        app.setGuardian(address(0));
        assertEq(app.guardian(), guardian);
        vm.warp(T0 + DELAY);
        vm.prank(appOwner);
        app.applyGuardian();
        assertEq(app.guardian(), address(0));
    }

    function test_guardian_cancelChangeWithoutPendingFails() public {
        vm.expectRevert(AppController.NoPendingGuardianChange.selector);
        vm.prank(appOwner);
        app.cancelGuardianChange();
    }

    // ------------------------------------------------------------------ fuzz

    /// activate never succeeds before the effective delay, and always succeeds at it.
    function testFuzz_activateNeverBeforeDelay(uint64 delay, uint256 early, uint64 registryMin) public {
        registryMin = uint64(bound(registryMin, 0, 30 days));
        delay = uint64(bound(delay, MIN_DELAY, 365 days));
        if (delay != DELAY) {
            vm.prank(appOwner);
            app.setUpgradeDelay(delay);
        }
        if (delay < DELAY) {
            vm.warp(app.pendingDelayReadyAt());
            vm.prank(appOwner);
            app.applyUpgradeDelay();
        }
        vm.prank(governance);
        registry.setMinUpgradeDelay(registryMin);
        uint256 effective = delay > registryMin ? delay : registryMin;
        assertEq(app.effectiveUpgradeDelay(), effective);

        uint256 start = block.timestamp;
        uint64 readyAt = proposeAs(M2, 2);
        assertEq(readyAt, start + effective);
        early = bound(early, 1, effective);
        vm.warp(readyAt - early);
        vm.expectRevert(abi.encodeWithSelector(AppController.TimelockNotElapsed.selector, readyAt, readyAt - early));
        vm.prank(appOwner);
        app.activate(M2);
        vm.warp(readyAt);
        vm.prank(appOwner);
        app.activate(M2);
        assertTrue(app.isManifestAllowed(M2));
    }

    /// minVersion only moves up, whatever is asked.
    function testFuzz_minVersionOnlyUp(uint64 a, uint64 b) public {
        vm.assume(a > 0);
        vm.prank(appOwner);
        app.raiseMinVersion(a);
        if (b <= a) {
            vm.expectRevert(abi.encodeWithSelector(AppController.MinVersionNotIncreased.selector, a, b));
        }
        vm.prank(appOwner);
        app.raiseMinVersion(b);
        assertEq(app.minVersion(), b > a ? b : a);
    }

    /// A manifest is allowed iff its version is at least minVersion.
    function testFuzz_versionBelowMinimumRefused(uint64 version, uint64 minV) public {
        version = uint64(bound(version, 1, type(uint64).max));
        minV = uint64(bound(minV, 1, type(uint64).max));
        vm.prank(appOwner);
        app.raiseMinVersion(minV);
        if (version < minV) {
            vm.expectRevert(abi.encodeWithSelector(AppController.VersionBelowMinimum.selector, version, minV));
            vm.prank(appOwner);
            app.propose(M2, version);
            assertRefused(boot(M1, 1), "manifest version below minimum");
        } else {
            upgradeTo(M2, version);
            assertAllowed(boot(M2, version));
        }
    }

    /// With the TCB rule on, exactly "UpToDate" passes.
    function testFuzz_tcbStatus(string memory status) public {
        vm.prank(appOwner);
        app.setRequireUpToDateTcb(true);
        BootInfo memory b = boot(M1, 1);
        b.tcbStatus = status;
        (bool ok,) = app.isAppAllowed(b);
        assertEq(ok, keccak256(bytes(status)) == keccak256("UpToDate"));
    }

    /// Only allowlisted devices pass unless any device is allowed.
    function testFuzz_deviceRule(bytes32 device, bool allowAny) public {
        vm.prank(appOwner);
        app.setAllowAnyDevice(allowAny);
        BootInfo memory b = boot(M1, 1);
        b.deviceId = device;
        (bool ok,) = app.isAppAllowed(b);
        assertEq(ok, allowAny || device == DEVICE_A);
    }

    /// Nobody but the owner can propose.
    function testFuzz_onlyOwnerProposes(address caller) public {
        vm.assume(caller != appOwner);
        vm.expectRevert(unauthorized(caller));
        vm.prank(caller);
        app.propose(M2, 2);
    }
}
