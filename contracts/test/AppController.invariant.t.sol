// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {TeeCloudRegistry} from "../src/TeeCloudRegistry.sol";
import {AppController} from "../src/AppController.sol";
import {AppFactory} from "../src/AppFactory.sol";
import {BootInfo} from "../src/TeeCloudTypes.sol";

/// @notice Drives an app through random governance actions by its owner, its guardian and a
///         stranger, and records anything that must never happen.
contract GovernanceHandler is Test {
    AppController public immutable app;
    address public immutable owner;
    address public immutable guardian;
    address public immutable stranger;

    bytes32[8] internal hashes;
    /// When each pending proposal became activatable, as computed at propose time.
    mapping(bytes32 => uint256) public readyAtGhost;

    uint64 public highestMinVersionSeen;
    bool public minVersionDecreased;
    bool public activatedEarly;
    bool public strangerChangedSomething;
    bool public changedWhileFrozen;
    uint256 public activations;

    constructor(AppController app_, address owner_, address guardian_, address stranger_) {
        app = app_;
        owner = owner_;
        guardian = guardian_;
        stranger = stranger_;
        for (uint256 i = 0; i < hashes.length; ++i) {
            hashes[i] = keccak256(abi.encode("manifest", i));
        }
    }

    function _hash(uint256 seed) internal view returns (bytes32) {
        return hashes[seed % hashes.length];
    }

    /// A pending proposal if there is one (so activations and vetoes actually happen).
    function _pendingOr(uint256 seed) internal view returns (bytes32) {
        bytes32[] memory p = app.pendingProposals();
        return p.length == 0 ? _hash(seed) : p[seed % p.length];
    }

    function _fingerprint() internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                app.minVersion(),
                app.allowedManifests(),
                app.pendingProposals(),
                app.upgradeDelay(),
                app.guardian(),
                app.allowAnyDevice(),
                app.requireUpToDateTcb(),
                app.devices()
            )
        );
    }

    function _after(bytes32 before, bool wasFrozen) internal {
        uint64 m = app.minVersion();
        if (m < highestMinVersionSeen) minVersionDecreased = true;
        if (m > highestMinVersionSeen) highestMinVersionSeen = m;
        if (wasFrozen && _fingerprint() != before) changedWhileFrozen = true;
    }

    function warp(uint256 dt) external {
        vm.warp(block.timestamp + bound(dt, 0, 4 days));
    }

    /// Jumps to the boundary of a pending proposal's timelock: one second early, or on time.
    function warpToBoundary(uint256 seed, bool early) external {
        uint256 readyAt = readyAtGhost[_pendingOr(seed)];
        if (readyAt == 0 || readyAt <= block.timestamp) return;
        vm.warp(early ? readyAt - 1 : readyAt);
    }

    function propose(uint256 seed, uint64 version) external {
        bytes32 h = _hash(seed);
        version = uint64(bound(version, 1, 20));
        (bytes32 before, bool wasFrozen) = (_fingerprint(), app.frozen());
        vm.prank(owner);
        try app.propose(h, version) {
            readyAtGhost[h] = block.timestamp + app.effectiveUpgradeDelay();
        } catch {}
        _after(before, wasFrozen);
    }

    function activate(uint256 seed, bool raise) external {
        bytes32 h = _pendingOr(seed);
        (bytes32 before, bool wasFrozen) = (_fingerprint(), app.frozen());
        vm.prank(owner);
        bool ok;
        if (raise) {
            try app.activateAndRaiseMinVersion(h) {
                ok = true;
            } catch {}
        } else {
            try app.activate(h) {
                ok = true;
            } catch {}
        }
        if (ok) {
            ++activations;
            if (block.timestamp < readyAtGhost[h]) activatedEarly = true;
            delete readyAtGhost[h];
        }
        _after(before, wasFrozen);
    }

    function cancel(uint256 seed, bool asGuardian) external {
        (bytes32 before, bool wasFrozen) = (_fingerprint(), app.frozen());
        vm.prank(asGuardian ? guardian : owner);
        try app.cancel(_pendingOr(seed)) {} catch {}
        _after(before, wasFrozen);
    }

    function revoke(uint256 seed) external {
        (bytes32 before, bool wasFrozen) = (_fingerprint(), app.frozen());
        vm.prank(owner);
        try app.revoke(_hash(seed)) {} catch {}
        _after(before, wasFrozen);
    }

    function raiseMinVersion(uint64 v) external {
        (bytes32 before, bool wasFrozen) = (_fingerprint(), app.frozen());
        vm.prank(owner);
        try app.raiseMinVersion(uint64(bound(v, 0, 25))) {} catch {}
        _after(before, wasFrozen);
    }

    function setUpgradeDelay(uint64 d) external {
        (bytes32 before, bool wasFrozen) = (_fingerprint(), app.frozen());
        vm.prank(owner);
        try app.setUpgradeDelay(uint64(bound(d, 0, 10 days))) {} catch {}
        vm.prank(owner);
        try app.applyUpgradeDelay() {} catch {}
        _after(before, wasFrozen);
    }

    function freeze(uint256 seed) external {
        // Rare, so most runs explore the unfrozen app.
        if (seed % 16 != 0) return;
        (bytes32 before, bool wasFrozen) = (_fingerprint(), app.frozen());
        vm.prank(owner);
        try app.freeze() {} catch {}
        _after(before, wasFrozen);
    }

    /// A stranger tries every mutator; none may succeed.
    function strangerAttack(uint256 seed, uint64 v) external {
        bytes32 h = _hash(seed);
        bytes32 before = _fingerprint();
        vm.startPrank(stranger);
        try app.propose(h, v) {
            strangerChangedSomething = true;
        } catch {}
        try app.activate(h) {
            strangerChangedSomething = true;
        } catch {}
        try app.cancel(h) {
            strangerChangedSomething = true;
        } catch {}
        try app.revoke(h) {
            strangerChangedSomething = true;
        } catch {}
        try app.raiseMinVersion(v) {
            strangerChangedSomething = true;
        } catch {}
        try app.setAllowAnyDevice(true) {
            strangerChangedSomething = true;
        } catch {}
        try app.freeze() {
            strangerChangedSomething = true;
        } catch {}
        vm.stopPrank();
        if (_fingerprint() != before) strangerChangedSomething = true;
    }

    /// Whether `app` allows `h` with its recorded version on an allowlisted device.
    function allowedNow(bytes32 h) external view returns (bool ok) {
        BootInfo memory b = BootInfo({
            appId: address(app),
            manifestHash: h,
            instanceId: address(1),
            deviceId: keccak256("device-a"),
            mrAggregated: bytes32(0),
            osImageHash: bytes32(0),
            tcbStatus: "UpToDate",
            manifestVersion: app.manifestVersion(h)
        });
        (ok,) = app.isAppAllowed(b);
    }

    function hashAt(uint256 i) external view returns (bytes32) {
        return hashes[i];
    }

    function hashCount() external view returns (uint256) {
        return hashes.length;
    }
}

