// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {BootInfo, IBootAuth, ITeeCloudRegistry, TcbStatus} from "./TeeCloudTypes.sol";

/// @title TeeCloudRegistry — the root of a teecloud network's governance
/// @notice Holds the network-wide policy that every KMS member enforces:
///         - which OS images CVMs may boot (`osImageHash` allowlist);
///         - the KMS itself: its members (id, endpoint, public key, attestation digest), the
///           threshold t of its t-of-n scheme, and which KMS CVMs may boot (`isKmsAllowed`);
///         - which apps exist (registered app controllers) and the minimum upgrade delay that
///           every app timelock must respect.
///         `isAppAllowed(bootInfo)` answers the KMS's question "may this CVM get its app key?":
///         the app must be registered, its OS image allowed, and then the app's own
///         controller decides.
/// @dev The owner is meant to be a multisig or a DAO. Ownership moves in two steps
///      (`transferOwnership` then `acceptOwnership`) and cannot be renounced: a registry without
///      an owner could never allow a new OS image again. Every change emits an event.
contract TeeCloudRegistry is Ownable2Step, ITeeCloudRegistry {
    using EnumerableSet for EnumerableSet.Bytes32Set;
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice Upper bound for any upgrade delay (guards against overflow and accidental lockout).
    uint64 public constant MAX_UPGRADE_DELAY = 365 days;

    /// @notice One member of the threshold KMS.
    /// @param endpoint           Where the member serves (e.g. "https://kms1.example:8000").
    /// @param publicKey          The member's public key material (scheme-specific encoding).
    /// @param attestationDigest  Digest of the member's attestation (pinned by clients).
    struct KmsMember {
        string endpoint;
        bytes publicKey;
        bytes32 attestationDigest;
    }

    // ---------------------------------------------------------------- errors

    /// @notice Ownership of the registry can be transferred but never renounced.
    error RenounceDisabled();
    /// @notice A zero hash, id or address was given where a real one is required.
    error ZeroValue();
    /// @notice The OS image is already on the allowlist.
    error OsImageAlreadyAllowed(bytes32 osImageHash);
    /// @notice The OS image is not on the allowlist.
    error OsImageNotAllowed(bytes32 osImageHash);
    /// @notice The KMS aggregated measurement is already allowed.
    error KmsMrAlreadyAllowed(bytes32 mrAggregated);
    /// @notice The KMS aggregated measurement is not allowed.
    error KmsMrNotAllowed(bytes32 mrAggregated);
    /// @notice The KMS device is already allowed.
    error KmsDeviceAlreadyAllowed(bytes32 deviceId);
    /// @notice The KMS device is not allowed.
    error KmsDeviceNotAllowed(bytes32 deviceId);
    /// @notice A KMS member with this id exists already.
    error KmsMemberExists(bytes32 id);
    /// @notice No KMS member has this id.
    error KmsMemberNotFound(bytes32 id);
    /// @notice The threshold must satisfy 1 <= t <= number of members.
    error InvalidThreshold(uint16 threshold, uint256 members);
    /// @notice Removing the member would leave fewer members than the threshold; lower it first.
    error ThresholdAboveMembers(uint16 threshold, uint256 membersAfter);
    /// @notice The caller is neither the owner nor the app factory.
    error NotOwnerOrFactory(address caller);
    /// @notice The app is already registered.
    error AppAlreadyRegistered(address app);
    /// @notice The app is not registered.
    error AppNotRegistered(address app);
    /// @notice The delay exceeds `MAX_UPGRADE_DELAY`.
    error DelayTooLong(uint64 delay);

    // ---------------------------------------------------------------- events

    /// @notice An OS image was allowed.
    event OsImageAdded(bytes32 indexed osImageHash);
    /// @notice An OS image was removed from the allowlist.
    event OsImageRemoved(bytes32 indexed osImageHash);
    /// @notice A KMS member was added.
    event KmsMemberAdded(bytes32 indexed id, string endpoint, bytes publicKey, bytes32 attestationDigest);
    /// @notice A KMS member's data changed.
    event KmsMemberUpdated(bytes32 indexed id, string endpoint, bytes publicKey, bytes32 attestationDigest);
    /// @notice A KMS member was removed.
    event KmsMemberRemoved(bytes32 indexed id);
    /// @notice The KMS threshold changed.
    event KmsThresholdSet(uint16 oldThreshold, uint16 newThreshold);
    /// @notice A KMS aggregated measurement was allowed.
    event KmsMrAdded(bytes32 indexed mrAggregated);
    /// @notice A KMS aggregated measurement was disallowed.
    event KmsMrRemoved(bytes32 indexed mrAggregated);
    /// @notice A device was allowed to host KMS members.
    event KmsDeviceAdded(bytes32 indexed deviceId);
    /// @notice A device may no longer host KMS members.
    event KmsDeviceRemoved(bytes32 indexed deviceId);
    /// @notice KMS members may (or may no longer) boot on any device.
    event KmsAllowAnyDeviceSet(bool allowAnyDevice);
    /// @notice KMS members must (or need no longer) report TCB status "UpToDate".
    event KmsRequireUpToDateTcbSet(bool requireUpToDateTcb);
    /// @notice An app controller was registered.
    event AppRegistered(address indexed app, address indexed by);
    /// @notice An app was deregistered (it can no longer boot).
    event AppDeregistered(address indexed app);
    /// @notice The app factory allowed to register apps changed.
    event AppFactorySet(address indexed oldFactory, address indexed newFactory);
    /// @notice The network-wide minimum upgrade delay changed.
    event MinUpgradeDelaySet(uint64 oldDelay, uint64 newDelay);

    // ---------------------------------------------------------------- state

    EnumerableSet.Bytes32Set private _osImages;
    EnumerableSet.Bytes32Set private _kmsMemberIds;
    mapping(bytes32 id => KmsMember) private _kmsMembers;
    EnumerableSet.Bytes32Set private _kmsMrs;
    EnumerableSet.Bytes32Set private _kmsDevices;
    EnumerableSet.AddressSet private _apps;

    /// @notice t of the KMS's t-of-n threshold scheme (0 only while there are no members).
    uint16 public kmsThreshold;
    /// @notice If true, KMS CVMs may boot on any device (the KMS device allowlist is ignored).
    bool public kmsAllowAnyDevice;
    /// @notice If true, KMS CVMs must report TCB status "UpToDate".
    bool public kmsRequireUpToDateTcb;
    /// @notice The factory that may register apps (besides the owner); zero if none.
    address public appFactory;
    /// @inheritdoc ITeeCloudRegistry
    uint64 public minUpgradeDelay;

    /// @param initialOwner     The governing multisig / DAO.
    /// @param minUpgradeDelay_ The network-wide minimum app upgrade delay, in seconds.
    constructor(address initialOwner, uint64 minUpgradeDelay_) Ownable(initialOwner) {
        if (minUpgradeDelay_ > MAX_UPGRADE_DELAY) revert DelayTooLong(minUpgradeDelay_);
        minUpgradeDelay = minUpgradeDelay_;
        emit MinUpgradeDelaySet(0, minUpgradeDelay_);
    }

    /// @notice Disabled: the registry must always have an owner.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ---------------------------------------------------------------- OS images

    /// @notice Allows CVMs (apps and KMS) to boot the OS image `osImageHash`.
    function addOsImage(bytes32 osImageHash) external onlyOwner {
        if (osImageHash == bytes32(0)) revert ZeroValue();
        if (!_osImages.add(osImageHash)) revert OsImageAlreadyAllowed(osImageHash);
        emit OsImageAdded(osImageHash);
    }

    /// @notice Stops allowing the OS image `osImageHash` (takes effect at once).
    function removeOsImage(bytes32 osImageHash) external onlyOwner {
        if (!_osImages.remove(osImageHash)) revert OsImageNotAllowed(osImageHash);
        emit OsImageRemoved(osImageHash);
    }

    /// @notice Whether `osImageHash` is an allowed OS image.
    function isOsImageAllowed(bytes32 osImageHash) public view returns (bool) {
        return _osImages.contains(osImageHash);
    }

    /// @notice All allowed OS images.
    function osImages() external view returns (bytes32[] memory) {
        return _osImages.values();
    }

    // ---------------------------------------------------------------- KMS members and threshold

    /// @notice Adds a KMS member.
    /// @param id                 The member's identifier (unique, non-zero).
    /// @param endpoint           Where the member serves.
    /// @param publicKey          The member's public key material.
    /// @param attestationDigest  Digest of the member's attestation.
    function addKmsMember(bytes32 id, string calldata endpoint, bytes calldata publicKey, bytes32 attestationDigest)
        external
        onlyOwner
    {
        if (id == bytes32(0)) revert ZeroValue();
        if (!_kmsMemberIds.add(id)) revert KmsMemberExists(id);
        _kmsMembers[id] = KmsMember(endpoint, publicKey, attestationDigest);
        emit KmsMemberAdded(id, endpoint, publicKey, attestationDigest);
    }

    /// @notice Replaces the data of KMS member `id` (e.g. after a key rotation or a move).
    function updateKmsMember(bytes32 id, string calldata endpoint, bytes calldata publicKey, bytes32 attestationDigest)
        external
        onlyOwner
    {
        if (!_kmsMemberIds.contains(id)) revert KmsMemberNotFound(id);
        _kmsMembers[id] = KmsMember(endpoint, publicKey, attestationDigest);
        emit KmsMemberUpdated(id, endpoint, publicKey, attestationDigest);
    }

    /// @notice Removes KMS member `id`. Reverts if fewer members than the threshold would remain
    ///         (lower the threshold first); removing the last member resets the threshold to 0.
    function removeKmsMember(bytes32 id) external onlyOwner {
        if (!_kmsMemberIds.remove(id)) revert KmsMemberNotFound(id);
        delete _kmsMembers[id];
        uint256 remaining = _kmsMemberIds.length();
        if (remaining == 0) {
            if (kmsThreshold != 0) {
                emit KmsThresholdSet(kmsThreshold, 0);
                kmsThreshold = 0;
            }
        } else if (kmsThreshold > remaining) {
            revert ThresholdAboveMembers(kmsThreshold, remaining);
        }
        emit KmsMemberRemoved(id);
    }

    /// @notice Sets t of the t-of-n KMS; requires 1 <= t <= number of members.
    function setKmsThreshold(uint16 threshold) external onlyOwner {
        uint256 n = _kmsMemberIds.length();
        if (threshold == 0 || threshold > n) revert InvalidThreshold(threshold, n);
        emit KmsThresholdSet(kmsThreshold, threshold);
        kmsThreshold = threshold;
    }

    /// @notice Ids of all KMS members, in no particular order.
    function kmsMemberIds() external view returns (bytes32[] memory) {
        return _kmsMemberIds.values();
    }

    /// @notice Number of KMS members (n of t-of-n).
    function kmsMemberCount() external view returns (uint256) {
        return _kmsMemberIds.length();
    }

    /// @notice The data of KMS member `id`; reverts if there is none.
    function kmsMember(bytes32 id) external view returns (KmsMember memory) {
        if (!_kmsMemberIds.contains(id)) revert KmsMemberNotFound(id);
        return _kmsMembers[id];
    }

    // ---------------------------------------------------------------- KMS boot policy

    /// @notice Allows KMS CVMs whose aggregated measurement is `mrAggregated`.
    function addKmsMr(bytes32 mrAggregated) external onlyOwner {
        if (mrAggregated == bytes32(0)) revert ZeroValue();
        if (!_kmsMrs.add(mrAggregated)) revert KmsMrAlreadyAllowed(mrAggregated);
        emit KmsMrAdded(mrAggregated);
    }

    /// @notice Stops allowing KMS CVMs whose aggregated measurement is `mrAggregated`.
    function removeKmsMr(bytes32 mrAggregated) external onlyOwner {
        if (!_kmsMrs.remove(mrAggregated)) revert KmsMrNotAllowed(mrAggregated);
        emit KmsMrRemoved(mrAggregated);
    }

    /// @notice All allowed KMS aggregated measurements.
    function kmsMrs() external view returns (bytes32[] memory) {
        return _kmsMrs.values();
    }

    /// @notice Allows KMS CVMs to boot on device `deviceId`.
    function addKmsDevice(bytes32 deviceId) external onlyOwner {
        if (deviceId == bytes32(0)) revert ZeroValue();
        if (!_kmsDevices.add(deviceId)) revert KmsDeviceAlreadyAllowed(deviceId);
        emit KmsDeviceAdded(deviceId);
    }

    /// @notice Stops allowing KMS CVMs to boot on device `deviceId`.
    function removeKmsDevice(bytes32 deviceId) external onlyOwner {
        if (!_kmsDevices.remove(deviceId)) revert KmsDeviceNotAllowed(deviceId);
        emit KmsDeviceRemoved(deviceId);
    }

    /// @notice All devices allowed to host KMS members.
    function kmsDevices() external view returns (bytes32[] memory) {
        return _kmsDevices.values();
    }

    /// @notice Lets KMS CVMs boot on any device (true) or only on allowlisted ones (false).
    function setKmsAllowAnyDevice(bool allowAnyDevice) external onlyOwner {
        kmsAllowAnyDevice = allowAnyDevice;
        emit KmsAllowAnyDeviceSet(allowAnyDevice);
    }

    /// @notice Requires (or stops requiring) KMS CVMs to report TCB status "UpToDate".
    function setKmsRequireUpToDateTcb(bool requireUpToDateTcb) external onlyOwner {
        kmsRequireUpToDateTcb = requireUpToDateTcb;
        emit KmsRequireUpToDateTcbSet(requireUpToDateTcb);
    }

    /// @notice Whether a CVM described by `bootInfo` may run as a KMS member: its OS image and
    ///         aggregated measurement must be allowed, its device allowed (unless any device
    ///         is), and its TCB up to date if that is required.
    /// @return allowed  True if it may.
    /// @return reason   Empty when allowed; otherwise why not.
    function isKmsAllowed(BootInfo calldata bootInfo) external view returns (bool allowed, string memory reason) {
        if (!_osImages.contains(bootInfo.osImageHash)) return (false, "OS image not allowed");
        if (!_kmsMrs.contains(bootInfo.mrAggregated)) return (false, "KMS measurement not allowed");
        if (!kmsAllowAnyDevice && !_kmsDevices.contains(bootInfo.deviceId)) {
            return (false, "KMS device not allowed");
        }
        if (kmsRequireUpToDateTcb && !TcbStatus.isUpToDate(bootInfo.tcbStatus)) {
            return (false, "TCB status not UpToDate");
        }
        return (true, "");
    }

    // ---------------------------------------------------------------- apps

    /// @notice Sets the factory that may register apps (zero to allow only the owner).
    function setAppFactory(address factory) external onlyOwner {
        emit AppFactorySet(appFactory, factory);
        appFactory = factory;
    }

    /// @notice Sets the network-wide minimum upgrade delay. Apps whose own delay is shorter
    ///         use this minimum for proposals made after the change.
    function setMinUpgradeDelay(uint64 delay) external onlyOwner {
        if (delay > MAX_UPGRADE_DELAY) revert DelayTooLong(delay);
        emit MinUpgradeDelaySet(minUpgradeDelay, delay);
        minUpgradeDelay = delay;
    }

    /// @inheritdoc ITeeCloudRegistry
    function registerApp(address app) external {
        if (msg.sender != owner() && (msg.sender != appFactory || appFactory == address(0))) {
            revert NotOwnerOrFactory(msg.sender);
        }
        if (app == address(0)) revert ZeroValue();
        if (!_apps.add(app)) revert AppAlreadyRegistered(app);
        emit AppRegistered(app, msg.sender);
    }

    /// @notice Removes `app` from the registry: none of its CVMs can get keys any more.
    ///         An emergency take-down power of the network's governance.
    function deregisterApp(address app) external onlyOwner {
        if (!_apps.remove(app)) revert AppNotRegistered(app);
        emit AppDeregistered(app);
    }

    /// @notice Whether `app` is a registered app controller.
    function isAppRegistered(address app) public view returns (bool) {
        return _apps.contains(app);
    }

    /// @notice Number of registered apps.
    function appCount() external view returns (uint256) {
        return _apps.length();
    }

    /// @notice Registered apps, `count` of them starting at `start` (for paging).
    function apps(uint256 start, uint256 count) external view returns (address[] memory page) {
        uint256 n = _apps.length();
        if (start >= n) return new address[](0);
        if (count > n - start) count = n - start;
        page = new address[](count);
        for (uint256 i = 0; i < count; ++i) {
            page[i] = _apps.at(start + i);
        }
    }

    /// @inheritdoc IBootAuth
    /// @dev Checks, in order: the app is registered; its OS image is allowed; then asks the app's
    ///      controller. A controller without code or one that reverts yields a refusal rather
    ///      than a revert. (Controllers come from the factory or the owner, so one that returns
    ///      malformed data, which Solidity cannot catch, is not a concern.)
    function isAppAllowed(BootInfo calldata bootInfo)
        external
        view
        override
        returns (bool allowed, string memory reason)
    {
        if (!_apps.contains(bootInfo.appId)) return (false, "app not registered");
        if (!_osImages.contains(bootInfo.osImageHash)) return (false, "OS image not allowed");
        if (bootInfo.appId.code.length == 0) return (false, "app controller failed");
        try IBootAuth(bootInfo.appId).isAppAllowed(bootInfo) returns (bool ok, string memory why) {
            return (ok, why);
        } catch {
            return (false, "app controller failed");
        }
    }
}
