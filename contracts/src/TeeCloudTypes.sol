// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Types and interfaces shared by teecloud's governance contracts
/// @notice `BootInfo` is what a KMS member learns about a booting CVM from its verified quote and
///         replayed event log; it is the single argument of every authorization query.

/// @notice Facts about a CVM that asks the KMS for keys, all taken from verified evidence.
/// @param appId            The app's identity: the address of its `AppController`.
/// @param manifestHash     SHA-256 of the app manifest's canonical (RFC 8785) JSON.
/// @param instanceId       First 20 bytes of SHA-256(instance_seed || app_id).
/// @param deviceId         Identifier of the TEE device (host) the CVM runs on.
/// @param mrAggregated     Digest over the CVM's measurement registers (MRTD, RTMR0-3).
/// @param osImageHash      SHA-256 of the OS image's digest file.
/// @param tcbStatus        TCB status from quote verification, e.g. "UpToDate", "OutOfDate".
/// @param manifestVersion  The manifest's `version` field (rollback protection).
struct BootInfo {
    address appId;
    bytes32 manifestHash;
    address instanceId;
    bytes32 deviceId;
    bytes32 mrAggregated;
    bytes32 osImageHash;
    string tcbStatus;
    uint64 manifestVersion;
}

/// @notice Anything that can decide whether a CVM may boot (receive keys).
interface IBootAuth {
    /// @notice Whether the CVM described by `bootInfo` may receive its app's keys.
    /// @return allowed  True if it may.
    /// @return reason   Empty when allowed; otherwise a short human-readable refusal reason.
    function isAppAllowed(BootInfo calldata bootInfo) external view returns (bool allowed, string memory reason);
}

/// @notice The part of the registry that app controllers and the factory depend on.
interface ITeeCloudRegistry is IBootAuth {
    /// @notice Smallest upgrade delay (seconds) any app may use; app timelocks never go below it.
    function minUpgradeDelay() external view returns (uint64);

    /// @notice Registers `app` (an app controller); only the registry owner or the app factory.
    function registerApp(address app) external;
}

/// @notice Library of the TCB status string that counts as fully patched.
library TcbStatus {
    /// @notice The TCB status reported by DCAP / SNP verification for a fully patched platform.
    string internal constant UP_TO_DATE = "UpToDate";

    /// @notice True if `status` is exactly "UpToDate".
    function isUpToDate(string memory status) internal pure returns (bool) {
        return keccak256(bytes(status)) == keccak256(bytes(UP_TO_DATE));
    }
}