contract AppControllerInvariantTest is Test {
    GovernanceHandler internal handler;
    AppController internal app;

    function setUp() public {
        vm.warp(1_700_000_000);
        address governance = makeAddr("governance");
        address owner = makeAddr("appOwner");
        address guardian = makeAddr("guardian");
        TeeCloudRegistry registry = new TeeCloudRegistry(governance, 1 days);
        AppFactory factory = new AppFactory(registry);
        vm.prank(governance);
        registry.setAppFactory(address(factory));
        bytes32[] memory devs = new bytes32[](1);
        devs[0] = keccak256("device-a");
        app = factory.createApp(
            AppController.Config({
                owner: owner,
                guardian: guardian,
                upgradeDelay: 2 days,
                manifestHash: keccak256(abi.encode("manifest", uint256(0))),
                manifestVersion: 1,
                allowAnyDevice: false,
                devices: devs,
                requireUpToDateTcb: false
            })
        );
        handler = new GovernanceHandler(app, owner, guardian, makeAddr("stranger"));
        targetContract(address(handler));
    }

    function invariant_minVersionNeverDecreases() public view {
        assertFalse(handler.minVersionDecreased(), "minVersion decreased");
        assertEq(app.minVersion(), handler.highestMinVersionSeen());
    }

    function invariant_activateNeverBeforeDelay() public view {
        assertFalse(handler.activatedEarly(), "activated before the timelock elapsed");
    }

    function invariant_strangerCannotChangeAnything() public view {
        assertFalse(handler.strangerChangedSomething(), "stranger changed state");
    }

    function invariant_frozenMeansImmutable() public view {
        assertFalse(handler.changedWhileFrozen(), "state changed after freeze");
    }

    /// An allowed manifest boots iff its version is at least minVersion.
    function invariant_allowedIffVersionAtLeastMin() public view {
        uint256 n = handler.hashCount();
        for (uint256 i = 0; i < n; ++i) {
            bytes32 h = handler.hashAt(i);
            bool expected = app.isManifestAllowed(h) && app.manifestVersion(h) >= app.minVersion();
            assertEq(handler.allowedNow(h), expected);
        }
    }

    /// Every pending proposal's version is at least 1 and the delay stays within bounds.
    function invariant_delayWithinBounds() public view {
        assertGe(app.upgradeDelay(), 1 days, "delay below registry minimum");
        assertLe(app.upgradeDelay(), 365 days, "delay above maximum");
    }
}
