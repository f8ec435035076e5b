// The Attester of a real Intel TDX guest, over the Linux kernel's ABIs:
//
//  * Quotes: configfs-tsm (Documentation/ABI/testing/configfs-tsm-report, Linux 6.7+). A report
//    is an item directory: mkdir <tsm_report_dir>/<name>, check that `provider` reads
//    "tdx_guest", write the 64-byte REPORTDATA to `inblob`, read the quote from `outblob`, and
//    check that `generation` (a counter of writes to the item) advanced by exactly one, i.e. no
//    other writer raced with us; then rmdir. Each call uses its own uniquely named item.
//  * Registers: the tdx_guest measurement sysfs (Documentation/ABI/testing/
//    sysfs-devices-virtual-misc-tdx_guest, Linux 6.16+): <measurements_dir>/mrtd:sha384 and
//    rtmr0..3:sha384 read as 48 raw bytes; writing exactly 48 bytes to rtmrN:sha384 extends RTMRN
//    (the kernel issues TDG.MR.RTMR.EXTEND). Without this directory, ReadMeasurements falls back
//    to decoding a fresh quote, and extension is refused.
//  * Boot events: the firmware's CCEL log area (ACPI "CCEL" table data,
//    /sys/firmware/acpi/tables/data/CCEL), parsed with attest/eventlog/ccel.h; extended records
//    for CC MR index 1..4 become log entries with imr = index - 1 (RTMR0..3), empty names and the
//    raw event data as payload, as dstack reports them.
//  * Runtime events: kept in memory and in a state file (the JSON log of AGENT_API.md, written
//    atomically before each extension), so an agent restart keeps the log. On Open the file is
//    reconciled with RTMR3: an extension interrupted between the state write and the register
//    write is dropped, a file left from an earlier boot (RTMR3 back at its boot value) is
//    discarded, and any other disagreement is an error (something else extended RTMR3).
//
// Every path is configurable (TdxPaths), so tests run against a fake tree with a fake "kernel".
// Thread-safe: quotes run concurrently (each in its own configfs item) under a shared lock;
// extensions are exclusive, so a quote and an event log read after it agree.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "tee/attester.h"

namespace teecloud::tee {

struct TdxPaths {
  std::string tsm_report_dir = "/sys/kernel/config/tsm/report";
  std::string measurements_dir = "/sys/class/misc/tdx_guest/measurements";
  // The CCEL log area; "" means no boot events (the log then explains RTMR3 only).
  std::string ccel = "/sys/firmware/acpi/tables/data/CCEL";
  // Runtime events of this boot; "" keeps them in memory only.
  std::string state_file = "/run/teecloud/runtime-events.json";
};

struct TdxAttesterOptions {
  TdxPaths paths;
  // configfs creates an item's attributes together with its directory, and reading `outblob`
  // blocks until the quote exists. Trees that populate files asynchronously (test fakes) are
  // polled for up to this long before an attribute counts as missing.
  std::chrono::milliseconds attribute_timeout{10000};
};

class TdxConfigfsAttester final : public Attester {
 public:
  // Fails with kFailedPrecondition "not a TDX guest: <path> missing" when the configfs-tsm
  // report directory or the CCEL (when configured) is absent; with kInvalidArgument when the
  // CCEL or the state file cannot be parsed; with kFailedPrecondition when the state file does
  // not explain RTMR3.
  static Result<std::unique_ptr<TdxConfigfsAttester>> Open(TdxAttesterOptions options);
  ~TdxConfigfsAttester() override;

  PlatformInfo Platform() const override;
  Result<Bytes> GetQuote(ByteView report_data) override;
  Result<Measurements> ReadMeasurements() override;
  Result<attest::eventlog::RuntimeEvent> ExtendRuntimeEvent(uint32_t imr, std::string name,
                                                            ByteView payload) override;
  Result<std::vector<attest::eventlog::RuntimeEvent>> ReadEventLog() override;

 private:
  struct State;
  explicit TdxConfigfsAttester(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// CCEL records → log entries (imr = CC MR index - 1; EV_NO_ACTION and MRTD records skipped).
Result<std::vector<attest::eventlog::RuntimeEvent>> BootEventsFromCcel(ByteView ccel);

}  // namespace teecloud::tee
