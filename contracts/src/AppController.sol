// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {BootInfo, IBootAuth, ITeeCloudRegistry, TcbStatus} from "./TeeCloudTypes.sol";

/// @title AppController — one app's upgrade governance
/// @notice The app's id is this contract's address. It decides which manifests (by hash) the
///         app may boot, on which devices, and under which TCB rule:
///         - Upgrades are timelocked: `propose(hash, version)`, then `activate(hash)` once the
///           app's upgrade delay has passed. The delay is at least the registry's
///           `minUpgradeDelay`; it can be lengthened at once but only shortened through the
///           same timelock.
///         - A guardian may veto (`cancel`) any pending proposal or delay decrease. The owner can
///           replace a guardian only through the timelock (the guardian cannot veto that), so a
///           veto right cannot be silently removed right before an upgrade; a guardian can
///           step down at once.
///         - `revoke(hash)` removes an allowed manifest at once.
///         - Rollback protection: manifests whose version is below `minVersion` are refused.
///           `minVersion` only moves up: explicitly (`raiseMinVersion`) or, if the owner asks,
///           to the version being activated (`activateAndRaiseMinVersion`). Activating a new
///           version does not by itself raise it, so an upgrade can be rolled out gradually
///           while old and new versions run side by side.
///         - What changes the code that may run, or weakens the timelock and veto, waits for
///           the timelock: new manifests, a shorter delay, replacing the guardian. Everything
///           else applies at once: revoke, raising `minVersion`, a longer delay, and the device
///           and TCB rules (they decide where the approved code runs, not what runs).
///         - `freeze()` makes the app immutable for good: nothing can change afterwards, not even
///           a revoke.
///         Every change emits an event, so the complete history can be audited from logs.
/// @dev The owner may be an EOA, a multisig or another contract; ownership moves in two steps
///      and cannot be renounced (freeze instead).
contract AppController is Ownable2Step, IBootAuth {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    /// @notice Upper bound for the upgrade delay (guards against overflow and accidental lockout).
    uint64 public constant MAX_UPGRADE_DELAY = 365 days;

    /// @notice Initial settings of a new app.
    /// @param owner               The app owner (EOA, multisig or contract).
    /// @param guardian            Who may veto pending changes; zero for none.
    /// @param upgradeDelay        Timelock in seconds; at least the registry's minimum.
    /// @param manifestHash        The first allowed manifest (allowed at once: nothing to timelock).
    /// @param manifestVersion     Its version (>= 1).
    /// @param allowAnyDevice      If true, the app may boot on any device.
    /// @param devices             Initially allowed devices (used when `allowAnyDevice` is false).
    /// @param requireUpToDateTcb  If true, CVMs must report TCB status "UpToDate".
    struct Config {
        address owner;
        address guardian;
        uint64 upgradeDelay;
        bytes32 manifestHash;
        uint64 manifestVersion;
        bool allowAnyDevice;
        bytes32[] devices;
        bool requireUpToDateTcb;
    }

    /// @notice A pending manifest upgrade.
    /// @param version  The manifest's version (>= 1, so 0 means "no proposal").
    /// @param readyAt  The earliest timestamp at which it can be activated.
    struct Proposal {
        uint64 version;
        uint64 readyAt;
    }

    // ---------------------------------------------------------------- errors

    /// @notice Ownership can be transferred but never renounced; use `freeze()` instead.
    error RenounceDisabled();
    /// @notice The app is frozen: nothing can change any more.
    error AppIsFrozen();
    /// @notice A zero value was given where a real one is required.
    error ZeroValue();
    /// @notice The caller is neither the owner nor the guardian.
    error NotOwnerOrGuardian(address caller);
    /// @notice The caller is not the guardian.
    error NotGuardian(address caller);
    /// @notice The manifest is already allowed.
    error ManifestAlreadyAllowed(bytes32 manifestHash);
    /// @notice The manifest is not allowed.
    error ManifestNotAllowed(bytes32 manifestHash);
    /// @notice A proposal for this manifest is already pending.
    error ProposalExists(bytes32 manifestHash);
    /// @notice There is no pending proposal for this manifest.
    error NoProposal(bytes32 manifestHash);
    /// @notice The timelock has not elapsed yet.
    error TimelockNotElapsed(uint64 readyAt, uint256 nowTs);
    /// @notice The version is below the app's minimum version.
    error VersionBelowMinimum(uint64 version, uint64 minVersion);
    /// @notice `minVersion` can only move up.
    error MinVersionNotIncreased(uint64 current, uint64 requested);
    /// @notice The delay is below the registry's minimum.
    error DelayBelowMinimum(uint64 delay, uint64 minimum);
    /// @notice The delay exceeds `MAX_UPGRADE_DELAY`.
    error DelayTooLong(uint64 delay);
    /// @notice The new delay equals the current one.
    error DelayUnchanged(uint64 delay);
    /// @notice No delay decrease is pending.
    error NoPendingDelayChange();
    /// @notice No guardian change is pending.
    error NoPendingGuardianChange();
    /// @notice The device is already allowed.
    error DeviceAlreadyAllowed(bytes32 deviceId);
    /// @notice The device is not allowed.
    error DeviceNotAllowed(bytes32 deviceId);

    // ---------------------------------------------------------------- events

    /// @notice An upgrade to manifest `manifestHash` was proposed; activatable from `readyAt`.
    event ManifestProposed(bytes32 indexed manifestHash, uint64 version, uint64 readyAt);
    /// @notice Manifest `manifestHash` became allowed.
    event ManifestActivated(bytes32 indexed manifestHash, uint64 version);
    /// @notice A pending proposal was cancelled (vetoed) by `by`.
    event ProposalCancelled(bytes32 indexed manifestHash, address indexed by);
    /// @notice Manifest `manifestHash` is no longer allowed.
    event ManifestRevoked(bytes32 indexed manifestHash, uint64 version);
    /// @notice The minimum manifest version moved up.
    event MinVersionRaised(uint64 oldMinVersion, uint64 newMinVersion);
    /// @notice The app became immutable for good.
    event AppFrozen();
    /// @notice A device was allowed.
    event DeviceAdded(bytes32 indexed deviceId);
    /// @notice A device was removed from the allowlist.
    event DeviceRemoved(bytes32 indexed deviceId);
    /// @notice The app may (or may no longer) boot on any device.
    event AllowAnyDeviceSet(bool allowAnyDevice);
    /// @notice CVMs must (or need no longer) report TCB status "UpToDate".
    event RequireUpToDateTcbSet(bool requireUpToDateTcb);
    /// @notice The upgrade delay changed.
    event UpgradeDelaySet(uint64 oldDelay, uint64 newDelay);
    /// @notice A shorter upgrade delay was proposed; applicable from `readyAt`.
    event UpgradeDelayChangeProposed(uint64 newDelay, uint64 readyAt);
    /// @notice A pending delay decrease was cancelled by `by`.
    event UpgradeDelayChangeCancelled(uint64 newDelay, address indexed by);
    /// @notice The guardian changed.
    event GuardianSet(address indexed oldGuardian, address indexed newGuardian);
    /// @notice A guardian replacement was proposed; applicable from `readyAt`.
    event GuardianChangeProposed(address indexed newGuardian, uint64 readyAt);
    /// @notice A pending guardian replacement was cancelled by the owner.
    event GuardianChangeCancelled(address indexed newGuardian);

    // ---------------------------------------------------------------- state

    /// @notice The registry this app belongs to (source of the minimum upgrade delay).
    ITeeCloudRegistry public immutable registry;

    EnumerableSet.Bytes32Set private _manifests;
    mapping(bytes32 manifestHash => uint64 version) private _manifestVersions;
    EnumerableSet.Bytes32Set private _pending;
    mapping(bytes32 manifestHash => Proposal) private _proposals;
    EnumerableSet.Bytes32Set private _devices;

    /// @notice Manifests with a version below this are refused (rollback protection).
    uint64 public minVersion;
    /// @notice The app's own upgrade delay in seconds (see `effectiveUpgradeDelay`).
    uint64 public upgradeDelay;
    /// @notice Who may veto pending proposals and delay decreases; zero for none.
    address public guardian;
    /// @notice True once `freeze()` was called; then nothing can change.
    bool public frozen;
    /// @notice If true, the app may boot on any device.
    bool public allowAnyDevice;
    /// @notice If true, CVMs must report TCB status "UpToDate".
    bool public requireUpToDateTcb;

    /// @notice A pending delay decrease (valid while `pendingDelayReadyAt != 0`).
    uint64 public pendingDelay;
    /// @notice When the pending delay decrease can be applied; 0 if none is pending.
    uint64 public pendingDelayReadyAt;
    /// @notice A pending guardian replacement (valid while `pendingGuardianReadyAt != 0`).
    address public pendingGuardian;
    /// @notice When the pending guardian replacement can be applied; 0 if none is pending.
    uint64 public pendingGuardianReadyAt;

    // ---------------------------------------------------------------- modifiers

    modifier notFrozen() {
        if (frozen) revert AppIsFrozen();
        _;
    }

    modifier onlyOwnerOrGuardian() {
        if (msg.sender != owner() && (msg.sender != guardian || guardian == address(0))) {
            revert NotOwnerOrGuardian(msg.sender);
        }
        _;
    }

    // ---------------------------------------------------------------- construction

    /// @param registry_  The network's registry.
    /// @param config     Initial settings; the first manifest is allowed at once.
    constructor(ITeeCloudRegistry registry_, Config memory config) Ownable(config.owner) {
        if (address(registry_) == address(0)) revert ZeroValue();
        registry = registry_;
        _checkDelayBounds(config.upgradeDelay);
        upgradeDelay = config.upgradeDelay;
        emit UpgradeDelaySet(0, config.upgradeDelay);

        if (config.guardian != address(0)) {
            guardian = config.guardian;
            emit GuardianSet(address(0), config.guardian);
        }

        if (config.manifestHash == bytes32(0) || config.manifestVersion == 0) revert ZeroValue();
        _manifests.add(config.manifestHash);
        _manifestVersions[config.manifestHash] = config.manifestVersion;
        emit ManifestActivated(config.manifestHash, config.manifestVersion);

        if (config.allowAnyDevice) {
            allowAnyDevice = true;
            emit AllowAnyDeviceSet(true);
        }
        for (uint256 i = 0; i < config.devices.length; ++i) {
            _addDevice(config.devices[i]);
        }
        if (config.requireUpToDateTcb) {
            requireUpToDateTcb = true;
            emit RequireUpToDateTcbSet(true);
        }
    }

    /// @notice Disabled: an app always has an owner; use `freeze()` to give up control.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ---------------------------------------------------------------- manifests (timelocked)

    /// @notice The delay that applies to new proposals: the app's own delay or the registry's
    ///         minimum, whichever is longer.
    function effectiveUpgradeDelay() public view returns (uint64) {
        uint64 minimum = registry.minUpgradeDelay();
        return upgradeDelay > minimum ? upgradeDelay : minimum;
    }

    /// @notice Proposes allowing manifest `manifestHash` with version `version`; it can be
    ///         activated once `effectiveUpgradeDelay()` seconds have passed.
    function propose(bytes32 manifestHash, uint64 version) external onlyOwner notFrozen {
        if (manifestHash == bytes32(0) || version == 0) revert ZeroValue();
        if (version < minVersion) revert VersionBelowMinimum(version, minVersion);
        if (_manifests.contains(manifestHash)) revert ManifestAlreadyAllowed(manifestHash);
        if (_pending.contains(manifestHash)) revert ProposalExists(manifestHash);
        uint64 readyAt = uint64(block.timestamp) + effectiveUpgradeDelay();
        _pending.add(manifestHash);
        _proposals[manifestHash] = Proposal(version, readyAt);
        emit ManifestProposed(manifestHash, version, readyAt);
    }

    /// @notice Activates a proposal whose timelock has elapsed; `minVersion` is left unchanged.
    function activate(bytes32 manifestHash) external onlyOwner notFrozen {
        _activate(manifestHash, false);
    }

    /// @notice Activates a proposal whose timelock has elapsed and raises `minVersion` to its
    ///         version, so every manifest with a lower version is refused from now on.
    function activateAndRaiseMinVersion(bytes32 manifestHash) external onlyOwner notFrozen {
        _activate(manifestHash, true);
    }

    /// @notice Cancels (vetoes) the pending proposal for `manifestHash`. Owner or guardian.
    function cancel(bytes32 manifestHash) external onlyOwnerOrGuardian notFrozen {
        if (!_pending.remove(manifestHash)) revert NoProposal(manifestHash);
        delete _proposals[manifestHash];
        emit ProposalCancelled(manifestHash, msg.sender);
    }

    /// @notice Stops allowing manifest `manifestHash`, at once.
    function revoke(bytes32 manifestHash) external onlyOwner notFrozen {
        if (!_manifests.remove(manifestHash)) revert ManifestNotAllowed(manifestHash);
        uint64 version = _manifestVersions[manifestHash];
        delete _manifestVersions[manifestHash];
        emit ManifestRevoked(manifestHash, version);
    }

    /// @notice Raises `minVersion` to `newMinVersion` (must be higher than now), at once.
    function raiseMinVersion(uint64 newMinVersion) external onlyOwner notFrozen {
        if (newMinVersion <= minVersion) revert MinVersionNotIncreased(minVersion, newMinVersion);
        _raiseMinVersion(newMinVersion);
    }

    /// @notice Makes the app immutable for good: no manifest, version, device, TCB, delay or
    ///         guardian change is possible afterwards (pending proposals can never activate).
    function freeze() external onlyOwner notFrozen {
        frozen = true;
        emit AppFrozen();
    }

    // ---------------------------------------------------------------- device and TCB rules

    /// @notice Allows the app to boot on device `deviceId`.
    function addDevice(bytes32 deviceId) external onlyOwner notFrozen {
        _addDevice(deviceId);
    }

    /// @notice Removes device `deviceId` from the allowlist.
    function removeDevice(bytes32 deviceId) external onlyOwner notFrozen {
        if (!_devices.remove(deviceId)) revert DeviceNotAllowed(deviceId);
        emit DeviceRemoved(deviceId);
    }

    /// @notice Lets the app boot on any device (true) or only on allowlisted ones (false).
    function setAllowAnyDevice(bool allowAny) external onlyOwner notFrozen {
        allowAnyDevice = allowAny;
        emit AllowAnyDeviceSet(allowAny);
    }

    /// @notice Requires (or stops requiring) TCB status "UpToDate".
    function setRequireUpToDateTcb(bool required) external onlyOwner notFrozen {
        requireUpToDateTcb = required;
        emit RequireUpToDateTcbSet(required);
    }

    // ---------------------------------------------------------------- upgrade delay

    /// @notice Changes the upgrade delay. A longer delay applies at once; a shorter one (still at
    ///         least the registry minimum) is scheduled behind the current timelock and applied
    ///         with `applyUpgradeDelay()`; the guardian can veto it.
    function setUpgradeDelay(uint64 newDelay) external onlyOwner notFrozen {
        _checkDelayBounds(newDelay);
        if (newDelay == upgradeDelay) revert DelayUnchanged(newDelay);
        if (newDelay > upgradeDelay) {
            emit UpgradeDelaySet(upgradeDelay, newDelay);
            upgradeDelay = newDelay;
            return;
        }
        uint64 readyAt = uint64(block.timestamp) + effectiveUpgradeDelay();
        pendingDelay = newDelay;
        pendingDelayReadyAt = readyAt;
        emit UpgradeDelayChangeProposed(newDelay, readyAt);
    }

    /// @notice Applies a scheduled delay decrease once its timelock has elapsed.
    function applyUpgradeDelay() external onlyOwner notFrozen {
        uint64 readyAt = pendingDelayReadyAt;
        if (readyAt == 0) revert NoPendingDelayChange();
        if (block.timestamp < readyAt) revert TimelockNotElapsed(readyAt, block.timestamp);
        uint64 newDelay = pendingDelay;
        // The registry minimum may have risen since the decrease was scheduled.
        uint64 minimum = registry.minUpgradeDelay();
        if (newDelay < minimum) revert DelayBelowMinimum(newDelay, minimum);
        pendingDelay = 0;
        pendingDelayReadyAt = 0;
        emit UpgradeDelaySet(upgradeDelay, newDelay);
        upgradeDelay = newDelay;
    }

    /// @notice Cancels (vetoes) a scheduled delay decrease. Owner or guardian.
    function cancelUpgradeDelay() external onlyOwnerOrGuardian notFrozen {
        if (pendingDelayReadyAt == 0) revert NoPendingDelayChange();
        uint64 newDelay = pendingDelay;
        pendingDelay = 0;
        pendingDelayReadyAt = 0;
        emit UpgradeDelayChangeCancelled(newDelay, msg.sender);
    }

    // ---------------------------------------------------------------- guardian

    /// @notice Sets the guardian. With no guardian yet it applies at once; replacing (or removing,
    ///         with zero) an existing guardian is scheduled behind the timelock and applied with
    ///         `applyGuardian()`. The guardian cannot veto its own replacement.
    function setGuardian(address newGuardian) external onlyOwner notFrozen {
        if (guardian == address(0)) {
            if (newGuardian == address(0)) revert ZeroValue();
            guardian = newGuardian;
            emit GuardianSet(address(0), newGuardian);
            return;
        }
        uint64 readyAt = uint64(block.timestamp) + effectiveUpgradeDelay();
        pendingGuardian = newGuardian;
        pendingGuardianReadyAt = readyAt;
        emit GuardianChangeProposed(newGuardian, readyAt);
    }

    /// @notice Applies a scheduled guardian replacement once its timelock has elapsed.
    function applyGuardian() external onlyOwner notFrozen {
        uint64 readyAt = pendingGuardianReadyAt;
        if (readyAt == 0) revert NoPendingGuardianChange();
        if (block.timestamp < readyAt) revert TimelockNotElapsed(readyAt, block.timestamp);
        address newGuardian = pendingGuardian;
        pendingGuardian = address(0);
        pendingGuardianReadyAt = 0;
        emit GuardianSet(guardian, newGuardian);
        guardian = newGuardian;
    }

    /// @notice Cancels a scheduled guardian replacement. Owner only.
    function cancelGuardianChange() external onlyOwner notFrozen {
        if (pendingGuardianReadyAt == 0) revert NoPendingGuardianChange();
        address newGuardian = pendingGuardian;
        pendingGuardian = address(0);
        pendingGuardianReadyAt = 0;
        emit GuardianChangeCancelled(newGuardian);
    }

    /// @notice The guardian steps down, at once.
    function renounceGuardian() external {
        if (msg.sender != guardian || guardian == address(0)) revert NotGuardian(msg.sender);
        guardian = address(0);
        emit GuardianSet(msg.sender, address(0));
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IBootAuth
    /// @dev Checks, in order: the boot is for this app; the manifest is allowed; its version is
    ///      not below `minVersion` and matches the version the CVM reports; the device is
    ///      allowed (or any device is); the TCB is "UpToDate" if that is required.
    function isAppAllowed(BootInfo calldata bootInfo) external view returns (bool allowed, string memory reason) {
        if (bootInfo.appId != address(this)) return (false, "app id mismatch");
        if (!_manifests.contains(bootInfo.manifestHash)) return (false, "manifest not allowed");
        uint64 version = _manifestVersions[bootInfo.manifestHash];
        if (version < minVersion) return (false, "manifest version below minimum");
        if (bootInfo.manifestVersion != version) return (false, "manifest version mismatch");
        if (!allowAnyDevice && !_devices.contains(bootInfo.deviceId)) return (false, "device not allowed");
        if (requireUpToDateTcb && !TcbStatus.isUpToDate(bootInfo.tcbStatus)) {
            return (false, "TCB status not UpToDate");
        }
        return (true, "");
    }

    /// @notice Whether `manifestHash` is allowed (regardless of `minVersion`).
    function isManifestAllowed(bytes32 manifestHash) external view returns (bool) {
        return _manifests.contains(manifestHash);
    }

    /// @notice The version recorded for allowed manifest `manifestHash` (0 if not allowed).
    function manifestVersion(bytes32 manifestHash) external view returns (uint64) {
        return _manifestVersions[manifestHash];
    }

    /// @notice All allowed manifest hashes.
    function allowedManifests() external view returns (bytes32[] memory) {
        return _manifests.values();
    }

    /// @notice The pending proposal for `manifestHash` (version 0 if none).
    function proposal(bytes32 manifestHash) external view returns (Proposal memory) {
        return _proposals[manifestHash];
    }

    /// @notice Hashes of all pending proposals.
    function pendingProposals() external view returns (bytes32[] memory) {
        return _pending.values();
    }

    /// @notice Whether `deviceId` is on the allowlist (regardless of `allowAnyDevice`).
    function isDeviceAllowed(bytes32 deviceId) external view returns (bool) {
        return _devices.contains(deviceId);
    }

    /// @notice All allowlisted devices.
    function devices() external view returns (bytes32[] memory) {
        return _devices.values();
    }

    // ---------------------------------------------------------------- internals

    function _activate(bytes32 manifestHash, bool raiseMin) private {
        Proposal memory p = _proposals[manifestHash];
        if (p.version == 0) revert NoProposal(manifestHash);
        if (block.timestamp < p.readyAt) revert TimelockNotElapsed(p.readyAt, block.timestamp);
        if (p.version < minVersion) revert VersionBelowMinimum(p.version, minVersion);
        _pending.remove(manifestHash);
        delete _proposals[manifestHash];
        _manifests.add(manifestHash);
        _manifestVersions[manifestHash] = p.version;
        emit ManifestActivated(manifestHash, p.version);
        if (raiseMin && p.version > minVersion) _raiseMinVersion(p.version);
    }

    function _raiseMinVersion(uint64 newMinVersion) private {
        emit MinVersionRaised(minVersion, newMinVersion);
        minVersion = newMinVersion;
    }

    function _addDevice(bytes32 deviceId) private {
        if (deviceId == bytes32(0)) revert ZeroValue();
        if (!_devices.add(deviceId)) revert DeviceAlreadyAllowed(deviceId);
        emit DeviceAdded(deviceId);
    }

    function _checkDelayBounds(uint64 delay) private view {
        if (delay > MAX_UPGRADE_DELAY) revert DelayTooLong(delay);
        uint64 minimum = registry.minUpgradeDelay();
        if (delay < minimum) revert DelayBelowMinimum(delay, minimum);
    }
}
